package loadgen

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The progress lines count the runs of every stage and scenario, and
// estimate what is left from the runs so far: of the same scenario where
// there were some.
func TestStepsTellWhereTheRunStands(t *testing.T) {
	plan := []string{"fanout", "fanout", "latency", "latency", "latency", "latency", "scale", "scale"}

	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out strings.Builder
	// scale is guessed at 5 s a run; the others not.
	guess := []time.Duration{0, 0, 0, 0, 0, 0, 5 * time.Second, 5 * time.Second}
	s := newSteps(&out, plan, guess, func() time.Time { return clock })
	s.begin()
	run := func(what string, d time.Duration, err error) {
		s.start(what)
		clock = clock.Add(d)
		s.end(what, err)
	}
	run("v1 fan-out", 10*time.Second, nil)
	run("v3 fan-out", 20*time.Second, errors.New("no server"))
	run("v1 latency at 1/s", 2*time.Second, nil)
	s.skip("v3 latency at 1/s", errors.New("context deadline exceeded"))
	// With a guess for every run, begin says what all should take.
	var all strings.Builder
	newSteps(&all, plan[6:], guess[6:], time.Now).begin()
	assert.Equal(t, "bench: 2 runs, about 10s\n", all.String())
	assert.Equal(t, ""+
		"bench: 8 runs\n"+
		// 7 runs left: 1 fan-out at 10 s, 4 latency at the mean (10 s),
		// 2 scale at their guess.
		"bench: step 1 of 8: v1 fan-out ...\n"+
		"bench: step 1 of 8: v1 fan-out done in 10.0s; about 1m0s left\n"+
		// Fan-out takes 15 s on average; latency is taken at that.
		"bench: step 2 of 8: v3 fan-out ...\n"+
		"bench: step 2 of 8: v3 fan-out failed after 20.0s: no server; about 1m10s left\n"+
		// 3 latency runs at 2 s, 2 scale runs at 5 s.
		"bench: step 3 of 8: v1 latency at 1/s ...\n"+
		"bench: step 3 of 8: v1 latency at 1/s done in 2.0s; about 16s left\n"+
		"bench: step 4 of 8: v3 latency at 1/s skipped: context deadline exceeded\n",
		out.String())
}
