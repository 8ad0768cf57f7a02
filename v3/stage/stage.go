// Package stage is v3: v2's chat, server and client, with ChatProto v1.0,
// the binary encoding (binwire), in place of JSON lines. Everything but the
// codec and the words of the server's error answers comes from v2.
package stage

import (
	"chatlab/chat-v2/badinput"
	v2 "chatlab/chat-v2/stage"
	"chatlab/chat-v3/binwire"
)

// Binary teaches about bad input in binary frames.
var Binary = badinput.Teacher{
	Framing:      "frames of a 9-byte header (magic 0x4350, version 1, type, flags 0, body length) and a body",
	Example:      "ROOM_MSG \"hi\" = 43 50 01 04 00 00 00 00 04 00 02 68 69",
	LoginExample: "LOGIN \"alice\" = 43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65",
}

// V3 is stage v3.
var V3 = v2.Stage{
	Name:          "v3",
	Codec:         binwire.Codec{},
	Teacher:       Binary,
	ServerSummary: "ChatProto v3 server: the binary protocol, ChatProto v1.0, over TCP.",
	ClientSummary: "ChatProto v3 client: the binary protocol, ChatProto v1.0, over TCP.",
}
