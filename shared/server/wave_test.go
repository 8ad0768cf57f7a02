package server

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test: once a wave of connections is over (none for the quiet time),
// the server returns its free memory, once for the wave, with how many
// connections came in it; a wave smaller than the minimum returns
// nothing.
func TestMemoryReturnedAfterAWave(t *testing.T) {
	s := New(HandlerFunc(echo), quietLogger())
	s.init()
	released := make(chan int, 4)
	s.wave.min, s.wave.quiet = 5, 50*time.Millisecond
	s.wave.release = func(n int) { released <- n }
	l := listen(t)
	go s.Serve(l)
	t.Cleanup(func() { s.Shutdown(t.Context()) })

	dial := func(n int) {
		for range n {
			c, err := net.Dial("tcp", l.Addr().String())
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
		}
	}
	dial(5)
	assert.Equal(t, 5, recv(t, released, "the release after a wave of 5"))
	// Below the minimum nothing is scheduled; the count goes on.
	dial(4)
	waitWave(t, s, 4)
	s.wave.mu.Lock()
	assert.Nil(t, s.wave.timer, "no release for 4 connections")
	s.wave.mu.Unlock()
	dial(1)
	assert.Equal(t, 5, recv(t, released, "the release after 5 more"))
	assert.Empty(t, released, "one release per wave")
}

// Test: a wave must also be a quarter of the open connections, so that
// the collection it pays for is shared by enough of them.
func TestWaveIsAQuarterOfTheOpenConnections(t *testing.T) {
	w := wave{min: 2, quiet: time.Hour, release: func(int) {}}
	now := time.Now()
	w.note(now, 100)
	w.note(now, 101)
	assert.Nil(t, w.timer, "2 of 101 open")
	for i := range 23 {
		w.note(now, 102+i)
	}
	assert.Nil(t, w.timer, "25 of 124 open")
	w.note(now, 100)
	assert.NotNil(t, w.timer, "26 of 100 open")
	w.stop()
}

// waitWave waits until the server has counted n connections since its
// last release.
func waitWave(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		s.wave.mu.Lock()
		got := s.wave.n
		s.wave.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server counted %d connections, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
