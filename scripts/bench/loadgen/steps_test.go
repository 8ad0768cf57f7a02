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
	s := newSteps(&out, plan, func() time.Time { return clock })
	run := func(what string, d time.Duration, err error) {
		s.start(what)
		clock = clock.Add(d)
		s.end(what, err)
	}
	run("v1 fan-out", 10*time.Second, nil)
	run("v3 fan-out", 20*time.Second, errors.New("no server"))
	run("v1 latency at 1/s", 2*time.Second, nil)
	s.skip("v3 latency at 1/s", errors.New("context deadline exceeded"))
	assert.Equal(t, ""+
		// 7 runs left of no scenario seen but fan-out: 7 × 10 s.
		"bench: step 1 of 8: v1 fan-out ...\n"+
		"bench: step 1 of 8: v1 fan-out done in 10.0s; about 1m10s left\n"+
		// Fan-out takes 15 s on average; the 6 others are taken at that.
		"bench: step 2 of 8: v3 fan-out ...\n"+
		"bench: step 2 of 8: v3 fan-out failed after 20.0s: no server; about 1m30s left\n"+
		// 3 latency runs at 2 s, 2 scale runs at the mean, 32 s / 3.
		"bench: step 3 of 8: v1 latency at 1/s ...\n"+
		"bench: step 3 of 8: v1 latency at 1/s done in 2.0s; about 27s left\n"+
		"bench: step 4 of 8: v3 latency at 1/s skipped: context deadline exceeded\n",
		out.String())
}
