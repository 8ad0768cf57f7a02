package jsonwire

import (
	"bytes"
	"testing"

	"chatlab/chat-v1/proto"
)

// The codec's hot paths: the server decodes every room_msg a client sends
// and encodes it once for the whole room.

var benchText = "hello, everyone in the room: a line of chat of typical length"

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
	line, err := Codec{}.Append(nil, &proto.Message{Kind: proto.KindRoomMsg, Text: benchText}, c2s)
	if err != nil {
		b.Fatal(err)
	}
	stream := bytes.Repeat(line, n)
	b.SetBytes(int64(len(line)))
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
