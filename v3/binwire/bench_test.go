package binwire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/chat-v1/proto"
	"chatlab/shared/bintest"
)

// The codec's hot paths: the server decodes every ROOM_MSG a client sends
// and encodes it once for the whole room.

var benchText = "hello, everyone in the room: a line of chat of typical length"

// roomMsgStream is n client ROOM_MSG frames back to back.
func roomMsgStream(tb testing.TB, n int) []byte {
	frame, err := Marshal(&proto.Message{Kind: proto.KindRoomMsg, Text: benchText}, c2s)
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Repeat(frame, n)
}

func BenchmarkAppendRoomMsg(b *testing.B) {
	m := proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: benchText}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = (Codec{}).Append(buf[:0], &m, s2c); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeRoomMsg(b *testing.B) {
	const n = 1024
	stream := roomMsgStream(b, n)
	b.SetBytes(int64(len(stream) / n))
	b.ReportAllocs()
	var m proto.Message
	dec := Codec{}.NewDecoder(bytes.NewReader(stream), c2s)
	i := 0
	for b.Loop() {
		if i++; i%n == 0 {
			dec = Codec{}.NewDecoder(bytes.NewReader(stream), c2s)
		}
		if err := dec.Decode(&m); err != nil {
			b.Fatal(err)
		}
	}
}

// Decoding a room message allocates its text and nothing else: no field
// name or value is formatted unless Annotate asks for it.
func TestDecodeAllocatesOnlyTheText(t *testing.T) {
	if bintest.RaceEnabled() {
		t.Skip("allocation counts mean nothing under -race; make test runs this test in a pass without it")
	}
	stream := roomMsgStream(t, 300)
	dec := Codec{}.NewDecoder(bytes.NewReader(stream), c2s)
	var m proto.Message
	dec.Decode(&m) // the decoder's frame buffer
	allocs := testing.AllocsPerRun(200, func() {
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs)
	assert.Equal(t, benchText, m.Text)
}
