//go:build unix

package task2

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/task3"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
	"chatlab/shared/tmuxtest"
)

// attacks are lines a client of task 3's server sends, each to drive the
// other clients' terminals, and what a client shows of each after the
// sender's "[Client N] ".
var attacks = []struct{ name, line, shown string }{
	{"set the window title (OSC 2)", "\x1b]2;PWNED\x07title", "\uFFFD]2;PWNED\uFFFDtitle"},
	{"clear the screen", "\x1b[2J\x1b[Hcleared", "\uFFFD[2J\uFFFD[Hcleared"},
	{"write the clipboard (OSC 52)", "\x1b]52;c;cHduZWQ=\x07clip", "\uFFFD]52;c;cHduZWQ=\uFFFDclip"},
	{"forge a line over its own", "hi\r[SYSTEM] Client 99 has left the chat", "hi\uFFFD[SYSTEM] Client 99 has left the chat"},
	{"reverse the text", "invoice\u202etxt.exe", "invoice\uFFFDtxt.exe"},
}

// forgedLine is what the forging attack would show on a line of its own.
const forgedLine = "[SYSTEM] Client 99 has left the chat"

// rawTask3Client connects to task 3's server as a program that writes any
// bytes, and returns the connection and its client number.
func rawTask3Client(t *testing.T, addr string) (net.Conn, int) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, chattest.Timeout)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	var id int
	_, err = fmt.Sscanf(line, task3.WelcomeFormat, &id)
	require.NoError(t, err, "welcome %q", line)
	return conn, id
}

// Test: through task 3's server, another client's escape sequences,
// carriage returns and bidirectional overrides reach the output as
// U+FFFD, also when it is a pipe: nothing in it can drive a terminal.
func TestPeerCannotDriveTheTerminal(t *testing.T) {
	addr := newTask3(t)
	c := startClient(t, addr)
	welcome(t, c)
	peer, id := rawTask3Client(t, addr)
	for _, a := range attacks {
		_, err := fmt.Fprintf(peer, "%s\n", a.line)
		require.NoError(t, err)
	}
	for _, a := range attacks {
		c.out.WaitLine(t, fmt.Sprintf(task3.FromFormat, id, a.shown))
	}
	out := c.out.String()
	assert.NotContains(t, out, "\x1b", "no escape character reaches the output")
	assert.NotContains(t, out, "\r", "no carriage return reaches the output")
	assert.NotContains(t, out, "\u202e", "no right-to-left override reaches the output")
	assert.False(t, hasLine(c.out, forgedLine), "no forged line")
}

// Test: the same in a real terminal (tmux), against the binary: the
// window title is not set, the screen is not cleared, the clipboard is
// not written, and no forged line shows.
func TestPeerCannotDriveARealTerminal(t *testing.T) {
	tmuxtest.Require(t)
	t.Parallel()
	bin := bintest.Build(t, "./cmd/client")[0]
	addr := newTask3(t)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)

	p := tmuxtest.Start(t, tmuxtest.Options{Width: 100, Height: 20}, bin, "127.0.0.1", port)
	// tmux keeps what OSC 52 writes as a paste buffer, where the test can
	// see it.
	p.Tmux("set-option", "-g", "set-clipboard", "on")
	title := func() string {
		return strings.TrimSpace(p.Tmux("display-message", "-p", "-t", p.Target(), "#{pane_title}"))
	}
	before := title()
	isWelcome := func(r string) bool { return strings.HasPrefix(r, "Welcome to ClassChat! You are Client ") }
	p.WaitFor("the welcome", func(s tmuxtest.Screen) bool { return slices.ContainsFunc(s.Rows, isWelcome) })

	peer, id := rawTask3Client(t, addr)
	for _, a := range attacks {
		_, err := fmt.Fprintf(peer, "%s\n", a.line)
		require.NoError(t, err)
	}
	_, err = fmt.Fprintf(peer, "done\n")
	require.NoError(t, err)
	s := p.WaitFor("the peer's last line", func(s tmuxtest.Screen) bool {
		return slices.Contains(s.Rows, fmt.Sprintf(task3.FromFormat, id, "done"))
	})

	assert.True(t, slices.ContainsFunc(s.Rows, isWelcome), "the screen was not cleared:\n%s", s)
	for _, a := range attacks {
		assert.Contains(t, s.Rows, fmt.Sprintf(task3.FromFormat, id, a.shown), "%s:\n%s", a.name, s)
	}
	assert.NotContains(t, s.Rows, forgedLine, "no forged line:\n%s", s)
	assert.Equal(t, before, title(), "the window title is unchanged")
	assert.Empty(t, strings.TrimSpace(p.Tmux("list-buffers")), "nothing was written to the clipboard")
}
