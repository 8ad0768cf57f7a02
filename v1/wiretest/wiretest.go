// Package wiretest drives ChatProto servers on the wire in tests. It binds
// the shared harness (chatlab/shared/chattest) to the message model, and
// holds Suite: the rules of docs/protocol.md §1 and every command, written once and
// run by every stage against its own server, encoding and transport.
package wiretest

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/proto"
	"chatlab/shared/chattest"
)

// Client is a scripted client speaking the message model.
type Client = chattest.Conn[proto.Message]

// Codec adapts a proto.Codec to the harness: clients encode client-to-server
// messages and decode server-to-client ones.
func Codec(c proto.Codec) chattest.Codec[proto.Message] {
	return chattest.Codec[proto.Message]{
		Encode: func(m proto.Message) ([]byte, error) {
			return c.Append(nil, &m, proto.ClientToServer)
		},
		NewDecoder: func(r io.Reader) func() (proto.Message, error) {
			dec := c.NewDecoder(r, proto.ServerToClient)
			return func() (proto.Message, error) {
				var m proto.Message
				err := dec.Decode(&m)
				return m, err
			}
		},
		Format: Format,
	}
}

// Format renders a message compactly for failure reports.
func Format(m proto.Message) string {
	var b strings.Builder
	b.WriteString(m.Kind.String())
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
	}
	add("username", m.Username)
	add("room", m.Room)
	add("from", m.From)
	add("to", m.To)
	add("text", m.Text)
	switch m.Kind {
	case proto.KindLoginReject:
		fmt.Fprintf(&b, " reason=%s", m.Reason)
	case proto.KindPrivateMsgDelivery:
		fmt.Fprintf(&b, " status=%s", m.Status)
	case proto.KindErrorMsg:
		fmt.Fprintf(&b, " code=%s", m.Code)
	case proto.KindJoinRoom:
		fmt.Fprintf(&b, " created=%v", m.Created)
	case proto.KindRoomMsgAck:
		fmt.Fprintf(&b, " recipients=%d", m.Recipients)
	case proto.KindListUsers:
		fmt.Fprintf(&b, " users=%v", m.Users)
	case proto.KindListRooms:
		fmt.Fprintf(&b, " rooms=%v", m.Rooms)
	}
	return b.String()
}

// Env is how a stage runs its server for the suite.
type Env struct {
	// Codec is the stage's encoding.
	Codec proto.Codec
	// Start starts the stage's server with cfg and returns its address;
	// nil serves chatserver.New(cfg) on 127.0.0.1:0. cfg.Codec is set.
	Start func(t *testing.T, cfg chatserver.Config) string
	// Dial connects to addr; nil dials plain TCP.
	Dial func(t *testing.T, addr string) net.Conn
}

// Server is a running server under test.
type Server struct {
	t    *testing.T
	env  Env
	Addr string
}

// StartServer starts the stage's server with cfg.
func (e Env) StartServer(t *testing.T, cfg chatserver.Config) *Server {
	t.Helper()
	cfg.Codec = e.Codec
	var addr string
	if e.Start != nil {
		addr = e.Start(t, cfg)
	} else {
		addr = chattest.Start(t, chatserver.New(cfg))
	}
	return &Server{t: t, env: e, Addr: addr}
}

// Dial connects a scripted client that has not logged in.
func (s *Server) Dial() *Client {
	s.t.Helper()
	return chattest.Wrap(s.t, s.DialRaw(), Codec(s.env.Codec))
}

// DialRaw connects without the harness: nothing reads the connection but
// the caller.
func (s *Server) DialRaw() net.Conn {
	s.t.Helper()
	var conn net.Conn
	if s.env.Dial != nil {
		conn = s.env.Dial(s.t, s.Addr)
	} else {
		var err error
		if conn, err = net.DialTimeout("tcp", s.Addr, chattest.Timeout); err != nil {
			s.t.Fatalf("dial %s: %v", s.Addr, err)
		}
	}
	s.t.Cleanup(func() { conn.Close() })
	return conn
}

// Login connects a client and logs it in as name, checking LOGIN_ACK.
func (s *Server) Login(name string) *Client {
	s.t.Helper()
	c := s.Dial()
	c.Send(proto.Message{Kind: proto.KindLogin, Username: name})
	ack := c.Next()
	if ack.Kind != proto.KindLoginAck || ack.Username != name || ack.Room != proto.GeneralRoom {
		s.t.Fatalf("log-in as %q: got %s, want LOGIN_ACK", name, Format(ack))
	}
	return c
}

// Sync proves that nothing else is queued for c: it asks for the room
// list and fails unless the reply is the very next message. It returns
// the reply.
func Sync(t *testing.T, c *Client) proto.Message {
	t.Helper()
	c.Send(proto.Message{Kind: proto.KindListRooms})
	m := c.Next()
	if m.Kind != proto.KindListRooms {
		t.Fatalf("expected nothing before the LIST_ROOMS reply, got %s", Format(m))
	}
	return m
}

// System returns a matcher for a SYSTEM_MSG with the given text.
func System(text string) Matcher {
	return func(m proto.Message) bool { return m.Kind == proto.KindSystemMsg && m.Text == text }
}

// Matcher is a predicate on messages, combinable with Or.
type Matcher func(proto.Message) bool

func (f Matcher) Or(g Matcher) Matcher {
	return func(m proto.Message) bool { return f(m) || g(m) }
}
