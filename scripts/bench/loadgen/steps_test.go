package loadgen

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The progress lines count the runs of every stage and scenario, and
// estimate what is left from the runs so far.
func TestStepsTellWhereTheRunStands(t *testing.T) {
	cfg := Config{Scenarios: []string{ScenarioFanOut, ScenarioLatency, ScenarioSlow}, Loads: []float64{1, 2}}
	assert.Equal(t, 4, cfg.runsPerStage())

	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out strings.Builder
	s := newSteps(&out, 2*cfg.runsPerStage(), func() time.Time { return clock })
	s.start("v1 fan-out")
	clock = clock.Add(10 * time.Second)
	s.end("v1 fan-out", nil)
	s.start("v3 fan-out")
	clock = clock.Add(20 * time.Second)
	s.end("v3 fan-out", errors.New("no server"))
	s.skip("v1 slow consumer", errors.New("context deadline exceeded"))
	assert.Equal(t, ""+
		"bench: step 1 of 8: v1 fan-out ...\n"+
		"bench: step 1 of 8: v1 fan-out done in 10.0s; about 1m10s left\n"+
		"bench: step 2 of 8: v3 fan-out ...\n"+
		"bench: step 2 of 8: v3 fan-out failed after 20.0s: no server; about 1m30s left\n"+
		"bench: step 3 of 8: v1 slow consumer skipped: context deadline exceeded\n",
		out.String())
}
