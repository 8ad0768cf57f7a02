//go:build unix

package server

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineWriter sends every line written to it on a channel, if there is
// room.
type lineWriter chan string

func (w lineWriter) Write(b []byte) (int, error) {
	select {
	case w <- string(b):
	default:
	}
	return len(b), nil
}

// Test: a running server asked with SIGUSR1 logs one memory line with
// its resident memory, heap, stacks and goroutines; it goes on serving
// and still stops cleanly.
func TestMemoryLineOnSIGUSR1(t *testing.T) {
	lines := make(lineWriter, 64)
	s := New(HandlerFunc(echo), slog.New(slog.NewTextHandler(lines, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- RunUntilSignal(ctx, s, listen(t), time.Second) }()

	// The handler is set up as RunUntilSignal starts, and a Go program
	// ignores SIGUSR1 until then: ask until it answers.
	var line string
	ask := time.NewTicker(50 * time.Millisecond)
	defer ask.Stop()
	deadline := time.After(waitFor)
	for line == "" {
		require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1))
		select {
		case l := <-lines:
			if strings.Contains(l, "msg="+MemoryMessage) {
				line = l
			}
		case <-ask.C:
		case <-deadline:
			t.Fatal("no memory line after SIGUSR1")
		}
	}
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = v
		}
	}
	for _, k := range []string{"rss", "heap_inuse", "heap_live", "heap_free", "heap_released", "stacks", "goroutines", "gcs"} {
		assert.Contains(t, fields, k, "in %q", line)
	}
	// heap_live is 0 until the first collection.
	for _, k := range []string{"rss", "heap_inuse", "stacks", "goroutines"} {
		assert.NotContains(t, []string{"0", "-1"}, fields[k], "%s in %q", k, line)
	}
	cancel()
	assert.NoError(t, recv(t, done, "RunUntilSignal to return"))
}

// Test: ReadMemory's figures hang together: what is live fits in the
// heap in use, and the process holds at least its heap and stacks.
func TestReadMemory(t *testing.T) {
	m := ReadMemory()
	assert.Positive(t, m.Goroutines)
	assert.Positive(t, m.Stacks)
	assert.Positive(t, m.HeapInUse)
	assert.LessOrEqual(t, m.HeapLive, m.HeapInUse)
	if m.RSS >= 0 {
		assert.Greater(t, m.RSS, m.Stacks)
	}
}
