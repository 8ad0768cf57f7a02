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

// OfflineNotice is the object before the held messages. Ack, a key the
// original client ignores, tells ChatLab's client that the server takes
// acknowledgements.
type OfflineNotice struct {
	Status  string `json:"status"` // "offline_messages"
	Count   int    `json:"count"`
	Message string `json:"message"`
	Ack     bool   `json:"ack,omitempty"`
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
	// HelloWait is how long the server waits for a ChatLab client to
	// answer the offline_messages notice with an ack, which says it
	// acknowledges what it handles; one that does not is treated as the
	// original client.
	HelloWait = time.Second
	// ackPoll is how often a delivery asks the socket whether the peer
	// acknowledged what was written.
	ackPoll = 2 * time.Millisecond
	// peekBytes is how much of what waits on a socket a delivery looks
	// at for acknowledgements (thousands of them).
	peekBytes = 256 << 10
	// RemoveRetry is how often the server retries removing held messages
	// that were received but could not be removed (a full disk, a store
	// made read-only), while there are some.
	RemoveRetry = 2 * time.Second
	// removeChunk bounds the messages one retried removal takes in one
	// transaction.
	removeChunk = 1000
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
	// MaxGroupsPerAddress bounds the groups created from one address
	// that still exist (--max-groups-per-address). A name costs nothing
	// (there are no accounts), so the bound per user alone would let one
	// machine log in as 50 names and take every group the server may
	// hold, for good: groups survive restarts and absent members keep
	// them. An address costs more. The bound is the creator's IP
	// address (for IPv6, its /64, the block one host is usually given),
	// kept with the group; a classroom on one machine, where everyone
	// is 127.0.0.1, still has 200 groups, and it takes five addresses
	// to fill MaxGroups.
	MaxGroupsPerAddress = 200
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
	def(&l.MaxPerOrigin, MaxGroupsPerAddress)
	l.TextOnly = true
	d := &deliveries{log: log, store: store, sessions: make(map[string][]*session), undone: make(map[string]map[int64]bool)}
	l.Origin = d.origin
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
	srv.RegisterOnShutdown(d.stop)
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

	// undone holds, by folded recipient, the ids of held messages that
	// were received (acknowledged, by the client or its TCP) but whose
	// removal failed: a full disk, a store made read-only. Delivering
	// them again at every log-in would repeat them without end, so they
	// are not delivered again while the server runs, and their removal
	// is retried every RemoveRetry until it succeeds. They stay in the
	// store meanwhile, so a restart delivers them once more (at least
	// once). The set is bounded by what the store holds.
	umu     sync.Mutex
	undone  map[string]map[int64]bool
	retry   *time.Timer // armed while undone holds ids
	stopped bool        // the server shut down: no more retries
}

// failed records ids, received by name, whose removal failed.
func (d *deliveries) failed(name string, ids []int64) {
	key := task4.FoldName(name)
	d.umu.Lock()
	defer d.umu.Unlock()
	if d.undone[key] == nil {
		d.undone[key] = make(map[int64]bool)
	}
	for _, id := range ids {
		d.undone[key][id] = true
	}
	if d.retry == nil && !d.stopped {
		d.retry = time.AfterFunc(RemoveRetry, d.retryRemovals)
	}
}

// retryRemovals removes the messages whose removal failed, a chunk at a
// time, until a removal fails again (then it tries again after
// RemoveRetry) or none is left.
func (d *deliveries) retryRemovals() {
	d.umu.Lock()
	defer d.umu.Unlock()
	d.retry = nil
	if d.stopped {
		return
	}
	removed := 0
	for key, ids := range d.undone {
		chunk := make([]int64, 0, min(len(ids), removeChunk))
		for id := range ids {
			chunk = append(chunk, id)
			if len(chunk) == removeChunk || len(chunk) == len(ids) {
				if err := d.store.Delete(chunk...); err != nil {
					d.log.Debug("removing delivered offline messages failed again", "err", err)
					if removed > 0 {
						d.log.Info("delivered offline messages removed at last", "count", removed)
					}
					d.retry = time.AfterFunc(RemoveRetry, d.retryRemovals)
					return
				}
				for _, id := range chunk {
					delete(ids, id)
				}
				removed += len(chunk)
				chunk = chunk[:0]
			}
		}
		delete(d.undone, key)
	}
	d.log.Info("delivered offline messages removed at last", "count", removed)
}

// stop ends the retries, when the server shuts down.
func (d *deliveries) stop() {
	d.umu.Lock()
	defer d.umu.Unlock()
	d.stopped = true
	if d.retry != nil {
		d.retry.Stop()
		d.retry = nil
	}
}

// count returns how many held messages name has not received.
func (d *deliveries) count(name string) (int, error) {
	d.umu.Lock()
	defer d.umu.Unlock()
	n, err := d.store.Count(name)
	return n - len(d.undone[task4.FoldName(name)]), err
}

// unreceived returns the items name has not received.
func (d *deliveries) unreceived(name string, items []Item) []Item {
	d.umu.Lock()
	defer d.umu.Unlock()
	done := d.undone[task4.FoldName(name)]
	if len(done) == 0 {
		return items
	}
	out := items[:0:0]
	for _, it := range items {
		if !done[it.ID] {
			out = append(out, it)
		}
	}
	return out
}

// How a session's held messages leave the store.
const (
	byTCP = iota // once the peer's TCP stack acknowledged their bytes
	byAck        // once the client acknowledged them
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
	last  int64 // the id of the last held message written or passed over
	acked int64 // the highest id the client acknowledged
}

// page is a set of held messages written together.
type page struct {
	ids     []int64
	written chan struct{} // one per message, once written to the socket
}

func (p *page) lastID() int64 { return p.ids[len(p.ids)-1] }

func (d *deliveries) current(name string) *session {
	d.mu.Lock()
	defer d.mu.Unlock()
	if all := d.sessions[task4.FoldName(name)]; len(all) > 0 {
		return all[len(all)-1]
	}
	return nil
}

// origin is the address name is connected from, as groups count it:
// its IP address, or for IPv6 its /64. "" if name is not logged in.
func (d *deliveries) origin(name string) string {
	s := d.current(name)
	if s == nil {
		return ""
	}
	return addressOf(s.conn.RemoteAddr())
}

// addressOf is an IP address, or an IPv6 address's /64 (the block a host
// is usually given: one host could use every address in it).
func addressOf(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := tcp.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return (&net.IPNet{IP: tcp.IP.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
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

// greet delivers name's held messages after the welcome, page by page,
// each page removed once received: acknowledged by the client if it
// acknowledges (it answers the offline_messages notice with an ack), or
// else by its TCP stack. The log-in sequence waits for them, so that they
// come before the help; if a client that acknowledges is slower than
// DeliverWait, the rest follows its acknowledgements later.
func (d *deliveries) greet(name string, out *outbox.Outbox) {
	s := d.current(name)
	if s == nil {
		return
	}
	s.out = out
	n, err := d.count(name)
	if err != nil {
		s.log.Error("reading the offline queue", "err", err)
		return
	}
	if n == 0 {
		return
	}
	notice, _ := json.Marshal(OfflineNotice{Status: "offline_messages", Count: n,
		Message: fmt.Sprintf("You have %d offline message(s)", n), Ack: true})
	out.Send(append(notice, '\n'))
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.legacy && s.hello() {
		s.mode = byAck
	}
	for s.sendPage() {
		var err error
		if s.mode == byAck {
			err = s.waitAcked(s.page)
		} else {
			err = s.waitReceived(s.page)
		}
		if err != nil {
			s.log.Warn("offline messages not acknowledged during the log-in", "reason", err, "mode", s.mode)
			return
		}
		s.remove(s.page.ids)
	}
	s.log.Info("offline messages delivered", "count", n)
}

// handle takes a client's acknowledgements, and refuses a direct message
// to a name that never logged in.
func (d *deliveries) handle(name string, req task4.Request, raw []byte, out *outbox.Outbox) bool {
	if req.Type == "ack" {
		var a Ack
		if s := d.current(name); s != nil && json.Unmarshal(raw, &a) == nil {
			s.ack(a.Upto)
		}
		return true
	}
	if req.Text != "" && task4.CheckName(req.Receiver) == "" && d.current(req.Receiver) == nil && !d.store.Known(req.Receiver) {
		out.Send(task4.Notice(task4.StatusError, "User '%s' is not known", req.Receiver).Encode())
		return true
	}
	return false
}

// sendPage writes the next page of held messages, each with its id, and
// reports whether there was one. Call with s.mu held.
func (s *session) sendPage() bool {
	s.page = nil
	var items []Item
	for len(items) == 0 {
		all, err := s.d.store.Page(s.name, s.last, MaxInFlight, MaxInFlightBytes)
		if err != nil {
			s.log.Error("reading the offline queue", "err", err)
			return false
		}
		if len(all) == 0 {
			return false
		}
		s.last = all[len(all)-1].ID
		items = s.d.unreceived(s.name, all) // none of a page may be left
	}
	p := &page{written: make(chan struct{}, len(items))}
	for _, it := range items {
		p.ids = append(p.ids, it.ID)
		s.out.SendThen(addKey(it.Frame, fmt.Sprintf(`"id":%d`, it.ID)), func() { p.written <- struct{}{} })
	}
	s.page = p
	return true
}

// ack takes the client's acknowledgement, read by the session, of every
// held message up to upto: once the page is wholly acknowledged it is
// removed, in one transaction, and the next one written. (Acknowledgements
// read during the log-in were seen there already.)
func (s *session) ack(upto int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acked = max(s.acked, upto)
	if s.mode != byAck || s.page == nil || s.acked < s.page.lastID() {
		return
	}
	s.remove(s.page.ids)
	s.sendPage()
}

// remove removes received messages. If it cannot, it logs why, and the
// server remembers them: they are not delivered again while it runs, and
// their removal is retried. Call with s.mu held.
func (s *session) remove(ids []int64) {
	if err := s.d.store.Delete(ids...); err != nil {
		s.log.Error("removing delivered offline messages failed: they are not delivered again while the server runs, "+
			"and their removal is retried (a restart before it succeeds delivers them once more)",
			"count", len(ids), "err", err)
		s.d.failed(s.name, ids)
	}
}

var (
	errEnded    = errors.New("the connection ended")
	errLate     = errors.New("not acknowledged in time")
	errPeekFull = errors.New("more acknowledgements wait than can be looked at")
)

// hello reports whether the client answers the offline_messages notice
// with an ack (ChatLab's client does, at once), looking at what waits on
// the socket, without taking it, for up to HelloWait.
func (s *session) hello() bool {
	found := false
	s.watch(HelloWait, func(objects [][]byte) bool {
		if len(objects) > 0 {
			var a Ack
			found = json.Unmarshal(objects[0], &a) == nil && a.Type == "ack"
			return true
		}
		return false
	})
	return found
}

// waitAcked waits until the client acknowledged the whole of p, looking
// at the acknowledgements waiting on the socket (the session reads them
// later, and finds them seen).
func (s *session) waitAcked(p *page) error {
	return s.watch(DeliverWait, func(objects [][]byte) bool {
		for _, o := range objects {
			var a Ack
			if json.Unmarshal(o, &a) == nil && a.Type == "ack" {
				s.acked = max(s.acked, a.Upto)
			}
		}
		return s.acked >= p.lastID()
	})
}

// watch gives done the whole objects waiting on the socket, each once,
// every ackPoll, until done says so, the connection ends, or wait passes.
// (Nothing reads the socket meanwhile: what waits only grows.)
func (s *session) watch(wait time.Duration, done func(objects [][]byte) bool) error {
	buf := make([]byte, peekBytes)
	seen := 0 // the bytes of the objects done was given
	deadline := time.Now().Add(wait)
	for {
		n, ended, ok := peek(s.conn, buf)
		if !ok {
			return errLate // the system cannot tell: as if nothing came
		}
		if n < seen {
			seen = 0
		}
		objects, used := wholeObjects(buf[seen:n])
		seen += used
		if done(objects) {
			return nil
		}
		switch {
		case ended:
			return errEnded
		case n == len(buf):
			return errPeekFull
		case time.Now().After(deadline):
			return errLate
		}
		time.Sleep(ackPoll)
	}
}

// wholeObjects splits data into the JSON objects it begins with, leaving
// out a last one not yet whole, and returns how many bytes they took.
func wholeObjects(data []byte) ([][]byte, int) {
	var out [][]byte
	dec := json.NewDecoder(bytes.NewReader(data))
	used := 0
	for {
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return out, used
		}
		out = append(out, raw)
		used = int(dec.InputOffset())
	}
}

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
			return errLate
		}
	}
	for {
		n, reset, ok := unacked(s.conn)
		if reset {
			return errEnded
		}
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
		case <-time.After(ackPoll):
		case <-s.out.Done():
			return errEnded
		case <-timeout.C:
			return errLate
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
