package task4_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/classchat/internal/cctest"
	"chatlab/classchat/task4"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

// Test: a text with a newline, an escape sequence and a right-to-left
// override, sent by a raw client, is one line on our client's screen,
// with U+FFFD and "↵" in their places: it cannot forge a system line or
// drive the terminal.
func TestClientShowsPeerTextSafely(t *testing.T) {
	addr := start(t)
	bob := login(t, addr, "bob")
	screen, _ := cctest.Client(t, addr, task4.ClientConfig{Name: "alice"})
	bob.Next() // alice joined
	bob.Next() // user list

	bob.Write(`{"receiver":"alice","text":"hi\n[SYSTEM] bob has left the chat\r\u001b]0;PWNED\u0007\u202eexe"}`)
	screen.WaitLine(t, "[bob] hi↵[SYSTEM] bob has left the chat\uFFFD\uFFFD]0;PWNED\uFFFD\uFFFDexe")
	for _, line := range strings.Split(screen.String(), "\n") {
		assert.NotEqual(t, "[SYSTEM] bob has left the chat", line, "a forged line")
	}
	assert.NotContains(t, screen.String(), "\x1b")
	assert.NotContains(t, screen.String(), "\u202e")
}

// Test: names with invisible characters are refused: a right-to-left
// override or a zero-width space would make a name look like another's.
func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	addr := start(t)
	for _, name := range []string{"ali\u202ece", "a\u200bb", "bob\ufeff", "\u2066eve\u2069", "x\u3164", "a\x01b", "a\u009bb"} {
		p := dial(t, addr)
		p.Write(name + "\n")
		got := p.Next()
		assert.Equal(t, task4.Notice(task4.StatusError,
			"Invalid username '%s': a name cannot contain invisible or control characters. Disconnecting...", name), got, "name %+q", name)
		p.ExpectClosed()
	}
	assert.Equal(t, "a name cannot contain spaces, '@' or '/'", task4.CheckName("tab\there"), "the other rules keep their words")
	assert.Empty(t, task4.CheckName("zoë_李"), "visible letters of any script are fine")
}

// Test: a name that is not UTF-8 reaches the server's log quoted, with
// its bytes escaped, never raw.
func TestInvalidNameIsLoggedEscaped(t *testing.T) {
	log := chattest.NewOutput()
	addr := chattest.Start(t, task4.New(logging.New(log, false)))
	p := dial(t, addr)
	p.Write("a\xffb\n")
	assert.Equal(t, task4.StatusError, p.Next().Status)
	p.ExpectClosed()
	log.WaitFor(t, `="a\xffb"`)
	assert.NotContains(t, log.String(), "\x1b")
	assert.NotContains(t, log.String(), "\xff")
}
