package loadgen

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test: the big-room targets: all three met, each one missed for its own
// reason, and not measured when v3 did not run it at 10 000 clients.
func TestBigRoomTargets(t *testing.T) {
	good := BigRoomResult{Clients: 10000, In: 10000, InSeconds: 4.2, LoginSeconds: 0.001, MessageSeconds: 0.6, Reached: 10000}
	tests := []struct {
		name  string
		edit  func(*BigRoomResult)
		state [3]TargetState
	}{
		{"all met", func(*BigRoomResult) {}, [3]TargetState{TargetMet, TargetMet, TargetMet}},
		{"slow log-ins", func(b *BigRoomResult) { b.InSeconds = 61 }, [3]TargetState{TargetNotMet, TargetMet, TargetMet}},
		{"one cut off", func(b *BigRoomResult) { b.CutOff, b.Closed, b.Reached = 1, 1, 9999 },
			[3]TargetState{TargetNotMet, TargetMet, TargetNotMet}},
		{"slow answer", func(b *BigRoomResult) { b.LoginSeconds = 1.5 }, [3]TargetState{TargetMet, TargetNotMet, TargetMet}},
		{"slow message", func(b *BigRoomResult) { b.MessageSeconds = 2.5 }, [3]TargetState{TargetMet, TargetMet, TargetNotMet}},
		{"too few clients", func(b *BigRoomResult) { b.Clients, b.In, b.Reached = 100, 100, 100 },
			[3]TargetState{TargetNotMeasured, TargetNotMeasured, TargetNotMeasured}},
	}
	for _, tc := range tests {
		b := good
		tc.edit(&b)
		got := bigRoomRule(&Report{Stages: []StageReport{{Stage: "v3", BigRoom: &b}}})
		require.Len(t, got, 3, tc.name)
		for i := range got {
			assert.Equal(t, tc.state[i], got[i].State, "%s: %s", tc.name, got[i].Name)
		}
	}
	got := bigRoomRule(&Report{Stages: []StageReport{{Stage: "v3", Errors: []string{"big room, 10000 clients: boom"}}}})
	assert.Equal(t, TargetNotMeasured, got[0].State)
	assert.Contains(t, got[0].Why, "boom", "the failure says why")
}

// Test: the big room has its table, a row per stage that ran it.
func TestBigRoomTable(t *testing.T) {
	rep := &Report{Stages: []StageReport{
		{Stage: "v3", Encoding: "binary", BigRoom: &BigRoomResult{Clients: 10000, In: 10000, InSeconds: 4.2,
			LoginSeconds: 0.0007, MessageSeconds: 0.61, Reached: 10000, RSS: 90 << 20}},
		{Stage: "task4", Encoding: "classchat"},
	}}
	var b bytes.Buffer
	WriteTable(&b, rep)
	section := sectionOf(t, b.String(), "Big room:")
	assert.Contains(t, section, "| v3 ")
	assert.NotContains(t, section, "task4")
	assert.Contains(t, section, "610 ms (10000)")
	assert.Contains(t, section, "700 µs")
}
