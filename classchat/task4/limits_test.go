package task4_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task4"
)

// An object begun and not finished is not held for ever: once the frame
// time is up its sender is told, and closed. A user idle between objects
// stays, however long.
func TestStalledObjectIsClosed(t *testing.T) {
	const frame = 500 * time.Millisecond
	addr := startWith(t, task4.Options{}, cc.Limits{FrameTimeout: frame})
	bob := login(t, addr, "bob")
	alice := login(t, addr, "alice", bob)
	start := time.Now()
	alice.Write(`{"receiver": "bob", "text": "half of a mess`)
	assert.Equal(t, task4.Notice(task4.StatusError, "A message was begun but not finished in time. Disconnecting..."), alice.Next())
	alice.ExpectClosed()
	assert.GreaterOrEqual(t, time.Since(start), frame, "not before the frame time")

	assert.Equal(t, "alice has left the chat", bob.Next().Message, "bob, idle all along, is still there")
	bob.Next() // user list
	bob.Write(`{"receiver": "bob", "text": "still here"}`)
	assert.Equal(t, "still here", bob.Next().Text)
}

// An object sent nearly whole at once and then stopped is closed once it
// has not moved for the frame time: what was sent earns no time in
// advance, however low the minimum rate (here 60 KB at 100 bytes a second
// would be ten minutes).
func TestBurstThenStallIsClosed(t *testing.T) {
	const frame = 500 * time.Millisecond
	addr := startWith(t, task4.Options{}, cc.Limits{FrameTimeout: frame, MinRate: 100})
	alice := login(t, addr, "alice")
	start := time.Now()
	alice.Write(`{"receiver": "alice", "text": "` + strings.Repeat("x", 60000))
	assert.Equal(t, task4.Notice(task4.StatusError, "A message was begun but not finished in time. Disconnecting..."), alice.Next())
	alice.ExpectClosed()
	assert.GreaterOrEqual(t, time.Since(start), frame, "not before the frame time")
}
