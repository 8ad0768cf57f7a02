package chattest

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Output collects what a program under test writes (a client's display, a
// server's log) from any goroutine, and lets the test wait for it.
type Output struct {
	// Timeout bounds each wait (default Timeout).
	Timeout time.Duration

	mu   sync.Mutex
	text strings.Builder
	grew chan struct{}
}

// NewOutput returns an empty Output.
func NewOutput() *Output { return &Output{Timeout: Timeout, grew: make(chan struct{}, 1)} }

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.text.Write(p)
	o.mu.Unlock()
	select {
	case o.grew <- struct{}{}:
	default:
	}
	return len(p), nil
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.text.String()
}

// WaitFor waits until the output contains s, failing the test after
// Timeout.
func (o *Output) WaitFor(t testing.TB, s string) {
	t.Helper()
	o.wait(t, "the text "+s, func(all string) bool { return strings.Contains(all, s) })
}

// WaitLine waits until a whole line of the output equals line.
func (o *Output) WaitLine(t testing.TB, line string) {
	t.Helper()
	o.wait(t, "the line "+line, func(all string) bool {
		for _, l := range strings.Split(all, "\n") {
			if l == line {
				return true
			}
		}
		return false
	})
}

func (o *Output) wait(t testing.TB, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.After(o.Timeout)
	for !ok(o.String()) {
		select {
		case <-o.grew:
		case <-deadline:
			t.Fatalf("waited %v for %s; output:\n%s", o.Timeout, what, o.String())
		}
	}
}
