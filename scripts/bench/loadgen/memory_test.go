package loadgen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test: a server's memory line reads back field by field; a line
// lacking a field or with a bad number is an error.
func TestParseMemory(t *testing.T) {
	line := "[INFO] memory rss=81920000 heap_inuse=30000000 heap_live=20000000 heap_free=1000 heap_released=2000 stacks=41000000 goroutines=10012 gcs=7"
	m := memoryLine.FindStringSubmatch(line)
	require.NotNil(t, m)
	got, err := parseMemory(m[1])
	require.NoError(t, err)
	assert.Equal(t, ServerMemory{RSS: 81920000, HeapInUse: 30000000, HeapLive: 20000000, HeapFree: 1000,
		HeapReleased: 2000, Stacks: 41000000, Goroutines: 10012, GCs: 7}, got)
	assert.Equal(t, int64(71000000), got.GoBytes())
	_, err = parseMemory("rss=1 heap_inuse=2")
	assert.ErrorIs(t, err, ErrBadStream)
	_, err = parseMemory("rss=x heap_inuse=2 heap_live=1 heap_free=1 heap_released=1 stacks=1 goroutines=1 gcs=1")
	assert.ErrorIs(t, err, ErrBadStream)
	assert.Nil(t, memoryLine.FindStringSubmatch("[INFO] alice joined general"))
}

// Test: the scale targets are met, not met, or not measured (stage not
// run, too few clients), by RSS per connection.
func TestScaleTargets(t *testing.T) {
	rep := &Report{Stages: []StageReport{
		{Stage: "v3", Scale: &ScaleResult{Clients: 10000, PerConn: 7.5 * 1024, GoPerConn: 6 * 1024, MemAfter: &ServerMemory{}}},
		{Stage: "v4", Scale: &ScaleResult{Clients: 10000, PerConn: 17 * 1024}},
	}}
	got := scaleRule(rep)
	require.Len(t, got, 2)
	assert.Equal(t, TargetMet, got[0].State)
	assert.Equal(t, "7.5 KiB (heap+stack 6.0 KiB)", got[0].Measured)
	assert.Equal(t, TargetNotMet, got[1].State)

	rep.Stages[0].Scale.Clients = 500
	rep.Stages = rep.Stages[:1]
	got = scaleRule(rep)
	assert.Equal(t, TargetNotMeasured, got[0].State, "500 clients are not the target's 10 000")
	assert.Contains(t, got[0].Why, "500")
	assert.Equal(t, TargetNotMeasured, got[1].State, "v4 not run")
}
