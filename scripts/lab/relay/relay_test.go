package relay

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
)

const timeout = 5 * time.Second

// serve runs handle for every connection to a listener on 127.0.0.1:0.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return l.Addr().String()
}

// upper answers each line with the line in upper case, and says "bye\n"
// once the client has closed its side.
func upper(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			io.WriteString(c, "bye\n")
			return
		}
		io.WriteString(c, strings.ToUpper(line))
	}
}

func listen(t *testing.T, target string) *Relay {
	t.Helper()
	r, err := Listen(target)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

func TestRelayRecordsWhatCrossesByStepAndDirection(t *testing.T) {
	r := listen(t, serve(t, upper))
	c, err := net.Dial("tcp", r.Addr())
	require.NoError(t, err)
	defer c.Close()
	in := bufio.NewReader(c)
	say := func(step int, line string) string {
		r.SetStep(step)
		_, err := io.WriteString(c, line)
		require.NoError(t, err)
		c.SetReadDeadline(time.Now().Add(timeout))
		answer, err := in.ReadString('\n')
		require.NoError(t, err)
		return answer
	}
	assert.Equal(t, "HELLO\n", say(1, "hello\n"))
	assert.Equal(t, "WORLD\n", say(2, "world\n"))

	r.SetStep(3)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	require.NoError(t, r.WaitDone(ctx(t), c.LocalAddr().String()))
	rest, err := io.ReadAll(in)
	require.NoError(t, err)
	assert.Equal(t, "bye\n", string(rest), "what the server sends after the client closed its side still arrives")

	f := r.Flow(c.LocalAddr().String())
	require.NotNil(t, f)
	assert.Equal(t, []Event{
		{Step: 1, Dir: ClientToServer, Data: []byte("hello\n")},
		{Step: 1, Dir: ServerToClient, Data: []byte("HELLO\n")},
		{Step: 2, Dir: ClientToServer, Data: []byte("world\n")},
		{Step: 2, Dir: ServerToClient, Data: []byte("WORLD\n")},
		{Step: 3, Dir: ClientToServer, FIN: true},
		{Step: 3, Dir: ServerToClient, Data: []byte("bye\n")},
		{Step: 3, Dir: ServerToClient, FIN: true},
	}, f.Events)
	assert.Equal(t, int64(12), f.Bytes(ClientToServer))
	assert.Equal(t, int64(16), f.Bytes(ServerToClient))
	assert.Equal(t, "HELLO\nWORLD\nbye\n", string(f.Stream(ServerToClient)))
	assert.Equal(t, []*Flow{f}, r.Flows())
}

func TestBytesSentAfterTheClientClosedAreCounted(t *testing.T) {
	r := listen(t, serve(t, func(c net.Conn) {
		io.Copy(io.Discard, c) // until the client's FIN
		io.WriteString(c, "last words")
	}))
	c, err := net.Dial("tcp", r.Addr())
	require.NoError(t, err)
	addr := c.LocalAddr().String()
	io.WriteString(c, "hi")
	c.Close() // fully: "last words" reach a closed socket
	require.NoError(t, r.WaitDone(ctx(t), addr))
	f := r.Flow(addr)
	assert.Equal(t, int64(2), f.Bytes(ClientToServer))
	assert.Equal(t, "last words", string(f.Stream(ServerToClient)))
}

func TestWaitDoneReturnsOnceBothSidesHaveClosed(t *testing.T) {
	r := listen(t, serve(t, func(c net.Conn) {}))
	c, err := net.Dial("tcp", r.Addr())
	require.NoError(t, err)
	defer c.Close()
	// The server closes at once; the client once the wait has begun.
	done := make(chan error, 1)
	go func() { done <- r.WaitDone(ctx(t), c.LocalAddr().String()) }()
	c.Close()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(timeout):
		t.Fatal("WaitDone did not return")
	}
}

func TestWaitDoneGivesUpAtTheDeadline(t *testing.T) {
	r := listen(t, serve(t, upper))
	c, err := net.Dial("tcp", r.Addr())
	require.NoError(t, err)
	defer c.Close()
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, r.WaitDone(short, c.LocalAddr().String()), context.DeadlineExceeded, "the connection is still open")
	assert.ErrorIs(t, r.WaitDone(short, "127.0.0.1:1"), context.DeadlineExceeded, "no such connection")
}

func TestAnUnreachableTargetIsRecorded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target := l.Addr().String()
	l.Close() // nobody listens there now
	r := listen(t, target)
	c, err := net.Dial("tcp", r.Addr())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, r.WaitDone(ctx(t), c.LocalAddr().String()))
	f := r.Flow(c.LocalAddr().String())
	require.NotNil(t, f)
	assert.ErrorContains(t, f.Err, "dial "+target)
}

func TestCloseEndsOpenConnections(t *testing.T) {
	r, err := Listen(serve(t, upper))
	require.NoError(t, err)
	c, err := net.Dial("tcp", r.Addr())
	require.NoError(t, err)
	defer c.Close()
	io.WriteString(c, "x\n")
	c.SetReadDeadline(time.Now().Add(timeout))
	_, err = bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.ErrorIs(t, r.WaitDone(ctx(t), "127.0.0.1:1"), ErrClosed)
	_, err = c.Read(make([]byte, 1))
	assert.Error(t, err, "the relay closed the client's connection")
}
