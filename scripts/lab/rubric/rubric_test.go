package rubric

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Test: a rubric with Parallel runs that many checks at once and no more,
// slow ones beside them and final ones after every other; each result
// keeps its check's number.
func TestParallelChecks(t *testing.T) {
	var running, most atomic.Int32
	var mu sync.Mutex
	var ended []string
	end := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		ended = append(ended, name)
	}
	release, aloneDone := make(chan struct{}), make(chan struct{})
	started := make(chan struct{}, 8)
	check := func(c *C) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		started <- struct{}{}
		<-release
		running.Add(-1)
	}
	r := Rubric{Parallel: 3, Checks: []Check{
		// The slow check runs beside all the others, the alone one too.
		{Name: "slow", Points: 1, Slow: true, Run: func(c *C) { <-release; <-aloneDone; end("slow") }},
		{Name: "a", Points: 1, Run: check}, {Name: "b", Points: 1, Run: check},
		{Name: "c", Points: 1, Run: check}, {Name: "d", Points: 1, Run: check},
		{Name: "e", Points: 1, Run: func(c *C) { check(c); c.Errorf("e fails") }},
		{Name: "alone", Points: 1, Alone: true, Run: func(c *C) {
			if n := running.Load(); n != 0 {
				c.Errorf("%d checks ran beside a check that must run alone", n)
			}
			end("alone")
			close(aloneDone)
		}},
		{Name: "final", Points: 1, Final: true, Run: func(c *C) { end("final") }},
	}}
	go func() {
		// Three start at once, the fourth only when one ends.
		for range 3 {
			<-started
		}
		select {
		case <-started:
			t.Error("a fourth check started while three ran")
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
	}()
	rep := Run(r, "nowhere", Options{})
	assert.Equal(t, int32(3), most.Load())
	assert.Equal(t, []string{"alone", "slow", "final"}, ended, "alone after the others, final after the slow check")
	assert.Equal(t, Pass, rep.Results[6].Status, rep.Results[6].Reason)
	for i, res := range rep.Results {
		assert.Equal(t, i+1, res.N)
		assert.Equal(t, r.Checks[i].Name, res.Check.Name)
	}
	assert.Equal(t, Fail, rep.Results[5].Status)
	assert.Equal(t, "e fails", rep.Results[5].Reason)
}
