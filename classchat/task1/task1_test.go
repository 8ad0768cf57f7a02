package task1_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/task1"
	"chatlab/shared/chattest"
)

type side struct {
	typing *io.PipeWriter
	screen *chattest.Output
	done   chan error
}

func (s *side) say(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(s.typing, line+"\n")
	require.NoError(t, err)
}

func (s *side) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end")
		return nil
	}
}

// session starts a task 1 server and a client connected to it, each with a
// person typing on a pipe and a screen.
func session(t *testing.T) (server, client *side) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	opIn, opTyping := io.Pipe()
	server = &side{typing: opTyping, screen: chattest.NewOutput(), done: make(chan error, 1)}
	go func() { server.done <- task1.Serve(t.Context(), l, opIn, server.screen) }()

	conn, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(); opTyping.Close() })
	in, typing := io.Pipe()
	client = &side{typing: typing, screen: chattest.NewOutput(), done: make(chan error, 1)}
	go func() { client.done <- task1.Chat(t.Context(), conn, in, client.screen) }()
	t.Cleanup(func() { typing.Close() })
	return server, client
}

func TestBothSidesTalkAndTheClientLeaves(t *testing.T) {
	server, client := session(t)
	client.screen.WaitLine(t, task1.Greeting)
	client.say(t, "hello, server")
	server.screen.WaitLine(t, "[CLIENT] hello, server")
	client.screen.WaitLine(t, "you: hello, server") // what one sends is shown
	server.say(t, "hello, client")
	client.screen.WaitLine(t, "hello, client")
	server.screen.WaitLine(t, "you: hello, client")
	client.say(t, "exit")
	server.screen.WaitLine(t, "[Client typed exit]")
	assert.NoError(t, server.wait(t))
	assert.NoError(t, client.wait(t))
}

func TestTheOperatorEndsIt(t *testing.T) {
	server, client := session(t)
	client.screen.WaitLine(t, task1.Greeting)
	server.say(t, "EXIT")
	client.screen.WaitLine(t, "[Server typed exit]")
	assert.NoError(t, client.wait(t))
	assert.NoError(t, server.wait(t))
}

// The end of the client's input ends the session as exit does.
func TestEndOfInput(t *testing.T) {
	server, client := session(t)
	client.screen.WaitLine(t, task1.Greeting)
	client.typing.Close()
	server.screen.WaitLine(t, "[CLIENT] exit")
	assert.NoError(t, server.wait(t))
	assert.NoError(t, client.wait(t))
}

// Task 1 serves one client: a second one is not accepted.
func TestOneClientOnly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	opIn, opTyping := io.Pipe()
	t.Cleanup(func() { opTyping.Close() })
	done := make(chan error, 1)
	go func() { done <- task1.Serve(t.Context(), l, opIn, io.Discard) }()
	first, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer first.Close()
	first.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = first.Read(make([]byte, 10)) // the greeting: the server has accepted
	require.NoError(t, err)
	_, err = net.Dial("tcp", addr)
	assert.Error(t, err, "the listener is closed once the client is in")
}

// A line over the limit is refused with a notice; the session goes on.
func TestLongLineIsRefused(t *testing.T) {
	server, client := session(t)
	client.screen.WaitLine(t, task1.Greeting)
	client.say(t, strings.Repeat("x", 5000))
	client.screen.WaitLine(t, "[a line is at most 4095 bytes; that one was not sent]")
	client.say(t, "still here")
	server.screen.WaitLine(t, "[CLIENT] still here")
}

// /quit leaves as exit does, and exit is what goes on the wire.
func TestQuit(t *testing.T) {
	server, client := session(t)
	client.screen.WaitLine(t, task1.Greeting)
	client.say(t, "/quit")
	server.screen.WaitLine(t, "[CLIENT] exit")
	server.screen.WaitLine(t, "[Client typed exit]")
	assert.NoError(t, server.wait(t))
	assert.NoError(t, client.wait(t))
	assert.NotContains(t, server.screen.String(), "[CLIENT] /quit")
}

// A server that closes the connection unasked ends the client with
// ErrClosed; one that closes it after the client's exit does not.
func TestServerCloses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	chat := func(typed string) (*chattest.Output, net.Conn, chan error) {
		conn, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		in, typing := io.Pipe()
		t.Cleanup(func() { typing.Close() })
		go io.WriteString(typing, typed)
		out, done := chattest.NewOutput(), make(chan error, 1)
		go func() { done <- task1.Chat(t.Context(), conn, in, out) }()
		return out, <-accepted, done
	}
	wait := func(done chan error) error {
		select {
		case err := <-done:
			return err
		case <-time.After(chattest.Timeout):
			t.Fatal("the session did not end")
			return nil
		}
	}

	out, srv, done := chat("")
	srv.Close()
	out.WaitLine(t, "[Server closed the connection]")
	assert.ErrorIs(t, wait(done), task1.ErrClosed)

	_, srv, done = chat("exit\n")
	line := make([]byte, 5)
	_, err = io.ReadFull(srv, line)
	require.NoError(t, err)
	assert.Equal(t, "exit\n", string(line))
	srv.Close() // as task 3's server does after its goodbye
	assert.NoError(t, wait(done))
}

// rawClient connects to a task 1 server run in-process with ctx, and
// reads its greeting; the operator types nothing.
func rawClient(t *testing.T, ctx context.Context) (net.Conn, *bufio.Reader, *chattest.Output, chan error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	opIn, opTyping := io.Pipe()
	t.Cleanup(func() { opTyping.Close() })
	screen, done := chattest.NewOutput(), make(chan error, 1)
	go func() { done <- task1.Serve(ctx, l, opIn, screen) }()
	conn, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(chattest.Timeout))
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, task1.Greeting+"\n", line)
	return conn, r, screen, done
}

// A client's line over the limit ends its session with a notice to it
// and to the operator; the server ends as when the client leaves, with
// no error (it exited 1 before).
func TestClientLineOverTheLimit(t *testing.T) {
	conn, r, screen, done := rawClient(t, t.Context())
	_, err := conn.Write([]byte(strings.Repeat("x", 5000) + "\n"))
	require.NoError(t, err)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, task1.TooLong+"\n", line)
	_, err = r.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "then the connection closes")
	screen.WaitLine(t, "[Client sent a line over 4096 bytes; closing]")
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(chattest.Timeout):
		t.Fatal("the server did not end")
	}
}

// A server stopped (SIGINT, SIGTERM: its context ends) tells its client
// before it closes the connection.
func TestStopTellsTheClient(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	_, r, _, done := rawClient(t, ctx)
	stop()
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, task1.ShuttingDown+"\n", line)
	_, err = r.ReadByte()
	assert.ErrorIs(t, err, io.EOF)
	select {
	case <-done:
	case <-time.After(chattest.Timeout):
		t.Fatal("the server did not end")
	}
}
