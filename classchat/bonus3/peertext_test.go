package bonus3_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/classchat/bonus3"
)

// A held message is shown on one line, cleaned, like a live one: its
// newline cannot forge a line, its escape sequences cannot drive the
// terminal.
func TestHeldMessageIsShownSafely(t *testing.T) {
	line, ok := bonus3.Describe([]byte(`{"status":"message","sender":"bob","text":"hi\n[SYSTEM] x\u001b]0;t\u0007","timestamp":"2026-01-02 03:04:05"}`), "alice")
	assert.True(t, ok)
	assert.Equal(t, "[bob] [2026-01-02 03:04:05] hi↵[SYSTEM] x\uFFFD]0;t\uFFFD", line)
	line, ok = bonus3.Describe([]byte(`{"status":"offline_messages","message":"You have 1 offline\u202e message"}`), "alice")
	assert.True(t, ok)
	assert.Equal(t, "[OFFLINE] You have 1 offline\uFFFD message", line)
}
