package spectest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v3/stage"
	"chatlab/shared/chattest"
)

// Limits of §1.
const (
	maxTextBytes = 4096 // message text, in bytes of UTF-8
	maxNameRunes = 20   // username, in code points
	maxRoomRunes = 32   // room name, in code points
	lobby        = "general"
)

// Timings of this test, not of the protocol.
const (
	ioTimeout    = 20 * time.Second // longest wait for a frame or a close
	loginTimeout = time.Second      // LoginTimeout knob, instead of 10 s: long enough for a log-in on a busy machine
)

// config is the v3 server's configuration, for the knobs.
type config = chatserver.Config

// startServer starts the v3 server in-process on 127.0.0.1 and returns its
// address; it is shut down at cleanup. tune sets optional knobs.
func startServer(t *testing.T, tune ...func(*config)) string {
	t.Helper()
	cfg := stage.V3.ServerConfig()
	for _, f := range tune {
		f(&cfg)
	}
	return chattest.Start(t, chatserver.New(cfg))
}

func maxUsers(n int) func(*config) { return func(c *config) { c.MaxUsers = n } }

func loginWithin(d time.Duration) func(*config) { return func(c *config) { c.LoginTimeout = d } }

// ---------------------------------------------------------------------------
// A raw ChatProto client

// client is one TCP connection to the server. Its methods fail the test
// that owns it; call them only from that test's goroutine.
type client struct {
	t     *testing.T
	label string
	conn  net.Conn
	r     *bufio.Reader
	// system holds SYSTEM_MSG texts that arrived while the client waited
	// for something else, oldest first. Announcements are asynchronous,
	// so waits skip them; expectSystem looks here first.
	system []string
	// seen counts the types received, for the coverage test.
	seen map[msgType]int
}

// dialConn connects to addr; the caller closes the connection.
func dialConn(t *testing.T, addr, label string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	require.NoError(t, err, "%s: dial", label)
	return &client{t: t, label: label, conn: conn, r: bufio.NewReader(conn), seen: map[msgType]int{}}
}

// dial connects to addr and closes the connection at cleanup.
func dial(t *testing.T, addr, label string) *client {
	t.Helper()
	c := dialConn(t, addr, label)
	t.Cleanup(func() { _ = c.conn.Close() })
	return c
}

// login dials and logs in as name, checking rule 2's LOGIN_ACK.
func login(t *testing.T, addr, name string) *client {
	t.Helper()
	c := dial(t, addr, name)
	c.login(name)
	return c
}

func (c *client) login(name string) {
	c.t.Helper()
	c.send(message{Type: typeLogin, Username: name})
	require.Equal(c.t, message{Type: typeLoginAck, Username: name, Room: lobby}, c.expect(typeLoginAck),
		"%s: rule 2: LOGIN_ACK names the user and room general", c.label)
}

// send encodes m as a C→S frame and writes it.
func (c *client) send(m message) {
	c.t.Helper()
	b, err := encodeFrame(clientToServer, m)
	require.NoError(c.t, err)
	c.write(b)
}

// write writes raw bytes.
func (c *client) write(b []byte) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetWriteDeadline(time.Now().Add(ioTimeout)))
	_, err := c.conn.Write(b)
	require.NoError(c.t, err, "%s: write", c.label)
}

// read returns the next frame within ioTimeout, decoded strictly, and its
// bytes. It returns an error wrapping errBadFrame for bytes that break
// §2, and the connection's error (io.EOF, a reset, a timeout) when no
// frame begins. It never fails the test itself.
func (c *client) read() (message, []byte, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(ioTimeout)); err != nil {
		return message{}, nil, err
	}
	m, raw, err := readFrame(c.r, serverToClient)
	if err == nil {
		c.seen[m.Type]++
	}
	return m, raw, err
}

// next returns the next frame, failing on a timeout, a close or bytes
// that break §2.
func (c *client) next() (message, []byte) {
	c.t.Helper()
	m, raw, err := c.read()
	require.NoError(c.t, err, "%s: waiting for a frame", c.label)
	return m, raw
}

// expectFrame returns the next message of type typ and its bytes.
// SYSTEM_MSG on the way are kept for expectSystem; any other type fails
// the test.
func (c *client) expectFrame(typ msgType) (message, []byte) {
	c.t.Helper()
	for {
		m, raw := c.next()
		switch m.Type {
		case typ:
			return m, raw
		case typeSystemMsg:
			c.system = append(c.system, m.Text)
		default:
			require.Failf(c.t, "unexpected message", "%s: waiting for %v, got %+v (% x)", c.label, typ, m, raw)
		}
	}
}

func (c *client) expect(typ msgType) message {
	c.t.Helper()
	m, _ := c.expectFrame(typ)
	return m
}

// expectEach returns one message of each of types, in any order.
func (c *client) expectEach(types ...msgType) map[msgType]message {
	c.t.Helper()
	got := map[msgType]message{}
	for len(got) < len(types) {
		m, raw := c.next()
		_, dup := got[m.Type]
		switch {
		case slices.Contains(types, m.Type) && !dup:
			got[m.Type] = m
		case m.Type == typeSystemMsg:
			c.system = append(c.system, m.Text)
		default:
			require.Failf(c.t, "unexpected message", "%s: waiting for %v, got %+v (% x)", c.label, types, m, raw)
		}
	}
	return got
}

// expectSystem waits for a SYSTEM_MSG with exactly text.
func (c *client) expectSystem(text string) {
	c.t.Helper()
	for {
		if i := slices.Index(c.system, text); i >= 0 {
			c.system = slices.Delete(c.system, i, i+1)
			return
		}
		c.system = append(c.system, c.expect(typeSystemMsg).Text)
	}
}

// expectError waits for an ERROR_MSG with code and returns it.
func (c *client) expectError(code errorCode) message {
	c.t.Helper()
	m := c.expect(typeErrorMsg)
	require.Equal(c.t, code, m.Code, "%s: ERROR_MSG code (text %q)", c.label, m.Text)
	return m
}

// closedErr reports whether err means the server closed the connection.
func closedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// expectClosed requires the server to close the connection within
// ioTimeout, sending nothing more.
func (c *client) expectClosed() {
	c.t.Helper()
	m, raw, err := c.read()
	require.Error(c.t, err, "%s: want the server to close, got %+v (% x)", c.label, m, raw)
	require.True(c.t, closedErr(err), "%s: want the server to close, got %v", c.label, err)
}

// expectSilence requires that nothing arrives and the connection stays
// open for d.
func (c *client) expectSilence(d time.Duration) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(d)))
	b, err := c.r.Peek(1)
	var ne net.Error
	require.True(c.t, errors.As(err, &ne) && ne.Timeout(),
		"%s: want silence for %v, got % x, %v", c.label, d, b, err)
}

// sync makes a LIST_USERS round trip and returns the reply. Everything the
// server queued for this client before it handled the request arrives
// first, so a message that should not have been sent fails here.
func (c *client) sync() message {
	c.t.Helper()
	c.send(message{Type: typeListUsers})
	return c.expect(typeListUsers)
}

// listUsers returns the LIST_USERS reply's room and names.
func (c *client) listUsers() (string, []string) {
	c.t.Helper()
	m := c.sync()
	return m.Room, m.Users
}

// listRooms returns the LIST_ROOMS reply. It is also how a test proves a
// connection still works after a non-fatal error.
func (c *client) listRooms() []roomEntry {
	c.t.Helper()
	c.send(message{Type: typeListRooms})
	return c.expect(typeListRooms).Rooms
}

func (c *client) join(room string) message {
	c.t.Helper()
	c.send(message{Type: typeJoinRoom, Room: room})
	return c.expect(typeJoinRoom)
}

func (c *client) say(text string) message {
	c.t.Helper()
	c.send(message{Type: typeRoomMsg, Text: text})
	return c.expect(typeRoomMsgAck)
}

func (c *client) whisper(to, text string) message {
	c.t.Helper()
	c.send(message{Type: typePrivateMsg, To: to, Text: text})
	return c.expect(typeDelivery)
}

func (c *client) close() {
	c.t.Helper()
	require.NoError(c.t, c.conn.Close())
}

func hasRoom(rooms []roomEntry, name string) bool {
	return slices.ContainsFunc(rooms, func(r roomEntry) bool { return r.Name == name })
}

// assertShutdown checks that c reads SYSTEM_MSG "server shutting down"
// (after any other announcements) and then a close. It uses assert only,
// so that it may run where the test must not stop.
func assertShutdown(t *testing.T, c *client) {
	t.Helper()
	for {
		m, raw, err := c.read()
		if !assert.NoError(t, err, "%s: want SYSTEM_MSG server shutting down", c.label) {
			return
		}
		if !assert.Equal(t, typeSystemMsg, m.Type, "%s: want SYSTEM_MSG server shutting down, got %+v (% x)", c.label, m, raw) {
			return
		}
		if m.Text == "server shutting down" {
			break
		}
	}
	m, raw, err := c.read()
	assert.True(t, closedErr(err), "%s: want a close after server shutting down, got %+v (% x), %v", c.label, m, raw, err)
}
