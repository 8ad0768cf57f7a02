package bonus1_test

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/internal/cctest"
	"chatlab/classchat/task4"
)

// Test: a group post with a newline and escape sequences, from a raw
// client, is one cleaned line on our client's screen; a group name with
// an invisible character is refused.
func TestGroupTextIsShownSafely(t *testing.T) {
	addr := start(t)
	bob := login(t, addr, "bob")
	screen, typing := cctest.Client(t, addr, task4.ClientConfig{Name: "alice",
		Command: bonus1.Command, Describe: bonus1.Describe, Help: bonus1.ClientHelp})
	bob.Next() // alice joined
	bob.Next() // user list

	command(bob, "/create g\u202e")
	got := bob.Next()
	assert.Equal(t, task4.StatusError, got.Status)
	assert.Equal(t, "Invalid group name 'g\u202e': a group name cannot contain invisible or control characters", got.Message)

	command(bob, "/create g")
	assert.Equal(t, "Group 'g' created successfully", bob.Next().Message)
	groups(t, bob)
	_, err := io.WriteString(typing, "/join g\n")
	require.NoError(t, err)
	screen.WaitLine(t, "[SUCCESS] Joined group 'g'")
	post(bob, "@g", `hi\n[SYSTEM] bob has left the chat\u001b[2J\u200b`)
	screen.WaitLine(t, "[#g - bob] hi↵[SYSTEM] bob has left the chat\uFFFD[2J\uFFFD")
	for _, line := range strings.Split(screen.String(), "\n") {
		assert.NotEqual(t, "[SYSTEM] bob has left the chat", line, "a forged line")
	}

	line, ok := bonus1.Describe([]byte(`{"status":"group_list","groups":{"g\u001b[2J":["a\nb","c"]}}`), "alice")
	assert.True(t, ok)
	assert.Equal(t, "[GROUPS]\n  #g\uFFFD[2J: a↵b, c", line, "names in the list of groups are cleaned, one group a line")
}
