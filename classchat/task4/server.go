package task4

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/framing"
	"chatlab/shared/outbox"
	"chatlab/shared/server"
)

// NameWait is how long the server waits for a name: a person is typing it.
const NameWait = 5 * time.Minute

// LegacyGap is the pause between two objects written to an original
// client. It parses each recv() as one whole object, so objects that
// arrive together (a welcome and a user list) would reach its user as raw
// JSON. It answers the prompt with a bare name, where ours ends the name
// with a newline: that is how the server knows.
const LegacyGap = 20 * time.Millisecond

// Registry holds the users logged in, in the order they came.
type Registry struct {
	log  *slog.Logger
	opts Options

	mu      sync.Mutex
	users   map[string]*member
	order   []string
	closing bool
}

// member is a user in the registry. Until its log-in sequence is queued
// (the welcome, then what Options.Greet sends: the help, bonus 3's held
// messages), what others send it waits in pending, so that nothing
// overtakes that sequence: the original client takes the first object
// after its name for the answer to its log-in.
type member struct {
	out          *outbox.Outbox
	ready        bool     // the log-in sequence is queued
	pending      [][]byte // frames for it until then, in order
	pendingBytes int
}

// putAside keeps frame for m, which is logging in, and reports whether it
// fits: what waits is bounded as an outbox is, and a user who would pass
// the bound is cut off (the caller closes its outbox, after unlocking).
// Call with r.mu held.
func (r *Registry) putAside(m *member, frame []byte) bool {
	limit := r.opts.QueueBytes
	if limit == 0 {
		limit = outbox.DefaultMaxBytes
	}
	if m.pendingBytes+len(frame) > limit {
		return false
	}
	m.pending = append(m.pending, frame)
	m.pendingBytes += len(frame)
	return true
}

// Options extend the task 4 server for the stages built on it (the
// bonuses): each adds what it teaches through these, and nothing else.
type Options struct {
	// Welcome is the welcome message's format, given the user's name.
	Welcome string
	// Greet sends what follows the welcome (bonus 1: the commands).
	Greet func(name string, out *outbox.Outbox)
	// Handle is offered every request before the direct-message routing
	// of task 4; it returns true if it answered it. raw is the object.
	Handle func(name string, req Request, raw []byte, out *outbox.Outbox) bool
	// Left is called when a user has left.
	Left func(name string)
	// MaxObject bounds one object from a client (default MaxObject).
	MaxObject int
	// Hold, if set, keeps an object for a user who is not online (bonus
	// 3's offline queue); it returns an error if it cannot.
	Hold func(to string, frame []byte) error
	// TooLarge is the error sent, before closing, for an object over
	// MaxObject (default: says the limit in bytes).
	TooLarge string
	// QueueBytes bounds each user's outbound queue (default
	// outbox.DefaultMaxBytes); it must hold at least one whole object.
	QueueBytes int
	// LoggedIn, if set, is called once a user's log-in is accepted,
	// before Greet, with the connection and whether the client is an
	// original one (it sent its name with no newline). Bonus 3 asks the
	// connection how much of what was written the peer's TCP has
	// acknowledged.
	LoggedIn func(name string, conn net.Conn, original bool)
}

// New returns a task 4 server.
func New(log *slog.Logger) *server.Server {
	srv, _ := NewRegistry(log, Options{})
	return srv
}

// NewRegistry returns a server and the registry it runs.
func NewRegistry(log *slog.Logger, opts Options) (*server.Server, *Registry) {
	if opts.Welcome == "" {
		opts.Welcome = "Welcome %s! You are now connected to ClassChat."
	}
	if opts.MaxObject == 0 {
		opts.MaxObject = MaxObject
	}
	r := &Registry{log: log, opts: opts, users: make(map[string]*member)}
	srv := server.New(r, log)
	srv.RegisterOnShutdown(r.shutdown)
	return srv, r
}

// Deliver queues a frame for the user called name, and reports whether
// the user is online and took it.
func (r *Registry) Deliver(name string, frame []byte) bool {
	r.mu.Lock()
	to, online := r.users[name]
	if online && !to.ready {
		kept := r.putAside(to, frame)
		r.mu.Unlock()
		if !kept {
			to.out.Close(outbox.ErrSlowConsumer)
		}
		return kept
	}
	r.mu.Unlock()
	return online && to.out.Send(frame) == nil
}

// Outcome is what became of a frame for a user.
type Outcome int

// Outcomes of DeliverOrHold.
const (
	NotConnected Outcome = iota // offline, and nothing holds messages
	Delivered                   // queued on the user's connection
	Held                        // kept for when the user logs in
	HoldFailed                  // offline, and the hold refused it
)

// DeliverOrHold delivers a frame to an online user, or, if the server
// holds messages for absent users (Options.Hold), keeps it for them.
func (r *Registry) DeliverOrHold(name string, frame []byte) (Outcome, error) {
	if r.Deliver(name, frame) {
		return Delivered, nil
	}
	if r.opts.Hold == nil {
		return NotConnected, nil
	}
	if err := r.opts.Hold(name, frame); err != nil {
		return HoldFailed, err
	}
	return Held, nil
}

func (r *Registry) shutdown() {
	frame := Notice(StatusSystem, "Server is shutting down.").Encode()
	r.mu.Lock()
	r.closing = true
	all := r.snapshot("")
	r.mu.Unlock()
	for _, m := range all {
		m.out.Send(frame)
		m.out.CloseAfterFlush()
	}
}

// snapshot returns everyone but except. Call with r.mu held; send after
// releasing it.
func (r *Registry) snapshot(except string) []*member {
	out := make([]*member, 0, len(r.users))
	for name, m := range r.users {
		if name != except {
			out = append(out, m)
		}
	}
	return out
}

// sendAll sends frame to each of to. Nothing is sent while the registry
// is locked: only the frames for users still logging in are put aside
// under the lock.
func (r *Registry) sendAll(to []*member, frame []byte) {
	ready := make([]*outbox.Outbox, 0, len(to))
	var cut []*outbox.Outbox
	r.mu.Lock()
	for _, m := range to {
		switch {
		case m.ready:
			ready = append(ready, m.out)
		case !r.putAside(m, frame):
			cut = append(cut, m.out)
		}
	}
	r.mu.Unlock()
	for _, o := range ready {
		o.Send(frame)
	}
	for _, o := range cut {
		o.Close(outbox.ErrSlowConsumer)
	}
}

// loggedIn marks m's log-in sequence queued: what waited for it follows,
// and from then on frames go straight to its connection.
func (r *Registry) loggedIn(m *member) {
	for {
		r.mu.Lock()
		frames := m.pending
		m.pending, m.pendingBytes = nil, 0
		if len(frames) == 0 {
			m.ready = true
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		for _, f := range frames { // what came meanwhile is put aside again, after these
			m.out.Send(f)
		}
	}
}

// ServeConn runs one client's session; it implements server.Handler.
func (r *Registry) ServeConn(_ context.Context, conn net.Conn) {
	log := r.log.With("remote", conn.RemoteAddr().String())
	conn.SetDeadline(time.Now().Add(NameWait))
	_, err := io.WriteString(conn, Prompt)
	var name string
	var rest []byte
	legacy := false
	if err == nil {
		name, rest, legacy, err = readName(conn)
	}
	conn.SetDeadline(time.Time{})
	if err != nil {
		conn.Close()
		log.Info("disconnected before logging in", "reason", cc.Why(err))
		return
	}
	cfg := outbox.Config{MaxBytes: r.opts.QueueBytes}
	if legacy {
		cfg.OnePerWrite, cfg.Gap = true, LegacyGap
	}
	out := outbox.New(conn, cfg)
	end := func(reason any) {
		out.CloseAfterFlush()
		<-out.Done()
		log.Info("disconnected", "reason", reason)
	}
	log = log.With("user", name, "original_client", legacy)
	if problem := CheckName(name); problem != "" {
		out.Send(Notice(StatusError, "Invalid username '%s': %s. Disconnecting...", name, problem).Encode())
		end("invalid name")
		return
	}

	r.mu.Lock()
	if _, taken := r.users[name]; taken || r.closing {
		r.mu.Unlock()
		out.Send(Notice(StatusError, "Username '%s' is already taken. Disconnecting...", name).Encode())
		end("name taken")
		return
	}
	// The name is taken from now on, and messages for it are not held as
	// for a user away; they wait until the log-in sequence is out.
	self := &member{out: out}
	r.users[name] = self
	r.order = append(r.order, name)
	r.mu.Unlock()

	log.Info("login")
	out.Send(Notice(StatusSuccess, r.opts.Welcome, name).Encode())
	if r.opts.LoggedIn != nil {
		r.opts.LoggedIn(name, conn, legacy)
	}
	if r.opts.Greet != nil {
		r.opts.Greet(name, out)
	}
	r.loggedIn(self)
	r.mu.Lock()
	others, list := r.snapshot(name), r.userList()
	r.mu.Unlock()
	r.sendAll(others, Notice(StatusSystem, "%s has joined the chat", name).Encode())
	r.sendAll(append(others, self), list)

	reason := r.session(name, io.MultiReader(bytes.NewReader(rest), conn), out)

	r.mu.Lock()
	delete(r.users, name)
	r.order = slices.DeleteFunc(r.order, func(n string) bool { return n == name })
	others, list = r.snapshot(name), r.userList()
	r.mu.Unlock()
	if r.opts.Left != nil {
		r.opts.Left(name)
	}
	r.sendAll(others, Notice(StatusSystem, "%s has left the chat", name).Encode())
	r.sendAll(others, list)
	if err := out.Err(); err != nil {
		reason = err
	}
	end(reason)
}

// userList is the user_list object. Call with r.mu held.
func (r *Registry) userList() []byte {
	return Reply{Status: StatusUserList, Users: slices.Clone(r.order)}.Encode()
}

// readName reads the answer to the prompt: like the original server, the
// first chunk that arrives. The original client sends the bare name with
// no newline (legacy); ours ends it with one. Whatever follows a newline
// (or starts with '{') already belongs to the JSON stream and is returned
// as rest.
func readName(conn net.Conn) (name string, rest []byte, legacy bool, err error) {
	buf := make([]byte, 1024)
	n, err := conn.Read(buf)
	if n == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("closed before giving a name")
		}
		return "", nil, false, err
	}
	chunk := buf[:n]
	legacy = true
	if i := bytes.IndexAny(chunk, "\n{"); i >= 0 {
		rest = chunk[i:]
		if chunk[i] == '\n' {
			rest, legacy = chunk[i+1:], false
		}
		chunk = chunk[:i]
	}
	return strings.TrimSpace(string(chunk)), rest, legacy, nil
}

// session routes one user's messages until the user leaves, and says why.
func (r *Registry) session(name string, in io.Reader, out *outbox.Outbox) error {
	objects := framing.NewJSONReader(in, r.opts.MaxObject)
	for {
		obj, err := objects.Next()
		switch {
		case errors.Is(err, framing.ErrNotObject):
			out.Send(Notice(StatusError, InvalidFormat).Encode())
			continue
		case errors.Is(err, framing.ErrObjectTooLarge):
			text := r.opts.TooLarge
			if text == "" {
				text = fmt.Sprintf("A message is at most %d bytes. Disconnecting...", r.opts.MaxObject)
			}
			out.Send(Notice(StatusError, "%s", text).Encode())
			return err
		case err != nil:
			return cc.Why(err)
		}
		var req Request
		if json.Unmarshal(obj, &req) != nil {
			out.Send(Notice(StatusError, InvalidFormat).Encode())
			continue
		}
		if r.opts.Handle != nil && r.opts.Handle(name, req, obj, out) {
			continue
		}
		r.route(name, req, out)
	}
}

// route delivers a direct message from name (whatever the request claims)
// and confirms it, or says why it could not.
func (r *Registry) route(name string, req Request, out *outbox.Outbox) {
	if req.Text == "" {
		out.Send(Notice(StatusError, "Message text is empty.").Encode())
		return
	}
	if problem := CheckName(req.Receiver); problem != "" {
		out.Send(Notice(StatusError, "User '%s' is not connected.", req.Receiver).Encode())
		return
	}
	msg := Reply{Status: StatusMessage, Sender: name, Receiver: req.Receiver, Text: req.Text}.Encode()
	switch outcome, err := r.DeliverOrHold(req.Receiver, msg); outcome {
	case NotConnected:
		out.Send(Notice(StatusError, "User '%s' is not connected.", req.Receiver).Encode())
		return
	case Held:
		out.Send(Notice(StatusSent, "Message queued for %s (currently offline)", req.Receiver).Encode())
		return
	case HoldFailed:
		out.Send(Notice(StatusError, "Message not queued for %s: %v", req.Receiver, err).Encode())
		return
	}
	r.log.Debug("message", "from", name, "to", req.Receiver)
	out.Send(Notice(StatusSent, "Message delivered to %s", req.Receiver).Encode())
}
