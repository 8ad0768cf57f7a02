package workload

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"reflect"
	"strings"
	"time"

	"chatlab/chat-v1/proto"
)

// StepTimeout bounds the wait for what one step must deliver.
const StepTimeout = 10 * time.Second

// Config says how to reach the server and whom to tell about each step.
type Config struct {
	// Addr is the server's (or a relay's) address.
	Addr string
	// Codec is the stage's encoding.
	Codec proto.Codec
	// TLS, if set, makes every client speak TLS with this configuration.
	TLS *tls.Config
	// StepTimeout bounds each step's wait (default StepTimeout).
	StepTimeout time.Duration
	// OnStep, if set, is called before step i sends its first byte.
	OnStep func(i int, a Action)
	// OnClosed, if set, is called after a client closed its connection
	// (in a log-out step), with the client's address as the server sees
	// it; it may wait for the server's side of the close to finish.
	OnClosed func(ctx context.Context, local string) error
}

// Session is one connection of one user, from its log-in to its log-out.
type Session struct {
	User   int
	Name   string
	Local  string // the client's address, as a peer sees it
	Login  int    // the step of the log-in
	Logout int    // the step of the log-out
	// Sent and Received are the messages of the session, in order.
	Sent, Received []proto.Message
	// TLS is what the handshake negotiated (zero without TLS).
	TLS tls.ConnectionState
}

// Result is what a run did: every session, in the order they began.
type Result struct {
	Sessions []*Session
}

// client is one user's live connection.
type client struct {
	conn    net.Conn // the TLS connection, or the TCP one
	session *Session
	in      chan received
	stop    chan struct{} // closed to stop the reader
	done    chan struct{} // closed when the reader has ended
}

type received struct {
	msg proto.Message
	err error
}

// Run drives script against cfg.Addr, one step at a time, and checks
// every message received against the model. It returns the sessions with
// every message sent and received.
func Run(ctx context.Context, script Script, cfg Config) (*Result, error) {
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = StepTimeout
	}
	r := &runner{cfg: cfg, script: script, model: NewModel(script.Users), clients: make([]*client, len(script.Users))}
	defer r.closeAll()
	for i, a := range script.Actions {
		if err := r.step(ctx, i, a); err != nil {
			return nil, fmt.Errorf("step %d (%s): %w", i, a.Describe(script.Users), err)
		}
	}
	return &Result{Sessions: r.sessions}, nil
}

type runner struct {
	cfg      Config
	script   Script
	model    *Model
	clients  []*client // by user; nil when offline
	sessions []*Session
}

func (r *runner) step(ctx context.Context, i int, a Action) error {
	if err := r.model.Check(a); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.StepTimeout)
	defer cancel()
	if r.cfg.OnStep != nil {
		r.cfg.OnStep(i, a)
	}
	req := r.model.Request(a)
	want := r.model.Apply(a)
	switch a.Op {
	case OpLogin:
		c, err := r.dial(ctx, i, a.User)
		if err != nil {
			return err
		}
		r.clients[a.User] = c
	case OpLogout:
		c := r.clients[a.User]
		r.clients[a.User] = nil
		c.session.Logout = i
		c.close()
		if err := c.leftovers(); err != nil {
			return err
		}
		if r.cfg.OnClosed != nil {
			if err := r.cfg.OnClosed(ctx, c.session.Local); err != nil {
				return err
			}
		}
	}
	if req != nil {
		if err := r.clients[a.User].send(r.cfg.Codec, req, r.cfg.StepTimeout); err != nil {
			return err
		}
	}
	// The actor first: its answer tells soonest whether the server
	// understood the step as the model did.
	order := append([]int{a.User}, r.model.Online()...)
	for k, u := range order {
		c := r.clients[u]
		if c == nil || (k > 0 && u == a.User) {
			continue
		}
		if err := c.expect(ctx, want[u]); err != nil {
			return fmt.Errorf("%s: %w", r.script.Users[u], err)
		}
	}
	for u, c := range r.clients {
		if c == nil {
			continue
		}
		if err := c.leftovers(); err != nil {
			return fmt.Errorf("%s: %w", r.script.Users[u], err)
		}
	}
	return nil
}

// dial connects user u (through TLS if configured) and starts its reader.
func (r *runner) dial(ctx context.Context, step, u int) (*client, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", r.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnection, r.script.Users[u], err)
	}
	s := &Session{User: u, Name: r.script.Users[u], Local: raw.LocalAddr().String(), Login: step, Logout: -1}
	conn := raw
	if r.cfg.TLS != nil {
		tc := tls.Client(raw, r.cfg.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("%w: %s: TLS handshake: %w", ErrConnection, s.Name, err)
		}
		s.TLS = tc.ConnectionState()
		conn = tc
	}
	r.sessions = append(r.sessions, s)
	c := &client{conn: conn, session: s, in: make(chan received, 64), stop: make(chan struct{}), done: make(chan struct{})}
	go c.read(r.cfg.Codec)
	return c, nil
}

func (c *client) read(codec proto.Codec) {
	defer close(c.done)
	dec := codec.NewDecoder(c.conn, proto.ServerToClient)
	for {
		var r received
		r.err = dec.Decode(&r.msg)
		select {
		case c.in <- r:
		case <-c.stop: // a server that floods us: nobody is listening any more
			return
		}
		if r.err != nil {
			return
		}
	}
}

// close closes the connection and waits for the reader to end.
func (c *client) close() {
	close(c.stop)
	c.conn.Close()
	<-c.done
}

func (c *client) send(codec proto.Codec, m *proto.Message, timeout time.Duration) error {
	b, err := codec.Append(nil, m, proto.ClientToServer)
	if err != nil {
		return fmt.Errorf("encode %s: %w", m.Kind, err)
	}
	c.conn.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.conn.Write(b); err != nil {
		return fmt.Errorf("%w: write %s: %w", ErrConnection, m.Kind, err)
	}
	c.session.Sent = append(c.session.Sent, *m)
	return nil
}

// expect takes the next len(want) messages and checks each.
func (c *client) expect(ctx context.Context, want []proto.Message) error {
	for _, w := range want {
		select {
		case got := <-c.in:
			if got.err != nil {
				return fmt.Errorf("%w: waiting for %s: %w", ErrConnection, Format(&w), got.err)
			}
			if !Equal(&got.msg, &w) {
				return fmt.Errorf("%w: got %s, want %s", ErrMismatch, Format(&got.msg), Format(&w))
			}
			c.session.Received = append(c.session.Received, got.msg)
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for %s: %w", ErrNoMessage, Format(&w), ctx.Err())
		}
	}
	return nil
}

// leftovers reports a message that arrived although the model expected
// none. (After a close, the reader's own end is not one.)
func (c *client) leftovers() error {
	for {
		select {
		case got := <-c.in:
			if got.err != nil {
				continue
			}
			return fmt.Errorf("%w: %s", ErrMismatch, Format(&got.msg))
		default:
			return nil
		}
	}
}

func (r *runner) closeAll() {
	for u, c := range r.clients {
		if c != nil {
			c.close()
			r.clients[u] = nil
		}
	}
}

// Equal reports whether two messages are the same (an empty list and no
// list are the same).
func Equal(a, b *proto.Message) bool {
	x, y := *a, *b
	for _, m := range []*proto.Message{&x, &y} {
		if len(m.Users) == 0 {
			m.Users = nil
		}
		if len(m.Rooms) == 0 {
			m.Rooms = nil
		}
	}
	return reflect.DeepEqual(x, y)
}

// Format shows a message's kind and the fields it carries.
func Format(m *proto.Message) string {
	var f []string
	add := func(k string, v any) { f = append(f, fmt.Sprintf("%s=%v", k, v)) }
	switch m.Kind {
	case proto.KindLogin:
		add("username", m.Username)
	case proto.KindLoginAck:
		add("username", m.Username)
		add("room", m.Room)
	case proto.KindLoginReject:
		add("reason", m.Reason)
		add("text", fmt.Sprintf("%q", m.Text))
	case proto.KindRoomMsg, proto.KindPrivateMsg:
		for _, kv := range [][2]string{{"room", m.Room}, {"from", m.From}, {"to", m.To}} {
			if kv[1] != "" {
				add(kv[0], kv[1])
			}
		}
		add("text", fmt.Sprintf("%q", m.Text))
	case proto.KindPrivateMsgDelivery:
		add("status", m.Status)
		add("to", m.To)
	case proto.KindJoinRoom:
		add("room", m.Room)
		add("created", m.Created)
	case proto.KindListUsers:
		add("room", m.Room)
		add("users", m.Users)
	case proto.KindListRooms:
		add("rooms", m.Rooms)
	case proto.KindSystemMsg, proto.KindErrorMsg:
		if m.Kind == proto.KindErrorMsg {
			add("code", m.Code)
		}
		add("text", fmt.Sprintf("%q", m.Text))
	case proto.KindRoomMsgAck:
		add("room", m.Room)
		add("recipients", m.Recipients)
	}
	return m.Kind.String() + "{" + strings.Join(f, " ") + "}"
}
