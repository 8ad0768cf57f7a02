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
	"chatlab/shared/flow"
	"chatlab/shared/framing"
	"chatlab/shared/outbox"
	"chatlab/shared/server"
)

// LoginTimeout is how long the server waits, from the connection, for the
// answer to its prompt (the default of --login-timeout): the time a
// log-in may hold a connection. ChatLab's clients ask for the name before
// they connect, so they answer at once; with the original client a person
// types the name after the prompt, and an instructor may give them more
// time with --login-timeout. A client that has not answered in time gets
// an error object and the connection closes.
const LoginTimeout = cc.DefaultLoginTimeout

// NameQuiet is how long a bare name (with no newline: the original client)
// may pause before it is taken as whole. The original client sends its
// name with one send() and nothing more until it is welcomed, but TCP may
// deliver the name in two segments: the server reads on until the peer
// has been quiet this long, the name limit is passed, or the log-in time
// is up.
const NameQuiet = 150 * time.Millisecond

// maxAnswer bounds the answer to the prompt, in bytes: the original
// server read it with one recv(1024). A longer answer is cut there, and
// refused as a name over MaxNameLen.
const maxAnswer = 1024

// ShuttingDown is what every client, logged in or still at the prompt, is
// told when the server stops.
const ShuttingDown = "Server is shutting down."

// LegacyGap is the pause between two objects written to an original
// client. It parses each recv() as one whole object, so objects that
// arrive together (a welcome and a user list) would reach its user as raw
// JSON. It answers the prompt with a bare name, where ours ends the name
// with a newline: that is how the server knows.
const LegacyGap = 20 * time.Millisecond

// Registry holds the users logged in, in the order they came.
type Registry struct {
	log    *slog.Logger
	opts   Options
	limits cc.Limits
	budget *framing.Budget // the read budget of every session

	mu sync.Mutex
	// users are the users logged in (or logging in), by FoldName of
	// their names: names are unique whatever their case.
	users map[string]*member
	order []string // the names as typed, in the order they came
	// prompted are the connections still at the username prompt, so
	// that a shutdown tells them too.
	prompted map[net.Conn]struct{}
	closing  bool
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
	// NameQuiet is the pause that ends a bare name (default NameQuiet).
	NameQuiet time.Duration
	// Hold, if set, keeps an object for a user who is not online (bonus
	// 3's offline queue); it returns an error if it cannot.
	Hold func(to string, frame []byte) error
	// TooLarge is the error sent, before closing, for an object over
	// MaxObject (default: says the limit in bytes).
	TooLarge string
	// QueueBytes bounds each user's outbound queue (default
	// outbox.DefaultMaxBytes); it must hold at least one whole object.
	QueueBytes int
	// Flow is each connection's inbound flow control when the server's
	// flags give none (default cc.DefaultFlow; a stage with files:
	// cc.FileFlow). Its byte burst must stay well under QueueBytes.
	Flow *flow.Limit
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
	if opts.NameQuiet == 0 {
		opts.NameQuiet = NameQuiet
	}
	if opts.Flow == nil {
		opts.Flow = &cc.DefaultFlow
	}
	r := &Registry{log: log, opts: opts, users: make(map[string]*member), prompted: make(map[net.Conn]struct{}),
		budget: cc.Limits{}.NewBudget()}
	srv := server.New(r, log)
	srv.RegisterOnShutdown(r.shutdown)
	return srv, r
}

// SetLimits sets the limits the server's flags chose (cc.Serve calls it);
// zero fields keep their defaults. Call it before serving.
func (r *Registry) SetLimits(l cc.Limits) {
	r.limits = l
	r.budget = l.NewBudget()
}

// ReadBudget is the server-wide budget of bytes held in objects partly
// read (nil: none).
func (r *Registry) ReadBudget() *framing.Budget { return r.budget }

func (r *Registry) loginTimeout() time.Duration {
	if r.limits.LoginTimeout > 0 {
		return r.limits.LoginTimeout
	}
	return LoginTimeout
}

// Deliver queues a frame for the user called name, and reports whether
// the user is online and took it.
func (r *Registry) Deliver(name string, frame []byte) bool {
	r.mu.Lock()
	to, online := r.users[FoldName(name)]
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

// shutdown tells everyone the server is stopping, and closes their
// connections: the users once what is queued for them is written, the
// connections at the prompt at once.
func (r *Registry) shutdown() {
	frame := Notice(StatusSystem, ShuttingDown).Encode()
	r.mu.Lock()
	r.closing = true
	all := r.snapshot("")
	prompted := make([]net.Conn, 0, len(r.prompted))
	for c := range r.prompted {
		prompted = append(prompted, c)
	}
	r.mu.Unlock()
	for _, m := range all {
		m.out.Send(frame)
		m.out.CloseAfterFlush()
	}
	for _, c := range prompted {
		say(c, frame)
		c.Close() // its read of the name ends
	}
}

// sayWait bounds a write to a connection that has no outbox yet (at the
// prompt): the few bytes of a notice fit in any socket buffer, so only a
// peer that has read nothing at all could make it wait.
const sayWait = time.Second

// say writes frame to a connection that has no outbox yet.
func say(c net.Conn, frame []byte) {
	c.SetWriteDeadline(time.Now().Add(sayWait))
	c.Write(frame)
}

// snapshot returns everyone but except (a FoldName key). Call with r.mu
// held; send after releasing it.
func (r *Registry) snapshot(except string) []*member {
	out := make([]*member, 0, len(r.users))
	for key, m := range r.users {
		if key != except {
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
func (r *Registry) ServeConn(ctx context.Context, conn net.Conn) {
	log := r.log.With("remote", conn.RemoteAddr().String())
	name, rest, legacy, err := r.login(conn)
	if err != nil {
		conn.Close()
		log.Info("disconnected before logging in", "reason", err)
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

	key := FoldName(name)
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		out.Send(Notice(StatusSystem, ShuttingDown).Encode())
		end("server shutting down")
		return
	}
	if _, taken := r.users[key]; taken {
		r.mu.Unlock()
		out.Send(Notice(StatusError, "Username '%s' is already taken. Disconnecting...", name).Encode())
		end("name taken")
		return
	}
	// The name is taken from now on, and messages for it are not held as
	// for a user away; they wait until the log-in sequence is out.
	self := &member{out: out}
	r.users[key] = self
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
	others, list := r.snapshot(key), r.userList()
	r.mu.Unlock()
	r.sendAll(others, Notice(StatusSystem, "%s has joined the chat", name).Encode())
	r.sendAll(append(others, self), list)

	reason := r.session(ctx, name, &prefixed{Conn: conn, rest: rest}, out)

	r.mu.Lock()
	delete(r.users, key)
	r.order = slices.DeleteFunc(r.order, func(n string) bool { return n == name })
	others, list = r.snapshot(key), r.userList()
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

// errLoginTimeout is why a connection that gave no name in time was
// closed.
var errLoginTimeout = errors.New("no name in time")

// login sends the prompt and reads the answer within the log-in time. The
// connection is known, meanwhile, as one at the prompt, which a shutdown
// tells and closes. A client that gives no name in time is told so; the
// error says why the connection is to close, for the log.
func (r *Registry) login(conn net.Conn) (name string, rest []byte, legacy bool, err error) {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		say(conn, Notice(StatusSystem, ShuttingDown).Encode())
		return "", nil, false, errors.New("server shutting down")
	}
	r.prompted[conn] = struct{}{}
	r.mu.Unlock()

	timeout := r.loginTimeout()
	deadline := time.Now().Add(timeout)
	conn.SetDeadline(deadline)
	_, err = io.WriteString(conn, Prompt)
	if err == nil {
		name, rest, legacy, err = readName(conn, deadline, r.opts.NameQuiet)
	}
	conn.SetDeadline(time.Time{})

	r.mu.Lock()
	delete(r.prompted, conn)
	closing := r.closing
	r.mu.Unlock()
	var ne net.Error
	switch {
	case closing:
		// The shutdown found it at the prompt: it was told, and closed.
		return "", nil, false, errors.New("server shutting down")
	case errors.As(err, &ne) && ne.Timeout():
		say(conn, Notice(StatusError, "No username within %s. Disconnecting...", timeout).Encode())
		return "", nil, false, errLoginTimeout
	case err != nil:
		return "", nil, false, cc.Why(err)
	}
	return name, rest, legacy, nil
}

// readName reads the answer to the prompt until deadline. Ours ends the
// name with a newline; the original client sends it bare (legacy), with
// one send() that TCP may nevertheless deliver in pieces, so a bare name
// is read until the peer pauses for quiet (it sends nothing more until it
// is welcomed) or maxAnswer bytes have come. Whatever follows a newline
// (or starts with '{') already belongs to the JSON stream and is returned
// as rest. The name is trimmed of spaces.
func readName(conn net.Conn, deadline time.Time, quiet time.Duration) (name string, rest []byte, legacy bool, err error) {
	buf := make([]byte, 0, 64)
	chunk := make([]byte, 256)
	for {
		n, err := conn.Read(chunk[:min(len(chunk), maxAnswer-len(buf))])
		buf = append(buf, chunk[:n]...)
		if i := bytes.IndexAny(buf, "\n{"); i >= 0 {
			rest, legacy = buf[i:], true
			if buf[i] == '\n' {
				rest, legacy = buf[i+1:], false
			}
			return strings.TrimSpace(string(buf[:i])), rest, legacy, nil
		}
		var ne net.Error
		switch {
		case len(buf) >= maxAnswer:
			return strings.TrimSpace(string(buf)), nil, true, nil
		case len(buf) > 0 && errors.As(err, &ne) && ne.Timeout():
			// The peer paused after a bare name (or the log-in time is
			// up after one): it is whole.
			return strings.TrimSpace(string(buf)), nil, true, nil
		case errors.Is(err, io.EOF):
			return "", nil, false, errors.New("closed before giving a name")
		case err != nil:
			return "", nil, false, err
		}
		if len(buf) > 0 {
			if until := time.Now().Add(quiet); until.Before(deadline) {
				conn.SetReadDeadline(until)
			} else {
				conn.SetReadDeadline(deadline)
			}
		}
	}
}

// prefixed is a connection whose first bytes were read already (those
// after the name): they are read again first.
type prefixed struct {
	net.Conn
	rest []byte
}

func (p *prefixed) Read(b []byte) (int, error) {
	if len(p.rest) > 0 {
		n := copy(b, p.rest)
		p.rest = p.rest[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// session routes one user's messages until the user leaves, and says why.
// It reads them within the limits (an object begun must be finished in
// time, within the server's read budget), and handles each once the
// connection's flow control allows: a client that sends faster waits, and
// TCP slows it down.
func (r *Registry) session(ctx context.Context, name string, conn net.Conn, out *outbox.Outbox) error {
	in := r.limits.Reader(conn, r.budget)
	defer in.Release()
	objects := framing.NewJSONReader(in, r.opts.MaxObject)
	bucket := r.limits.Bucket(*r.opts.Flow)
	for {
		obj, err := objects.Next()
		switch {
		case errors.Is(err, framing.ErrFrameTimeout):
			out.Send(Notice(StatusError, "A message was begun but not finished in time. Disconnecting...").Encode())
			return err
		case errors.Is(err, framing.ErrBusy):
			out.Send(Notice(StatusError, "The server is too busy to take a message this long now; send it again later. Disconnecting...").Encode())
			return err
		case errors.Is(err, framing.ErrNotObject):
			if bucket.Wait(ctx, 1) != nil { // junk is a message too
				return errors.New("server shutting down")
			}
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
		if bucket.Wait(ctx, len(obj)) != nil {
			return errors.New("server shutting down")
		}
		if len(obj) > MaxText && !isFile(obj) {
			// Only a file may be larger (bonus 2 on, whose MaxObject is
			// a file's): a text that long is refused whole. The reader
			// cannot know the kind of an object before its end, since
			// "type" may come last; the object was held, within
			// MaxObject, the frame time and the read budget, as a file
			// would have been.
			out.Send(Notice(StatusError, "A message is at most %d bytes; that one has %d and was not sent.", MaxText, len(obj)).Encode())
			continue
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

// isFile reports whether obj is a file object ("type": "file"), reading
// only its type: a long object is not decoded whole to learn that it is
// too long.
func isFile(obj []byte) bool {
	var kind struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(obj, &kind) == nil && kind.Type == "file"
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
