package task1_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/task1"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
)

// Test: what one side types cannot drive the other side's terminal: the
// operator's screen and the client's show an escape sequence, a carriage
// return and a right-to-left override as U+FFFD.
func TestPeerTextIsCleaned(t *testing.T) {
	server, client := session(t)
	client.screen.WaitLine(t, task1.Greeting)
	client.say(t, "\x1b]2;PWNED\x07\x1b[2Jhi\r[SERVER] forged \u202eexe")
	server.screen.WaitLine(t, "[CLIENT] \uFFFD]2;PWNED\uFFFD\uFFFD[2Jhi\uFFFD[SERVER] forged \uFFFDexe")
	server.say(t, "\x1b[31mred\u200b")
	client.screen.WaitLine(t, "\uFFFD[31mred\uFFFD")
	for _, s := range []*chattest.Output{server.screen, client.screen} {
		assert.NotContains(t, s.String(), "\x1b")
		assert.NotContains(t, s.String(), "\r")
	}
}

// Test: server-task1, its output a pipe (not a terminal, so no line editor
// cleans it), prints a client's escape sequences as U+FFFD.
func TestServerBinaryCleansWhenNotATerminal(t *testing.T) {
	bin := bintest.Build(t, "./cmd/server")[0]
	cmd := exec.Command(bin, "0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	// The operator's input stays open: its end would end the session.
	operator, err := cmd.StdinPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { operator.Close(); cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the server's output ended")
			return l
		case <-time.After(chattest.Timeout):
			t.Fatal("no line from the server in time")
			return ""
		}
	}
	started := regexp.MustCompile(`^\[SERVER\] Server started on 127\.0\.0\.1:(\d+)$`)
	m := started.FindStringSubmatch(next())
	require.NotNil(t, m, "the start-up line")

	conn, err := net.Dial("tcp", "127.0.0.1:"+m[1])
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, "\x1b]0;PWNED\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07hi\u202e\n")
	require.NoError(t, err)
	var got string
	for !strings.HasPrefix(got, "[CLIENT] ") {
		got = next()
		assert.NotContains(t, got, "\x1b", "an escape character in the server's output")
	}
	assert.Equal(t, "[CLIENT] \uFFFD]0;PWNED\uFFFD\uFFFD[2J\uFFFD]52;c;cHduZWQ=\uFFFDhi\uFFFD", got)
}
