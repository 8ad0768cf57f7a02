package task4_test

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task4"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
	"chatlab/shared/server"
)

// startWith starts a task 4 server with opts and limits.
func startWith(t *testing.T, opts task4.Options, limits cc.Limits) string {
	srv, reg := task4.NewRegistry(logging.New(&strings.Builder{}, false), opts)
	reg.SetLimits(limits)
	return chattest.Start(t, srv)
}

// A connection that gives no name within the log-in time is told, and
// closed; one that answers in time is not hurried.
func TestLoginTimeout(t *testing.T) {
	addr := startWith(t, task4.Options{}, cc.Limits{LoginTimeout: 300 * time.Millisecond})
	silent := dial(t, addr)
	assert.Equal(t, task4.Notice(task4.StatusError, "No username within 300ms. Disconnecting..."), silent.Next())
	silent.ExpectClosed()

	login(t, addr, "alice") // dials, and answers at once
}

// The default log-in time is ChatProto's, 10 s, not minutes.
func TestLoginTimeoutDefault(t *testing.T) {
	assert.Equal(t, 10*time.Second, task4.LoginTimeout)
}

// The original client sends its bare name with one send(), which TCP may
// deliver in two segments: the name is read until the client pauses.
func TestNameSplitAcrossSegments(t *testing.T) {
	// A pause that ends a name far longer than the one between the two
	// writes below, whatever the machine's load.
	addr := startWith(t, task4.Options{NameQuiet: time.Second}, cc.Limits{})
	p := dial(t, addr)
	p.Write("spl")
	time.Sleep(20 * time.Millisecond) // the second segment, a moment later
	p.Write("it")
	assert.Equal(t, "Welcome split! You are now connected to ClassChat.", p.Next().Message)
	assert.Equal(t, []string{"split"}, p.Next().Users)
}

// Names are unique whatever their case, shown as typed, and a message
// to Bob reaches bob.
func TestNamesIgnoreCase(t *testing.T) {
	addr := start(t)
	wit := login(t, addr, "WIT1")
	twin := dial(t, addr)
	twin.Write("wit1\n")
	assert.Equal(t, task4.Notice(task4.StatusError, "Username 'wit1' is already taken. Disconnecting..."), twin.Next())
	twin.ExpectClosed()

	bob := dial(t, addr)
	bob.Write("bob\n")
	bob.Next() // welcome
	assert.Equal(t, []string{"WIT1", "bob"}, bob.Next().Users, "names as typed")
	wit.Next() // bob joined
	wit.Next() // user list

	bob.Write(`{"receiver": "wit1", "text": "found you"}` + "\n")
	assert.Equal(t, task4.Reply{Status: "message", Sender: "bob", Receiver: "wit1", Text: "found you"}, wit.Next())
	assert.Equal(t, "Message delivered to wit1", bob.Next().Message)
}

// The kinds of object, and their sizes: in task 4 every object is text,
// and one over MaxText closes the connection (TestBadInput); the cap is
// the object's, far below a file's 10 MiB.
func TestTextCap(t *testing.T) {
	assert.Equal(t, 64<<10, task4.MaxText)
	assert.Equal(t, task4.MaxText, task4.MaxObject)
}

// SIGTERM: every client, logged in or still at the prompt, is told, and
// the server exits 0 within its grace period.
func TestSIGTERMTellsEveryone(t *testing.T) {
	bin := bintest.Build(t, "./cmd/server")[0]
	srv := bintest.StartMatching(t, ready, bin, "0")
	bob := login(t, srv.Addr(), "bob")
	prompted := dial(t, srv.Addr()) // at the prompt, typing
	require.NoError(t, srv.Cmd.Process.Signal(syscall.SIGTERM))
	start := time.Now()
	assert.Equal(t, task4.Notice(task4.StatusSystem, task4.ShuttingDown), bob.Next())
	assert.Equal(t, task4.Notice(task4.StatusSystem, task4.ShuttingDown), prompted.Next(), "the client at the prompt is told")
	bob.ExpectClosed()
	prompted.ExpectClosed()
	assert.NoError(t, srv.Wait(t), "exit status 0")
	assert.Less(t, time.Since(start), server.DefaultShutdownGrace, "within the grace period")
}

// Our client asks for the name before it connects, so that the server's
// log-in time is spent on the wire, not on typing.
func TestClientAsksBeforeConnecting(t *testing.T) {
	bin := bintest.Build(t, "./cmd/client")[0]
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	client := exec.Command(bin, "127.0.0.1", port)
	typing, err := client.StdinPipe()
	require.NoError(t, err)
	screen := chattest.NewOutput()
	client.Stdout, client.Stderr = screen, screen
	require.NoError(t, client.Start())
	t.Cleanup(func() { client.Process.Kill(); client.Wait() })

	screen.WaitFor(t, "Enter your username:")
	select {
	case <-accepted:
		t.Fatal("the client connected before it had a name")
	default:
	}
	_, err = io.WriteString(typing, "carol\n")
	require.NoError(t, err)
	select {
	case c := <-accepted:
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(chattest.Timeout))
		_, err := c.Write([]byte(task4.Prompt))
		require.NoError(t, err)
		name, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "carol\n", name, "the name, at once")
	case <-time.After(chattest.Timeout):
		t.Fatal("the client did not connect once it had a name")
	}
}

// The limits are the server's flags: --login-timeout here, and --help
// lists the others.
func TestLimitFlags(t *testing.T) {
	bin := bintest.Build(t, "./cmd/server")[0]
	help, status := bintest.Run(t, "", bin, "--help")
	assert.Equal(t, 0, status)
	for _, flag := range []string{"-login-timeout", "-frame-timeout", "-read-budget", "-msg-rate", "-msg-burst", "-byte-rate", "-byte-burst"} {
		assert.Contains(t, help, "  "+flag+" ", "--help lists %s", flag)
	}
	srv := bintest.StartMatching(t, ready, bin, "--login-timeout", "200ms", "0")
	silent := dial(t, srv.Addr())
	assert.Equal(t, task4.Notice(task4.StatusError, "No username within 200ms. Disconnecting..."), silent.Next())
	silent.ExpectClosed()

	out, status := bintest.Run(t, "", bin, "--login-timeout", "0", "0")
	assert.Equal(t, 2, status, out)
	assert.Contains(t, out, "--login-timeout must be more than 0")
	out, status = bintest.Run(t, "", bin, "--frame-timeout", "-1s", "0")
	assert.Equal(t, 2, status, out)
	assert.Contains(t, out, "--frame-timeout must be 0 (no limit) or more")
}
