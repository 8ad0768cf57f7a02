//go:build unix

package task2

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task1"
	"chatlab/classchat/task3"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
	"chatlab/shared/exitcode"
	"chatlab/shared/framing"
)

func TestMain(m *testing.M) { bintest.Main(m) }

// operator types one line on task 1's server.
func operator(t *testing.T, op *io.PipeWriter, line string) {
	t.Helper()
	_, err := io.WriteString(op, line+"\n")
	require.NoError(t, err, "operator types %q", line)
}

// Test: against task 1's server, lines go both ways, and each of the four
// ways to end the session ends both sides cleanly.
func TestTask1Server(t *testing.T) {
	clientLeft := []string{"[CLIENT] exit", "[Client typed exit]"}
	serverLeft := []string{"exit", ServerExited}
	tests := []struct {
		name          string
		end           func(t *testing.T, c *client, op *io.PipeWriter)
		clientShows   []string // after the exchange, in order
		operatorShows []string
	}{
		{
			name:        "operator types exit",
			end:         func(t *testing.T, _ *client, op *io.PipeWriter) { operator(t, op, "exit") },
			clientShows: serverLeft,
		},
		{
			name:        "operator's input ends",
			end:         func(_ *testing.T, _ *client, op *io.PipeWriter) { op.Close() },
			clientShows: serverLeft,
		},
		{
			name:          "client types exit",
			end:           func(_ *testing.T, c *client, _ *io.PipeWriter) { c.typeLine("exit") },
			operatorShows: clientLeft,
		},
		{
			name:          "client's input ends",
			end:           func(_ *testing.T, c *client, _ *io.PipeWriter) { c.endInput() },
			operatorShows: clientLeft,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listen(t)
			opIn, op := io.Pipe()
			t.Cleanup(func() { op.Close() })
			opOut := chattest.NewOutput()
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			served := make(chan error, 1)
			go func() { served <- task1.Serve(ctx, l, opIn, opOut) }()

			c := startClient(t, l.Addr().String())
			c.out.WaitLine(t, task1.Greeting)
			c.typeLine("hello, operator")
			opOut.WaitLine(t, "[CLIENT] hello, operator")
			operator(t, op, "hello, client")
			c.out.WaitLine(t, "hello, client")

			tt.end(t, c, op)
			for _, want := range tt.clientShows {
				c.out.WaitLine(t, want)
			}
			inOrder(t, c.out, tt.clientShows...)
			for _, want := range tt.operatorShows {
				opOut.WaitLine(t, want)
			}
			inOrder(t, opOut, tt.operatorShows...)
			require.NoError(t, c.wait())
			select {
			case err := <-served:
				assert.NoError(t, err, "task1.Serve")
			case <-time.After(chattest.Timeout):
				t.Fatal("task1.Serve did not return")
			}
			assert.False(t, hasLine(c.out, ServerClosed), "a session that ended with exit is not reported as closed by the server")
		})
	}
}

// welcome waits for task 3's welcome and returns the client's number.
func welcome(t *testing.T, c *client) int {
	t.Helper()
	c.out.WaitFor(t, "Welcome to ClassChat! You are Client ")
	for _, line := range lines(c.out) {
		var id int
		if _, err := fmt.Sscanf(line, task3.WelcomeFormat, &id); err == nil {
			return id
		}
	}
	t.Fatalf("no welcome line in:\n%s", c.out)
	return 0
}

func newTask3(t *testing.T) string {
	return chattest.Start(t, task3.New(slog.New(slog.DiscardHandler)))
}

// Test: two task 2 clients on task 3's server: a line from one is
// acknowledged to it and reaches the other; exit is answered with goodbye,
// which is shown before Chat returns.
func TestTask3Server(t *testing.T) {
	addr := newTask3(t)
	alice := startClient(t, addr)
	aliceID := welcome(t, alice)
	bob := startClient(t, addr)
	bobID := welcome(t, bob)
	alice.out.WaitLine(t, fmt.Sprintf(task3.JoinedFormat, bobID))

	alice.typeLine("hi bob")
	alice.out.WaitLine(t, fmt.Sprintf(task3.AckFormat, "hi bob"))
	bob.out.WaitLine(t, fmt.Sprintf(task3.FromFormat, aliceID, "hi bob"))

	bob.typeLine("hi alice")
	bob.out.WaitLine(t, fmt.Sprintf(task3.AckFormat, "hi alice"))
	alice.out.WaitLine(t, fmt.Sprintf(task3.FromFormat, bobID, "hi alice"))

	bob.typeLine("exit")
	bob.out.WaitLine(t, task3.Goodbye)
	require.NoError(t, bob.wait())
	inOrder(t, bob.out, fmt.Sprintf(task3.AckFormat, "hi alice"), task3.Goodbye)
	assert.False(t, hasLine(bob.out, ServerClosed), "the close after goodbye is expected, not reported")
	alice.out.WaitLine(t, fmt.Sprintf(task3.LeftFormat, bobID))
	assert.True(t, alice.running(), "alice's session goes on")
}

// Test: when task 3's server shuts down, the client shows its notice and
// that the connection closed, and Chat returns ErrClosed.
func TestTask3ServerShutsDown(t *testing.T) {
	srv := task3.New(slog.New(slog.DiscardHandler))
	c := startClient(t, chattest.Start(t, srv))
	welcome(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), chattest.Timeout)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	c.out.WaitLine(t, ServerClosed)
	require.ErrorIs(t, c.wait(), ErrClosed)
	inOrder(t, c.out, task3.ShuttingDown, ServerClosed)
}

// Test: the end of input ends the session as exit does, after sending a
// last line that has no newline.
func TestEndOfInput(t *testing.T) {
	tests := []struct {
		name  string
		typed string
	}{
		{name: "after a line", typed: "bye\n"},
		{name: "in the middle of a line", typed: "bye"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startClient(t, newTask3(t))
			welcome(t, c)
			c.typeText(tt.typed)
			c.endInput()
			c.out.WaitLine(t, task3.Goodbye)
			require.NoError(t, c.wait())
			inOrder(t, c.out, fmt.Sprintf(task3.AckFormat, "bye"), task3.Goodbye)
		})
	}
}

// Test: what the server sends, however it is cut into writes, is shown
// line by line; and each way the server ends the session ends Chat.
func TestFromServer(t *testing.T) {
	long := strings.Repeat("x", cc.MaxLine-1) // with its "\n", the longest line
	tests := []struct {
		name    string
		writes  []string
		close   bool     // the server closes after its writes
		shows   []string // in order
		hidden  []string // never shown
		wantErr error
	}{
		{name: "lines cut anywhere", writes: []string{"hel", "lo\r\nwor", "ld\n", "\n"}, close: true,
			shows: []string{"hello", "world", "", ServerClosed}, wantErr: ErrClosed},
		{name: "closes in the middle of a line", writes: []string{"see y"}, close: true,
			shows: []string{"see y", ServerClosed}, wantErr: ErrClosed},
		{name: "the longest line", writes: []string{long[:100], long[100:] + "\n"}, close: true,
			shows: []string{long, ServerClosed}, wantErr: ErrClosed},
		{name: "says exit", writes: []string{"bye\nexit\nnot shown\n"},
			shows: []string{"bye", "exit", ServerExited}, hidden: []string{"not shown", ServerClosed}},
		{name: "a line too long", writes: []string{"fine\n", long, "x"},
			shows: []string{"fine", fmt.Sprintf(ServerLineTooLong, cc.MaxLine)}, wantErr: framing.ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listen(t)
			c := startClient(t, l.Addr().String())
			srv := accept(t, l)
			for _, w := range tt.writes {
				srv.write(w)
			}
			if tt.close {
				srv.conn.Close()
			}
			for _, want := range tt.shows {
				c.out.WaitLine(t, want)
			}
			err := c.wait()
			inOrder(t, c.out, tt.shows...)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			for _, h := range tt.hidden {
				assert.False(t, hasLine(c.out, h), "%q shown", h)
			}
		})
	}
}

// Test: what is typed is sent line by line: blank lines are skipped, a
// line over the limit is refused with a notice (and the next one still
// sent), and nothing after exit is sent.
func TestTyped(t *testing.T) {
	l := listen(t)
	c := startClient(t, l.Addr().String())
	srv := accept(t, l)
	longest := strings.Repeat("z", cc.MaxLine-1)
	c.typeText("\n   \nhello\r\n" + strings.Repeat("y", cc.MaxLine) + "\n" + longest[:10])
	c.typeText(longest[10:] + "\nexit\nnever sent\n")
	srv.expect("hello")
	srv.expect(longest)
	srv.expect("exit")
	_, err := srv.next()
	assert.ErrorIs(t, err, io.EOF, "after exit the client shuts its sending half")
	c.out.WaitLine(t, fmt.Sprintf(TypedLineTooLong, cc.MaxLine))
	srv.write("goodbye\n")
	c.out.WaitLine(t, "goodbye")
	srv.conn.Close()
	require.NoError(t, c.wait())
	assert.False(t, hasLine(c.out, ServerClosed))
}

// Test: after exit the client waits for the server to close, but not for
// ever: LastWords at most.
func TestLastWordsAreBounded(t *testing.T) {
	t.Parallel() // it waits the whole bound: let TestBinary run meanwhile
	l := listen(t)
	c := startClient(t, l.Addr().String())
	srv := accept(t, l)
	start := time.Now()
	c.typeLine("exit")
	srv.expect("exit")
	srv.write("still here\n") // and the server keeps the connection open
	c.out.WaitLine(t, "still here")
	require.NoError(t, c.wait())
	assert.GreaterOrEqual(t, time.Since(start), LastWords)
}

// Test: a client that cannot connect says why.
func TestConnectErrors(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		wantErr error // nil: any error
	}{
		{name: "refused", addr: chattest.ClosedPort(t), wantErr: syscall.ECONNREFUSED},
		{name: "no port", addr: "127.0.0.1"},
		{name: "bad port", addr: "127.0.0.1:http-ish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin, keys, err := os.Pipe()
			require.NoError(t, err)
			defer stdin.Close()
			defer keys.Close()
			err = Chat(tt.addr, stdin, io.Discard)
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
		})
	}
	t.Run("no input", func(t *testing.T) {
		assert.ErrorIs(t, Chat(chattest.ClosedPort(t), nil, io.Discard), ErrNoInput)
	})
	t.Run("timeout", func(t *testing.T) {
		addr, err := net.ResolveTCPAddr("tcp", chattest.FullListener(t))
		require.NoError(t, err)
		_, err = connect(addr, 100*time.Millisecond)
		assert.ErrorIs(t, err, ErrConnectTimeout)
	})
}

// Test: the client connects over IPv6 too (AF_INET6), where there is an
// IPv6 loopback.
func TestIPv6(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	c := startClient(t, l.Addr().String())
	srv := accept(t, l)
	srv.write("hello over IPv6\n")
	c.out.WaitLine(t, "hello over IPv6")
	c.typeLine("hello back")
	srv.expect("hello back")
	srv.conn.Close()
	c.out.WaitLine(t, ServerClosed)
	require.ErrorIs(t, c.wait(), ErrClosed)
}

// Test: the session runs on one goroutine. While lines flow both ways,
// the process has at most one goroutine more than before Chat started
// (the one running it), that goroutine has started none, and between
// events it waits in poll(2) — one wait for both directions. The server
// here is the test's own goroutine, so no server goroutine blurs the
// count; other goroutines of the runtime may come and go, so the count is
// given a moment to settle.
func TestOneGoroutine(t *testing.T) {
	l := listen(t)
	base := runtime.NumGoroutine()
	c := startClient(t, l.Addr().String())
	srv := accept(t, l)

	check := func(when string) {
		t.Helper()
		if !eventually(2*time.Second, func() bool { return runtime.NumGoroutine() <= base+1 }) {
			t.Errorf("%s: %d goroutines, want at most %d (before Chat: %d, plus Chat's own)\n%s",
				when, runtime.NumGoroutine(), base+1, base, strings.Join(stacks(), "\n\n"))
		}
		var running, started []string
		inPoll := eventually(2*time.Second, func() bool {
			running, started = chatGoroutines()
			return len(running) == 1 && strings.Contains(running[0], "golang.org/x/sys/unix.Poll(")
		})
		require.Len(t, running, 1, "%s: goroutines running Chat", when)
		assert.Empty(t, started, "%s: goroutines started by Chat's goroutine", when)
		assert.True(t, inPoll, "%s: Chat's goroutine is not waiting in poll:\n%s", when, running[0])
	}

	check("before any line")
	srv.write("hello from the server\n")
	c.out.WaitLine(t, "hello from the server")
	check("after a line from the server")
	c.typeLine("hello from the client")
	srv.expect("hello from the client")
	check("after a line to the server")
	for i := range 20 {
		srv.write(fmt.Sprintf("down %d\n", i))
		c.typeLine(fmt.Sprintf("up %d", i))
	}
	var down []string
	for i := range 20 {
		down = append(down, fmt.Sprintf("down %d", i))
		c.out.WaitLine(t, down[i])
		srv.expect(fmt.Sprintf("up %d", i))
	}
	inOrder(t, c.out, down...)
	check("after lines both ways at once")
	c.typeLine("exit")
	srv.expect("exit")
	srv.conn.Close()
	require.NoError(t, c.wait())
}

// Test: the binary, built, against task 3's server: it shows the welcome,
// the acknowledgment and the goodbye, and exits 0.
func TestBinary(t *testing.T) {
	t.Parallel()
	bins := bintest.Build(t, "./cmd/client")
	t.Run("task 3", func(t *testing.T) {
		_, port, err := net.SplitHostPort(newTask3(t))
		require.NoError(t, err)
		out, code := bintest.Run(t, "hello\n/quit\n", bins[0], "127.0.0.1", port)
		assert.Equal(t, 0, code, "exit status; output:\n%s", out)
		// What was typed is shown when it is sent: before or after the
		// welcome, which may not have come yet.
		shown := slices.DeleteFunc(strings.Split(strings.TrimSuffix(out, "\n"), "\n"), func(l string) bool { return l == "you: hello" })
		require.Len(t, shown, 3, "output:\n%s", out)
		assert.Contains(t, out, "you: hello\n", "the line sent is shown")
		assert.Regexp(t, `^Welcome to ClassChat! You are Client \d+\. Type 'exit' to quit\.$`, shown[0])
		assert.Equal(t, fmt.Sprintf(task3.AckFormat, "hello"), shown[1])
		assert.Equal(t, task3.Goodbye, shown[2], "/quit sent exit, which the server answers")
	})
	t.Run("task 1", func(t *testing.T) {
		l := listen(t)
		opIn, op := io.Pipe()
		t.Cleanup(func() { op.Close() })
		opOut := chattest.NewOutput()
		served := make(chan error, 1)
		go func() { served <- task1.Serve(context.Background(), l, opIn, opOut) }()
		_, port, err := net.SplitHostPort(l.Addr().String())
		require.NoError(t, err)
		out, code := bintest.Run(t, "hello\n", bins[0], "127.0.0.1", port)
		assert.Equal(t, 0, code, "exit status; output:\n%s", out)
		assert.ElementsMatch(t, []string{task1.Greeting, "you: hello"}, strings.Split(strings.TrimSuffix(out, "\n"), "\n"))
		opOut.WaitLine(t, "[CLIENT] hello")
		opOut.WaitLine(t, "[CLIENT] exit")
		select {
		case err := <-served:
			assert.NoError(t, err, "task1.Serve")
		case <-time.After(chattest.Timeout):
			t.Fatal("task1.Serve did not return")
		}
	})
	t.Run("refused", func(t *testing.T) {
		_, port, err := net.SplitHostPort(chattest.ClosedPort(t))
		require.NoError(t, err)
		out, code := bintest.Run(t, "", bins[0], "127.0.0.1", port)
		assert.Equal(t, exitcode.Refused, code, out)
		assert.Contains(t, out, "client-task2: nothing is listening at 127.0.0.1:"+port+
			"\n  next step: is the server running? start it with make server-task1 or make server-task3")
		assert.NotContains(t, out, "connect: connection refused", "no Go error")
	})
	t.Run("help", func(t *testing.T) {
		out, code := bintest.Run(t, "", bins[0], "--help")
		assert.Equal(t, 0, code)
		assert.Contains(t, out, "Usage:\n  client-task2 [host] [port]\n", "no [flags]: it has none")
	})
}
