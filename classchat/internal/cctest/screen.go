// Package cctest holds test helpers for the ClassChat stages.
package cctest

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Screen is a display for tests: it keeps what was written and lets a
// test wait for a line, with a deadline.
type Screen struct {
	mu   sync.Mutex
	text strings.Builder
	grew chan struct{}
}

// NewScreen returns an empty screen.
func NewScreen() *Screen { return &Screen{grew: make(chan struct{}, 1)} }

func (s *Screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.text.Write(p)
	s.mu.Unlock()
	select {
	case s.grew <- struct{}{}:
	default:
	}
	return len(p), nil
}

// String returns everything written so far.
func (s *Screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.String()
}

// WaitLine waits until a line equal to line has been written.
func (s *Screen) WaitLine(t testing.TB, line string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for _, l := range strings.Split(s.String(), "\n") {
			if l == line {
				return
			}
		}
		select {
		case <-s.grew:
		case <-deadline:
			t.Fatalf("never showed %q; screen:\n%s", line, s.String())
		}
	}
}
