// Package bonus3 is ClassChat's third bonus: offline messages. On top of
// bonus 2 (groups and files), a direct message, a file or a group message
// for a user who is not online is kept, with the time it was sent, and
// delivered, in order, when the user next logs in: after the welcome, an
// offline_messages notice ("You have n offline message(s)") and the
// messages, then the commands.
//
// A user stays in their groups while away, so that group messages wait
// for them too (in bonus 1 and 2, as in the original, leaving the chat
// leaves every group).
//
// The original kept the queue in memory, unbounded, and lost it at a
// restart. This one keeps it on disk, in SQLite (modernc.org/sqlite: pure
// Go, no cgo), with the groups: a message is confirmed to its sender only
// once committed, so a server killed with SIGKILL and restarted loses
// nothing it accepted. Delivery is at least once: a held message is
// removed only once its recipient acknowledged it (ChatLab's client, with
// an "ack" object), or, for the original client, which cannot, once the
// recipient's TCP stack acknowledged its bytes. Messages go out in pages
// of at most MaxInFlight, each page removed in one transaction, so a
// server killed during delivery repeats at most one page. Messages are
// held only for names that have logged in before, within bounds per user
// and for the whole server; a sender whose message is not held is told
// why.
package bonus3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/bonus2"
	"chatlab/classchat/task4"
	"chatlab/shared/outbox"
	"chatlab/shared/server"
)

// Welcome is the bonus 3 welcome's format.
const Welcome = "Welcome %s! ClassChat with Groups + Files + Offline Messages."

// TimestampLayout is how a held message's time is written.
const TimestampLayout = "2006-01-02 15:04:05"

// Commands is the help: bonus 2's.
var Commands = maps.Clone(bonus2.Commands)

// OfflineNotice is the object before the held messages.
type OfflineNotice struct {
	Status  string `json:"status"` // "offline_messages"
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// DefaultDB is where the offline queue of a server on port lives unless
// told otherwise: classchat-offline-<port>.db under the user's data
// directory ($XDG_DATA_HOME/chatlab, or ~/.local/share/chatlab). Servers
// on other ports keep apart; `make server-bonus3` gives each clone of
// the repository its own database under bin/ instead.
func DefaultDB(port int) string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "chatlab", fmt.Sprintf("classchat-offline-%d.db", port))
}

// Delivery bounds and timings.
const (
	// MaxInFlight is the most held messages written to a user and not
	// yet removed from the store (a page): a server killed during a
	// delivery delivers at most this many again at the next log-in.
	MaxInFlight = 256
	// MaxInFlightBytes bounds a page in bytes (a page holds at least one
	// message, whatever its size).
	MaxInFlightBytes = 16 << 20
	// DeliverWait bounds how long a delivery waits for a page to be
	// written and acknowledged; what is not stays held.
	DeliverWait = 30 * time.Second
	// TCPAckFallback is how long a page written to an original client
	// must stay on an open connection before it counts as received,
	// where the system cannot tell what the peer's TCP acknowledged
	// (not Linux).
	TCPAckFallback = 2 * time.Second
	// ackPoll is how often a delivery asks the socket whether the peer
	// acknowledged what was written.
	ackPoll = 2 * time.Millisecond
)

// Group bounds. Each is the default of a server flag.
const (
	// MaxGroups bounds the groups on the server (--max-groups).
	MaxGroups = 1000
	// MaxGroupsCreated bounds the groups one user created that still
	// exist (--max-groups-created).
	MaxGroupsCreated = 20
	// MaxGroupsJoined bounds the groups one user is a member of,
	// created ones included (--max-groups-joined).
	MaxGroupsJoined = 100
)

// Config is a bonus 3 server's configuration beyond its store; a zero
// field takes its default.
type Config struct {
	Groups bonus1.Limits
}

// Ack is what ChatLab's client sends for the held messages it has shown
// or saved: every held message of this session whose id is at most Upto.
type Ack struct {
	Type string `json:"type"` // "ack"
	Upto int64  `json:"upto"`
}

// New returns a bonus 3 server keeping its offline queue and its groups
// in store: bonus 2's, holding messages for absent users, who keep their
// groups.
func New(log *slog.Logger, store *Store) *server.Server {
	srv, err := NewWith(log, store, Config{})
	if err != nil {
		panic(err)
	}
	return srv
}

// NewWith is New with a configuration. It fails if the groups cannot be
// read from the store.
func NewWith(log *slog.Logger, store *Store, cfg Config) (*server.Server, error) {
	saved, err := store.Groups()
	if err != nil {
		return nil, fmt.Errorf("reading the groups: %w", err)
	}
	l := cfg.Groups
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxGroups, MaxGroups)
	def(&l.MaxCreated, MaxGroupsCreated)
	def(&l.MaxJoined, MaxGroupsJoined)
	l.TextOnly = true
	d := &deliveries{log: log, store: store, sessions: make(map[string][]*session)}
	now := time.Now
	srv, groups := bonus2.NewFiles(log, task4.Options{
		Welcome: Welcome,
		Hold: func(to string, frame []byte) error {
			return store.Enqueue(to, stamp(frame, now()))
		},
		LoggedIn: d.loggedIn,
		Greet:    d.greet,
		Handle:   d.handle,
		Left:     d.left,
	}, Commands, true)
	groups.Keep(store, saved, l)
	return srv, nil
}

// stamp adds the time a message was held to its object: the frame is
// `{...}\n`, and the timestamp goes in before the closing brace.
func stamp(frame []byte, at time.Time) []byte {
	return addKey(frame, fmt.Sprintf(`"timestamp":%q`, at.Format(TimestampLayout)))
}

// addKey adds `"key":value` to the object in frame, before its closing
// brace.
func addKey(frame []byte, kv string) []byte {
	body := bytes.TrimRight(frame, "\n")
	out := make([]byte, 0, len(frame)+len(kv)+2)
	out = append(out, body[:len(body)-1]...)
	out = append(out, ',')
	out = append(out, kv...)
	out = append(out, '}', '\n')
	return out
}

// deliveries delivers the held messages of every user logged in.
type deliveries struct {
	log   *slog.Logger
	store *Store

	mu sync.Mutex
	// sessions holds each online user's sessions, by folded name: the
	// one ending (if any) first, the current one last.
	sessions map[string][]*session
}

// How a session's held messages leave the store.
const (
	undecided = iota // a ChatLab client that has sent nothing yet
	byAck            // the client acknowledges (its first object was an ack)
	byTCP            // it cannot: once its TCP stack acknowledged the bytes
)

// session is one log-in's delivery of held messages.
type session struct {
	d      *deliveries
	name   string
	conn   net.Conn
	out    *outbox.Outbox
	log    *slog.Logger
	legacy bool

	mu    sync.Mutex
	mode  int
	page  *page // the page written and not yet removed, or nil
	last  int64 // the id of the last held message written
	acked int64 // the highest id the client acknowledged
}

// page is a set of held messages written together.
type page struct {
	ids     []int64
	written chan struct{} // one per message, once written to the socket
}

func (d *deliveries) current(name string) *session {
	d.mu.Lock()
	defer d.mu.Unlock()
	if all := d.sessions[task4.FoldName(name)]; len(all) > 0 {
		return all[len(all)-1]
	}
	return nil
}

func (d *deliveries) loggedIn(name string, conn net.Conn, legacy bool) {
	if ok, err := d.store.Know(name); err != nil {
		d.log.Error("recording a name in the offline store", "user", name, "err", err)
	} else if !ok {
		d.log.Warn("the table of known names is full: messages are not held for this name", "user", name)
	}
	s := &session{d: d, name: name, conn: conn, legacy: legacy, log: d.log.With("user", name)}
	key := task4.FoldName(name)
	d.mu.Lock()
	d.sessions[key] = append(d.sessions[key], s)
	d.mu.Unlock()
}

func (d *deliveries) left(name string) {
	key := task4.FoldName(name)
	d.mu.Lock()
	var s *session
	if all := d.sessions[key]; len(all) > 0 {
		s = all[0]
		if len(all) == 1 {
			delete(d.sessions, key)
		} else {
			d.sessions[key] = all[1:]
		}
	}
	d.mu.Unlock()
	if s != nil {
		s.ended()
	}
}

// greet delivers name's held messages after the welcome: to an original
// client all of them, page by page, each removed once the client's TCP
// stack acknowledged it; to a ChatLab client the first page, the rest
// once it acknowledged that one (or, if it turns out not to acknowledge,
// once its TCP stack did).
func (d *deliveries) greet(name string, out *outbox.Outbox) {
	s := d.current(name)
	if s == nil {
		return
	}
	s.out = out
	n, err := d.store.Count(name)
	if err != nil {
		s.log.Error("reading the offline queue", "err", err)
		return
	}
	if n == 0 {
		return
	}
	notice, _ := json.Marshal(OfflineNotice{Status: "offline_messages", Count: n,
		Message: fmt.Sprintf("You have %d offline message(s)", n)})
	out.Send(append(notice, '\n'))
	if !s.legacy {
		s.mu.Lock()
		s.sendPage()
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.mode = byTCP
	s.sendPage()
	s.mu.Unlock()
	s.byTCP() // the log-in sequence waits: the original client expects it whole
}

// handle takes a client's acknowledgements, learns from a client's first
// object whether it acknowledges, and refuses a direct message to a name
// that never logged in.
func (d *deliveries) handle(name string, req task4.Request, raw []byte, out *outbox.Outbox) bool {
	s := d.current(name)
	if req.Type == "ack" {
		var a Ack
		if json.Unmarshal(raw, &a) == nil && s != nil {
			s.ack(a.Upto)
		}
		return true
	}
	if s != nil {
		s.mu.Lock()
		if s.mode == undecided {
			s.mode = byTCP
			go s.byTCP()
		}
		s.mu.Unlock()
	}
	if req.Text != "" && task4.CheckName(req.Receiver) == "" && d.current(req.Receiver) == nil && !d.store.Known(req.Receiver) {
		out.Send(task4.Notice(task4.StatusError, "User '%s' is not known", req.Receiver).Encode())
		return true
	}
	return false
}

// sendPage writes the next page of held messages, each with its id. Call
// with s.mu held.
func (s *session) sendPage() bool {
	items, err := s.d.store.Page(s.name, s.last, MaxInFlight, MaxInFlightBytes)
	if err != nil {
		s.log.Error("reading the offline queue", "err", err)
		return false
	}
	if len(items) == 0 {
		s.page = nil
		return false
	}
	p := &page{written: make(chan struct{}, len(items))}
	for _, it := range items {
		p.ids = append(p.ids, it.ID)
		s.out.SendThen(addKey(it.Frame, fmt.Sprintf(`"id":%d`, it.ID)), func() { p.written <- struct{}{} })
	}
	s.page, s.last = p, items[len(items)-1].ID
	return true
}

// ack takes the client's acknowledgement of every held message up to
// upto: a page wholly acknowledged is removed, in one transaction, and
// the next one written.
func (s *session) ack(upto int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode == undecided {
		s.mode = byAck
	}
	if s.mode != byAck || s.page == nil {
		return
	}
	s.acked = max(s.acked, upto)
	if s.acked < s.page.ids[len(s.page.ids)-1] {
		return
	}
	if !s.remove(s.page.ids) {
		s.page = nil
		return
	}
	s.sendPage()
}

// remove removes delivered messages, or logs why it could not: they will
// be delivered again. Call with s.mu held.
func (s *session) remove(ids []int64) bool {
	if err := s.d.store.Delete(ids...); err != nil {
		s.log.Error("the offline store cannot be written: delivered messages stay, and will be delivered again; "+
			"no message is held until a write succeeds", "count", len(ids), "err", err)
		return false
	}
	return true
}

// byTCP removes each page once the peer's TCP stack acknowledged it, and
// writes the next, until none is left or the connection ends.
func (s *session) byTCP() {
	for {
		s.mu.Lock()
		p := s.page
		s.mu.Unlock()
		if p == nil {
			return
		}
		if err := s.waitReceived(p); err != nil {
			s.log.Warn("offline messages not acknowledged; they stay held", "reason", err)
			return
		}
		s.mu.Lock()
		ok := s.remove(p.ids) && s.sendPage()
		if !ok {
			s.page = nil
		}
		s.mu.Unlock()
		if !ok {
			s.log.Info("offline messages delivered")
			return
		}
	}
}

var errEnded = errors.New("the connection ended")

// waitReceived waits until every message of p was written and the peer's
// TCP stack acknowledged every byte written so far.
func (s *session) waitReceived(p *page) error {
	timeout := time.NewTimer(DeliverWait)
	defer timeout.Stop()
	for range p.ids {
		select {
		case <-p.written:
		case <-s.out.Done():
			return errEnded
		case <-timeout.C:
			return errors.New("not written in time")
		}
	}
	tick := time.NewTicker(ackPoll)
	defer tick.Stop()
	for {
		n, ok := unacked(s.conn)
		if !ok { // the system cannot tell: wait, and count on a reset closing the connection meanwhile
			select {
			case <-time.After(TCPAckFallback):
				return nil
			case <-s.out.Done():
				return errEnded
			}
		}
		if n == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-s.out.Done():
			return errEnded
		case <-timeout.C:
			return errors.New("not acknowledged by the peer in time")
		}
	}
}

// ended is called when the session is over: what the client
// acknowledged of its last page is removed; the rest stays held.
func (s *session) ended() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode != byAck || s.page == nil {
		return
	}
	var done []int64
	for _, id := range s.page.ids {
		if id <= s.acked {
			done = append(done, id)
		}
	}
	s.remove(done)
	s.page = nil
}
