package chatserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/bintest"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/wiretest"
)

// A room message costs the same allocations whether the room has 10
// members or 100: nothing is allocated per delivered message (the frame is
// encoded once and shared).
func TestFanOutDoesNotAllocatePerDelivery(t *testing.T) {
	if bintest.RaceEnabled() {
		t.Skip("allocation counts mean nothing under -race; make test runs this test in a pass without it")
	}
	small := wiretest.AllocsPerBroadcast(t, jsonwire.Codec{}, 10)
	large := wiretest.AllocsPerBroadcast(t, jsonwire.Codec{}, 100)
	t.Logf("allocations per room message: %.1f with 10 members, %.1f with 100", small, large)
	assert.InDelta(t, small, large, 2, "allocations grow with the number of recipients")
}

func BenchmarkFanOut100(b *testing.B) { wiretest.BenchmarkFanOut(b, jsonwire.Codec{}, 100) }

// BenchmarkJoin compares a join and leave in a room of 100 and of 10 000.
func BenchmarkJoin(b *testing.B) { wiretest.BenchmarkJoin(b, jsonwire.Codec{}) }
