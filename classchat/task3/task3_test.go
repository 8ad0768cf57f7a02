package task3_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task3"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func connect(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *client) say(line string) {
	c.conn.SetWriteDeadline(time.Now().Add(chattest.Timeout))
	_, err := c.conn.Write([]byte(line + "\n"))
	require.NoError(c.t, err)
}

func (c *client) next() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	line, err := c.r.ReadString('\n')
	require.NoError(c.t, err)
	return strings.TrimSuffix(line, "\n")
}

func start(t *testing.T) (string, func()) {
	srv := task3.New(logging.New(&strings.Builder{}, false))
	addr := chattest.Start(t, srv)
	return addr, func() { srv.Shutdown(context.Background()) }
}

func TestManyClients(t *testing.T) {
	addr, _ := start(t)
	one := connect(t, addr)
	assert.Equal(t, "Welcome to ClassChat! You are Client 1. Type 'exit' to quit.", one.next())
	two := connect(t, addr)
	assert.Equal(t, "Welcome to ClassChat! You are Client 2. Type 'exit' to quit.", two.next())
	assert.Equal(t, "[SYSTEM] Client 2 has joined the chat", one.next())
	three := connect(t, addr)
	three.next()
	one.next()
	assert.Equal(t, "[SYSTEM] Client 3 has joined the chat", two.next())

	two.say("hello everyone")
	assert.Equal(t, "[Server received] hello everyone", two.next())
	assert.Equal(t, "[Client 2] hello everyone", one.next())
	assert.Equal(t, "[Client 2] hello everyone", three.next())

	three.say("exit")
	assert.Equal(t, "Goodbye! Disconnecting...", three.next())
	_, err := three.r.ReadByte()
	assert.Error(t, err, "closed after goodbye")
	assert.Equal(t, "[SYSTEM] Client 3 has left the chat", one.next())
	assert.Equal(t, "[SYSTEM] Client 3 has left the chat", two.next())
}

// Lines never merge: two quick messages arrive as two lines.
func TestLinesDoNotMerge(t *testing.T) {
	addr, _ := start(t)
	one := connect(t, addr)
	one.next() // welcome
	two := connect(t, addr)
	two.next() // welcome
	one.next() // two joined
	two.conn.Write([]byte("first\nsecond\n"))
	assert.Equal(t, "[Client 2] first", one.next())
	assert.Equal(t, "[Client 2] second", one.next())
}

// A client that never reads cannot stall the broadcast to the others: they
// are served at once until the server cuts it off.
func TestSlowReaderStallsNobody(t *testing.T) {
	addr, _ := start(t)
	sloth := connect(t, addr)
	sloth.next()
	talker := connect(t, addr)
	talker.next() // welcome: the talker is Client 2
	listener := connect(t, addr)
	listener.next() // welcome
	talker.next()   // listener joined
	long := strings.Repeat("x", 4000)
	const slothLeft = "[SYSTEM] Client 1 has left the chat"
	cutOff := false
	next := func(c *client) string {
		line := c.next()
		if line == slothLeft {
			cutOff = true
			line = c.next()
		}
		return line
	}
	for i := 0; i < 3000 && !cutOff; i++ { // up to 12 MB towards sloth, who reads nothing
		talker.say(long)
		require.True(t, next(talker) == "[Server received] "+long, "round %d: the talker's ack", i)
		require.True(t, next(listener) == "[Client 2] "+long, "round %d: the listener's copy", i)
	}
	assert.True(t, cutOff, "the slow reader was cut off")
}

func TestShutdownTellsEveryone(t *testing.T) {
	addr, shutdown := start(t)
	one := connect(t, addr)
	one.next()
	go shutdown()
	assert.Equal(t, task3.ShuttingDown, one.next())
}

// A client's first line is its welcome: a client that arrives or leaves
// at the same moment is announced after it. (The race is short: the test
// tries many times.)
func TestWelcomeComesFirst(t *testing.T) {
	addr, _ := start(t)
	for round := range 100 {
		first, second := make(chan string, 1), make(chan string, 1)
		for _, got := range []chan string{first, second} {
			go func() {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					got <- err.Error()
					return
				}
				defer conn.Close()
				conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
				line, _ := bufio.NewReader(conn).ReadString('\n')
				got <- line
			}()
		}
		for _, got := range []chan string{first, second} {
			line := <-got
			require.True(t, strings.HasPrefix(line, "Welcome to ClassChat! You are Client "), "round %d: the first line is %q", round, line)
		}
	}
}

// A line begun and not finished is not held for ever: once the frame time
// is up its sender is told, and closed. An idle client stays.
func TestStalledLineIsClosed(t *testing.T) {
	srv, reg := task3.NewRegistry(logging.New(&strings.Builder{}, false))
	reg.SetLimits(cc.Limits{FrameTimeout: 300 * time.Millisecond})
	addr := chattest.Start(t, srv)
	idle := connect(t, addr)
	idle.next() // welcome
	staller := connect(t, addr)
	staller.next()
	assert.Equal(t, "[SYSTEM] Client 2 has joined the chat", idle.next())
	_, err := staller.conn.Write([]byte("half a li"))
	require.NoError(t, err)
	assert.Equal(t, "[SYSTEM] A line was begun but not finished in time; disconnecting.", staller.next())
	assert.Equal(t, "[SYSTEM] Client 2 has left the chat", idle.next(), "the idle client is still there")
	idle.say("still here")
	assert.Equal(t, "[Server received] still here", idle.next())
}
