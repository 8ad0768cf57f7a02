package chatclient_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/chattest"
	"chatlab/shared/server"
)

// serveOn starts a chat server on addr ("127.0.0.1:0" for any port) and
// returns it with the address it got.
func serveOn(t *testing.T, addr string) (*server.Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := chatserver.New(chatserver.Config{Codec: jsonwire.Codec{}})
	go srv.Serve(l)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv, l.Addr().String()
}

// quick re-connects fast, so that tests do not wait seconds.
func quick(attempts int) *chatclient.Backoff {
	return &chatclient.Backoff{First: 20 * time.Millisecond, Max: 80 * time.Millisecond, Jitter: 0.2, Attempts: attempts,
		Rand: func() float64 { return 0.5 }}
}

// startReconnecting runs a client as alice against addr that re-connects.
func startReconnecting(t *testing.T, addr string, b *chatclient.Backoff) *session {
	return startDialing(t, func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}, b)
}

// startDialing runs a client as alice that connects with dial and
// re-connects.
func startDialing(t *testing.T, dial func(context.Context) (net.Conn, error), b *chatclient.Backoff) *session {
	pipe, typing := io.Pipe()
	s := &session{t: t, typing: typing, screen: newScreen(), done: make(chan error, 1)}
	s.input = &promptReader{r: pipe, screen: s.screen}
	s.client = chatclient.New(chatclient.Config{
		Username: "alice", Codec: jsonwire.Codec{}, Now: clock,
		Dial: dial, In: s.input, Out: s.screen, Reconnect: b,
	})
	go func() { s.done <- s.client.Run(t.Context()) }()
	t.Cleanup(func() { typing.Close() })
	return s
}

// The server stops; the client says so, tries again with growing waits,
// and when a server is back on the same port it logs in with the same
// name and goes back to its room.
func TestReconnectsAfterTheServerRestarts(t *testing.T) {
	srv, addr := serveOn(t, "127.0.0.1:0")
	alice := startReconnecting(t, addr, quick(1000))
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	alice.typeLine("/join tech")
	alice.screen.waitLine(t, "[12:01:05] *** you are now in tech (a new room)")

	require.NoError(t, srv.Shutdown(t.Context()))
	alice.screen.waitLine(t, "[12:01:05] *** the server closed the connection")
	alice.screen.waitLine(t, "[12:01:05] *** connection lost — reconnecting in 20ms (attempt 1 of 1000)")
	alice.screen.waitLine(t, "[12:01:05] *** connection lost — reconnecting in 40ms (attempt 2 of 1000)")
	alice.screen.waitLine(t, "[12:01:05] *** connection lost — reconnecting in 80ms (attempt 4 of 1000)")
	assert.Equal(t, "(reconnecting)> ", alice.screen.currentPrompt())

	_, again := serveOn(t, addr)
	require.Equal(t, addr, again)
	alice.screen.waitLineN(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.", 2)
	alice.screen.waitLineN(t, "[12:01:05] *** you are now in tech (a new room)", 2)
	assert.Equal(t, "alice@tech> ", alice.screen.currentPrompt())

	bob := chattest.Dial(t, addr, wiretest.Codec(jsonwire.Codec{}))
	bob.Send(proto.Message{Kind: proto.KindLogin, Username: "bob"})
	require.Equal(t, proto.KindLoginAck, bob.Next().Kind)
	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	bob.Expect("bob in tech", func(m proto.Message) bool { return m.Kind == proto.KindJoinRoom })
	bob.Send(proto.Message{Kind: proto.KindListUsers})
	users := bob.Expect("the users of tech", func(m proto.Message) bool { return m.Kind == proto.KindListUsers })
	assert.ElementsMatch(t, []string{"alice", "bob"}, users.Users, "alice is back in tech")
	alice.typeLine("back again")
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsg, Room: "tech", From: "alice", Text: "back again"}, bob.Next())
	alice.typeLine("/quit")
	assert.NoError(t, alice.wait())
}

// With no server back, the client gives up after the last attempt and
// ends as a lost connection does.
func TestReconnectGivesUp(t *testing.T) {
	srv, addr := serveOn(t, "127.0.0.1:0")
	alice := startReconnecting(t, addr, quick(3))
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	require.NoError(t, srv.Shutdown(t.Context()))
	assert.ErrorIs(t, alice.wait(), chatclient.ErrServerClosed)
	alice.screen.waitLine(t, "[12:01:05] *** connection lost — reconnecting in 80ms (attempt 3 of 3)")
	alice.screen.waitLine(t, "[12:01:05] !!! gave up reconnecting after 3 attempts")
	assert.Equal(t, 3, countPrefix(alice.screen.snapshot(), "[12:01:05] *** attempt "), "each failure shown")
}

// A refused name is not tried again; nor is anything after /quit.
func TestNoReconnectAfterARefusal(t *testing.T) {
	srv, addr := serveOn(t, "127.0.0.1:0")
	// Alice's re-connections wait until someone else has taken her name
	// on the new server, whichever is faster.
	taken := make(chan struct{})
	dials := 0
	alice := startDialing(t, func(ctx context.Context) (net.Conn, error) {
		if dials++; dials > 1 {
			select {
			case <-taken:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}, quick(1000))
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	require.NoError(t, srv.Shutdown(t.Context()))
	alice.screen.waitLine(t, "[12:01:05] *** connection lost — reconnecting in 20ms (attempt 1 of 1000)")

	_, again := serveOn(t, addr)
	require.Equal(t, addr, again)
	other := chattest.Dial(t, addr, wiretest.Codec(jsonwire.Codec{}))
	other.Send(proto.Message{Kind: proto.KindLogin, Username: "ALICE"})
	require.Equal(t, proto.KindLoginAck, other.Next().Kind)
	close(taken)
	var rej *chatclient.RejectError
	require.ErrorAs(t, alice.wait(), &rej)
	assert.Equal(t, proto.ReasonNameTaken, rej.Reason)
}

// /quit while waiting to reconnect ends the client at once, and well.
func TestQuitWhileReconnecting(t *testing.T) {
	srv, addr := serveOn(t, "127.0.0.1:0")
	alice := startReconnecting(t, addr, &chatclient.Backoff{First: time.Hour, Max: time.Hour, Attempts: 3})
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	require.NoError(t, srv.Shutdown(t.Context()))
	alice.screen.waitLine(t, "[12:01:05] *** connection lost — reconnecting in 1h0m0s (attempt 1 of 3)")
	alice.typeLine("hello?")
	alice.screen.waitLine(t, "[12:01:05] !!! not connected (reconnecting): nothing was sent")
	alice.typeLine("/quit")
	assert.NoError(t, alice.wait())
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// Input that ends while the client reconnects, after lines it could not
// send, ends the run as the lost connection, not as a quit.
func TestInputEndingWhileReconnecting(t *testing.T) {
	srv, addr := serveOn(t, "127.0.0.1:0")
	alice := startReconnecting(t, addr, &chatclient.Backoff{First: time.Hour, Max: time.Hour, Attempts: 3})
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	require.NoError(t, srv.Shutdown(t.Context()))
	alice.screen.waitLine(t, "[12:01:05] *** connection lost — reconnecting in 1h0m0s (attempt 1 of 3)")
	alice.typeLine("lost words")
	require.NoError(t, alice.typing.Close())
	assert.ErrorIs(t, alice.wait(), chatclient.ErrServerClosed)
}
