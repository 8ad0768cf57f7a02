package task4_test

import (
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
	"chatlab/shared/exitcode"
)

func TestMain(m *testing.M) { bintest.Main(m) }

var ready = regexp.MustCompile(`^\[INFO\] ClassChat task 4 server started on 127\.0\.0\.1:(\d+)$`)

// Our client against our server, as built, with piped input.
func TestBinaries(t *testing.T) {
	b := bintest.Build(t, "./cmd/server", "./cmd/client")
	srv := bintest.StartMatching(t, ready, b[0], "0")
	bob := login(t, srv.Addr(), "bob")

	out, status := bintest.Run(t, "bob hello from the Go client\n@bob and again\nnobody hi\n/help\n#g hi\n/create g\n/quit\n", b[1], "--name", "alice", "127.0.0.1", srv.Port)
	assert.Equal(t, 0, status, out)
	assert.Contains(t, out, "Welcome alice! You are now connected to ClassChat.")
	assert.Contains(t, out, "[CLIENT] Type @user message to send one; /help lists the commands, /quit leaves.")
	assert.Contains(t, out, "you → bob: hello from the Go client\n", "what is sent is shown")
	assert.Contains(t, out, "you → bob: and again\n", "@bob is bob")
	assert.Contains(t, out, "[✓] Message delivered to bob")
	assert.Contains(t, out, "  @user message       a direct message to user")
	assert.Contains(t, out, "  /quit               leave (also: exit)")
	assert.Contains(t, out, "[CLIENT] groups (#group message) come with bonus 1")
	assert.Contains(t, out, "[CLIENT] /create is not a command of this client; /help lists them")
	assert.NotContains(t, out, "Server closed the connection", "after /quit, the close is no news")
	assert.Contains(t, out, "[ERROR] User 'nobody' is not connected.")
	bob.Next() // alice joined
	bob.Next() // user list
	got := bob.Next()
	assert.Equal(t, "alice", got.Sender)
	assert.Equal(t, "hello from the Go client", got.Text)
	assert.Equal(t, "and again", bob.Next().Text)

	// Without --name the client asks, as the original did: the first line.
	out, status = bintest.Run(t, "carol\nexit\n", b[1], "127.0.0.1", srv.Port)
	assert.Equal(t, 0, status, out)
	assert.Contains(t, out, "Enter your username:")
	assert.Contains(t, out, "Welcome carol!")

	out, status = bintest.Run(t, "", b[1], "--name", "bob", "127.0.0.1", srv.Port)
	assert.Equal(t, exitcode.NameTaken, status, out)
	assert.Contains(t, out, "[ERROR] Username 'bob' is already taken. Disconnecting...")
	assert.Contains(t, out, "next step: pick another name")
	out, status = bintest.Run(t, "", b[1], "--name", "a/b", "127.0.0.1", srv.Port)
	assert.Equal(t, exitcode.NameInvalid, status, out)
}

// Every way the log-in can fail is said in words, with the next step and
// the exit status every ChatLab client gives it; no Go error is shown.
func TestClientExplainsFailures(t *testing.T) {
	b := bintest.Build(t, "./cmd/client", "../task3/cmd/server")
	task3 := bintest.StartMatching(t, regexp.MustCompile(`started on 127\.0\.0\.1:(\d+)$`), b[1], "0")
	closed := chattest.ClosedPort(t)
	_, closedPort, _ := net.SplitHostPort(closed)
	silent := chattest.SilentListener(t)
	_, silentPort, _ := net.SplitHostPort(silent)
	tests := []struct {
		name   string
		port   string
		status int
		says   string
	}{
		{"refused", closedPort, exitcode.Refused, "nothing is listening at " + closed + "\n  next step: is the server running? start it with make server-task4"},
		{"a task 3 server", task3.Port, exitcode.WrongProtocol, "did not ask for a name as a ClassChat server of task 4 or later does\n  next step: check the port"},
		{"silent", silentPort, exitcode.LoginTimeout, "accepted the connection but never asked for a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, status := bintest.Run(t, "", b[0], "--name", "alice", "127.0.0.1", tt.port)
			assert.Equal(t, tt.status, status, out)
			assert.Contains(t, out, "client-task4: ")
			assert.Contains(t, out, tt.says)
			assert.NotContains(t, out, "dial tcp")
			assert.NotContains(t, out, "i/o timeout")
		})
	}
}

// A server that stops while a client is logged in says so in its log in
// words: no "use of closed network connection".
func TestServerLogOnShutdown(t *testing.T) {
	bin := bintest.Build(t, "./cmd/server")[0]
	srv := bintest.StartMatching(t, ready, bin, "0")
	bob := login(t, srv.Addr(), "bob")
	require.NoError(t, srv.Cmd.Process.Signal(syscall.SIGINT))
	assert.Equal(t, "Server is shutting down.", bob.Next().Message)
	var line string
	for !strings.Contains(line, "disconnected") {
		line = srv.NextLine(t)
	}
	assert.Contains(t, line, `reason="closed by the server"`)
	assert.NotContains(t, line, "use of closed network connection")
}
