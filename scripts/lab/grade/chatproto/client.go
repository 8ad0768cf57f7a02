package chatproto

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/lab/grade"
	"chatlab/lab/rubric"
	"chatlab/shared/chattest"
)

// Client is a scripted client of the graded server.
type Client = chattest.Conn[proto.Message]

// wire is how a rubric reaches the graded server: its address, encoding
// and transport, and the names its checks use.
type wire struct {
	env   grade.Env
	codec proto.Codec
	tls   bool
	run   string // tells this run's names apart from another's on the same server
	seq   atomic.Int64
}

func newWire(env grade.Env, codec proto.Codec, useTLS bool) *wire {
	b := make([]byte, 2)
	rand.Read(b)
	const letters = "abcdefghijklmnopqrstuvwxyz"
	return &wire{env: env, codec: codec, tls: useTLS, run: string([]byte{letters[b[0]%26], letters[b[1]%26]})}
}

// name returns a user or room name no other check of this run uses:
// base, the run's letters and a number ("alice-qx3").
func (w *wire) name(base string) string {
	return fmt.Sprintf("%s-%s%d", base, w.run, w.seq.Add(1))
}

// tlsConfig is how the grader's clients speak TLS: checking the
// certificate against env.CA when there is one.
func (w *wire) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: "localhost"}
	if w.env.CA == "" {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	pem, err := os.ReadFile(w.env.CA)
	if err != nil {
		return nil, fmt.Errorf("read the certificate to trust: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", w.env.CA)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// conn opens a connection, TLS if the stage speaks it, closed when the
// check ends.
func (w *wire) conn(c *rubric.C) net.Conn {
	raw, err := net.DialTimeout("tcp", w.env.Addr, chattest.Timeout)
	if err != nil {
		c.Fatalf("cannot connect to %s: %v", w.env.Addr, err)
	}
	c.Cleanup(func() { raw.Close() })
	if !w.tls {
		return raw
	}
	cfg, err := w.tlsConfig()
	if err != nil {
		c.Fatalf("%v", err)
	}
	conn := tls.Client(raw, cfg)
	conn.SetDeadline(time.Now().Add(chattest.Timeout))
	if err := conn.Handshake(); err != nil {
		c.Fatalf("TLS handshake with %s failed: %v", w.env.Addr, err)
	}
	conn.SetDeadline(time.Time{})
	return conn
}

// dial connects a scripted client that has not logged in.
func (w *wire) dial(c *rubric.C) *Client {
	return chattest.Wrap(c, w.conn(c), wiretest.Codec(w.codec))
}

// login connects a client and logs it in, failing the check unless the
// first answer is LOGIN_ACK with the name and room general.
func (w *wire) login(c *rubric.C, name string) *Client {
	cl := w.dial(c)
	cl.Send(proto.Message{Kind: proto.KindLogin, Username: name})
	m, err := cl.TryNext()
	switch {
	case err != nil:
		c.Fatalf("log-in as %q: no LOGIN_ACK: %v", name, err)
	case m.Kind != proto.KindLoginAck || m.Username != name || m.Room != proto.GeneralRoom:
		c.Fatalf("log-in as %q: got %s, want LOGIN_ACK username=%q room=%q", name, show(m), name, proto.GeneralRoom)
	}
	return cl
}

// join moves cl into room, which must be new, and takes the reply.
func join(c *rubric.C, cl *Client, room string) {
	cl.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
	m := expectKind(c, cl, proto.KindJoinRoom, "the JOIN_ROOM reply")
	if m.Room != room {
		c.Fatalf("JOIN_ROOM %q answered with room %q", room, m.Room)
	}
}

// expectKind skips messages until one of kind k comes: notices (other
// users coming and going) may arrive at any time.
func expectKind(c *rubric.C, cl *Client, k proto.Kind, what string) proto.Message {
	return cl.Expect(what, func(m proto.Message) bool { return m.Kind == k })
}

// next returns the next message that is not a SYSTEM_MSG.
func next(c *rubric.C, cl *Client, what string) proto.Message {
	return cl.Expect(what, func(m proto.Message) bool { return m.Kind != proto.KindSystemMsg })
}

// until collects every message cl receives up to and including the reply
// to LIST_ROOMS, which it sends: what came before it was already queued.
func until(c *rubric.C, cl *Client) []proto.Message {
	cl.Send(proto.Message{Kind: proto.KindListRooms})
	var got []proto.Message
	for {
		m, err := cl.TryNext()
		if err != nil {
			c.Fatalf("waiting for the LIST_ROOMS reply: %v", err)
		}
		if m.Kind == proto.KindListRooms {
			return got
		}
		got = append(got, m)
	}
}

// expectSystem waits for a SYSTEM_MSG with text.
func expectSystem(c *rubric.C, cl *Client, text string) {
	cl.Expect(fmt.Sprintf("SYSTEM_MSG %q", text), wiretest.System(text))
}

// expectError waits for the next message other than a notice and
// requires ERROR_MSG code.
func expectError(c *rubric.C, cl *Client, code proto.ErrorCode, after string) {
	m, err := nextErr(cl)
	switch {
	case err != nil:
		c.Fatalf("%s: expected ERROR_MSG %s, got %v", after, code, err)
	case m.Kind != proto.KindErrorMsg || m.Code != code:
		c.Fatalf("%s: expected ERROR_MSG %s, got %s", after, code, show(m))
	}
}

// nextErr returns the next message that is not a SYSTEM_MSG, or the
// error that ended the stream.
func nextErr(cl *Client) (proto.Message, error) {
	for {
		m, err := cl.TryNext()
		if err != nil || m.Kind != proto.KindSystemMsg {
			return m, err
		}
	}
}

// stillOpen checks that cl's session goes on after an error: it must
// answer LIST_USERS.
func stillOpen(c *rubric.C, cl *Client, after string) {
	cl.Send(proto.Message{Kind: proto.KindListUsers})
	if m, err := nextErr(cl); err != nil || m.Kind != proto.KindListUsers {
		c.Fatalf("%s, the session should go on, but LIST_USERS got %s", after, showResult(m, err))
	}
}

// waitOffline waits until the server has let name go, asking via with
// private messages until one is undeliverable.
func waitOffline(c *rubric.C, via *Client, name string) {
	deadline := time.Now().Add(chattest.Timeout)
	for time.Now().Before(deadline) {
		via.Send(proto.Message{Kind: proto.KindPrivateMsg, To: name, Text: "still there?"})
		if expectKind(c, via, proto.KindPrivateMsgDelivery, "a PRIVATE_MSG_DELIVERY").Status == proto.StatusNoSuchUser {
			return
		}
	}
	c.Fatalf("%s still online %v after the connection closed", name, chattest.Timeout)
}

func show(m proto.Message) string { return wiretest.Format(m) }

func showResult(m proto.Message, err error) string {
	if err != nil {
		return err.Error()
	}
	return show(m)
}

func quote(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
