package binwire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/bintest"
)

func BenchmarkAppendRoomMsg(b *testing.B) { wiretest.BenchmarkEncodeRoomMsg(b, Codec{}) }

func BenchmarkDecodeRoomMsg(b *testing.B) { wiretest.BenchmarkDecodeRoomMsg(b, Codec{}) }

// Decoding a room message allocates its text and nothing else: no field
// name or value is formatted unless Annotate asks for it.
func TestDecodeAllocatesOnlyTheText(t *testing.T) {
	if bintest.RaceEnabled() {
		t.Skip("allocation counts mean nothing under -race; make test runs this test in a pass without it")
	}
	dec := Codec{}.NewDecoder(bytes.NewReader(wiretest.RoomMsgStream(t, Codec{}, 300)), c2s)
	var m proto.Message
	dec.Decode(&m) // the decoder's frame buffer
	allocs := testing.AllocsPerRun(200, func() {
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs)
	assert.Equal(t, wiretest.BenchText, m.Text)
}
