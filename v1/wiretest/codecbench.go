package wiretest

import (
	"bytes"
	"testing"

	"chatlab/chat-v1/proto"
)

// The codecs' hot paths, measured the same way for every encoding: a
// server decodes every ROOM_MSG a client sends, and encodes it once for
// the whole room.

// BenchText is a line of chat of typical length.
const BenchText = "hello, everyone in the room: a line of chat of typical length"

// RoomMsgStream returns n client ROOM_MSGs holding BenchText, back to back.
func RoomMsgStream(tb testing.TB, codec proto.Codec, n int) []byte {
	frame, err := codec.Append(nil, &proto.Message{Kind: proto.KindRoomMsg, Text: BenchText}, proto.ClientToServer)
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Repeat(frame, n)
}

// BenchmarkEncodeRoomMsg measures encoding the ROOM_MSG a room receives.
func BenchmarkEncodeRoomMsg(b *testing.B, codec proto.Codec) {
	m := proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: BenchText}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = codec.Append(buf[:0], &m, proto.ServerToClient); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkDecodeRoomMsg measures decoding the ROOM_MSGs a client sends,
// from a stream.
func BenchmarkDecodeRoomMsg(b *testing.B, codec proto.Codec) {
	const n = 1024
	stream := RoomMsgStream(b, codec, n)
	b.SetBytes(int64(len(stream) / n))
	b.ReportAllocs()
	var m proto.Message
	dec := codec.NewDecoder(bytes.NewReader(stream), proto.ClientToServer)
	i := 0
	for b.Loop() {
		if i++; i%n == 0 {
			dec = codec.NewDecoder(bytes.NewReader(stream), proto.ClientToServer)
		}
		if err := dec.Decode(&m); err != nil {
			b.Fatal(err)
		}
	}
}
