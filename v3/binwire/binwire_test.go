package binwire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/golden"
)

var (
	c2s = proto.ClientToServer
	s2c = proto.ServerToClient
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// The test vectors of docs/protocol.md §2, to the byte, both ways.
func TestSpecVectors(t *testing.T) {
	for _, tt := range []struct {
		name string
		dir  proto.Dir
		msg  proto.Message
		hex  string
	}{
		{"LOGIN alice", c2s, proto.Message{Kind: proto.KindLogin, Username: "alice"},
			"43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65"},
		{"ROOM_MSG C→S hi", c2s, proto.Message{Kind: proto.KindRoomMsg, Text: "hi"},
			"43 50 01 04 00 00 00 00 04 00 02 68 69"},
		{"LIST_ROOMS C→S", c2s, proto.Message{Kind: proto.KindListRooms},
			"43 50 01 09 00 00 00 00 00"},
		{"ROOM_MSG_ACK general 3", s2c, proto.Message{Kind: proto.KindRoomMsgAck, Room: "general", Recipients: 3},
			"43 50 01 0c 00 00 00 00 0c 07 67 65 6e 65 72 61 6c 00 00 00 03"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.hex)
			got, err := Marshal(&tt.msg, tt.dir)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			var back proto.Message
			require.NoError(t, Unmarshal(want, tt.dir, &back))
			assert.Equal(t, tt.msg, back)
		})
	}
}

// TestGoldenFrames checks a frame for every example message, in every
// direction it travels, against testdata/golden.hex (run with -update to
// rewrite it after a deliberate change), and that each decodes back.
func TestGoldenFrames(t *testing.T) {
	var file strings.Builder
	for _, ex := range wiretest.Examples {
		frame, err := Marshal(&ex.Msg, ex.Dir)
		require.NoError(t, err, ex.Name())
		fmt.Fprintf(&file, "%s %x\n", ex.Name(), frame)

		var back proto.Message
		require.NoError(t, Unmarshal(frame, ex.Dir, &back), ex.Name())
		assert.Equal(t, ex.Msg, back, ex.Name())
	}
	golden.Check(t, "testdata/golden.hex", []byte(file.String()))
}

// frame builds a frame from a type code and a body given in hex.
func frame(t testing.TB, typ uint8, body string) []byte {
	b := unhex(t, body)
	f := []byte{0x43, 0x50, 0x01, typ, 0x00, 0, 0, 0, 0}
	f[5], f[6], f[7], f[8] = byte(len(b)>>24), byte(len(b)>>16), byte(len(b)>>8), byte(len(b))
	return append(f, b...)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		dir   proto.Dir
		input []byte
		code  proto.ErrorCode
		fatal bool
		err   error
	}{
		{"bad magic", c2s, unhex(t, "43 51 01 01 00 00 00 00 00"), proto.CodeMalformed, true, ErrBadMagic},
		{"JSON where a frame should be", c2s, []byte(`{"type":"login"}` + "\n"), proto.CodeMalformed, true, ErrBadMagic},
		{"bad version", c2s, unhex(t, "43 50 02 01 00 00 00 00 00"), proto.CodeUnsupported, true, ErrBadVersion},
		{"oversized body", c2s, unhex(t, "43 50 01 04 00 00 10 00 01"), proto.CodeTooLong, true, ErrFrameTooLarge},
		{"truncated body", c2s, frame(t, 0x01, "05 61 6c"), proto.CodeMalformed, false, ErrTruncated},
		{"empty body for LOGIN", c2s, frame(t, 0x01, ""), proto.CodeMalformed, false, ErrTruncated},
		{"trailing bytes", c2s, frame(t, 0x01, "01 61 ff"), proto.CodeMalformed, false, ErrTrailing},
		{"body for an empty kind", c2s, frame(t, 0x09, "00"), proto.CodeMalformed, false, ErrTrailing},
		{"invalid UTF-8", c2s, frame(t, 0x04, "00 02 c3 28"), proto.CodeMalformed, false, ErrInvalidUTF8},
		{"unknown type", c2s, frame(t, 0x0d, "01 02 03"), proto.CodeUnsupported, false, ErrUnknownType},
		{"type zero", c2s, frame(t, 0x00, ""), proto.CodeUnsupported, false, ErrUnknownType},
		{"a server's type from a client", c2s, frame(t, 0x0c, "01 61 00 00 00 01"), proto.CodeUnsupported, false, ErrUnknownType},
		{"a client's type from a server", s2c, frame(t, 0x01, "01 61"), proto.CodeUnsupported, false, ErrUnknownType},
		{"unknown reject reason", s2c, frame(t, 0x03, "09 00 00"), proto.CodeMalformed, false, ErrBadValue},
		{"unknown delivery status", s2c, frame(t, 0x06, "07 01 61"), proto.CodeMalformed, false, ErrBadValue},
		{"unknown error code", s2c, frame(t, 0x0b, "00 00 00"), proto.CodeMalformed, false, ErrBadValue},
		{"created is neither 0 nor 1", s2c, frame(t, 0x07, "01 61 02"), proto.CodeMalformed, false, ErrBadValue},
		{"list longer than its body", s2c, frame(t, 0x08, "01 61 00 05 01 61"), proto.CodeMalformed, false, ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m proto.Message
			err := Codec{}.NewDecoder(bytes.NewReader(tt.input), tt.dir).Decode(&m)
			var perr *proto.Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tt.code, perr.Code)
			assert.Equal(t, tt.fatal, perr.Fatal)
			assert.ErrorIs(t, err, tt.err)
			assert.Equal(t, proto.Message{}, m, "no partial message")
		})
	}
}

// After a frame that is not fatal, the decoder is still in step.
func TestDecoderStaysInStep(t *testing.T) {
	var stream []byte
	stream = append(stream, frame(t, 0x0d, "de ad be ef")...) // unknown type
	stream = append(stream, frame(t, 0x04, "00 02 c3 28")...) // invalid UTF-8
	stream = append(stream, frame(t, 0x01, "01 61 00")...)    // trailing byte
	stream = append(stream, frame(t, 0x01, "03 62 6f 62")...) // LOGIN bob
	dec := Codec{}.NewDecoder(bytes.NewReader(stream), c2s)
	var m proto.Message
	for range 3 {
		var perr *proto.Error
		require.ErrorAs(t, dec.Decode(&m), &perr)
		assert.False(t, perr.Fatal)
	}
	require.NoError(t, dec.Decode(&m))
	assert.Equal(t, proto.Message{Kind: proto.KindLogin, Username: "bob"}, m)
	assert.ErrorIs(t, dec.Decode(&m), io.EOF)
}

func TestStreamEnds(t *testing.T) {
	var m proto.Message
	for _, tt := range []struct {
		name  string
		input []byte
		want  error
	}{
		{"between frames", nil, io.EOF},
		{"inside the header", unhex(t, "43 50 01"), io.ErrUnexpectedEOF},
		{"inside the body", unhex(t, "43 50 01 01 00 00 00 00 06 05 61"), io.ErrUnexpectedEOF},
	} {
		err := Codec{}.NewDecoder(bytes.NewReader(tt.input), c2s).Decode(&m)
		assert.ErrorIs(t, err, tt.want, tt.name)
	}
}

// The length is checked before anything is allocated or read: a header
// that announces a huge body fails at once, with no body behind it.
func TestOversizedBodyIsRefusedBeforeReading(t *testing.T) {
	header := unhex(t, "43 50 01 04 00 ff ff ff ff")
	var m proto.Message
	allocs := testing.AllocsPerRun(10, func() {
		err := Codec{}.NewDecoder(bytes.NewReader(header), c2s).Decode(&m)
		if !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("got %v", err)
		}
	})
	assert.Less(t, allocs, 10.0, "no body-sized allocation")
}

func TestFlagsAreIgnoredOnReceipt(t *testing.T) {
	f := unhex(t, "43 50 01 01 ff 00 00 00 06 05 61 6c 69 63 65")
	var m proto.Message
	require.NoError(t, Unmarshal(f, c2s, &m))
	assert.Equal(t, "alice", m.Username)
	out, err := Marshal(&m, c2s)
	require.NoError(t, err)
	assert.Equal(t, byte(0), out[4], "flags are 0 when sent")
}

func TestEncodeLimits(t *testing.T) {
	_, err := Marshal(&proto.Message{Kind: proto.KindLogin, Username: strings.Repeat("x", 256)}, c2s)
	assert.ErrorIs(t, err, ErrFieldTooLong)
	_, err = Marshal(&proto.Message{Kind: proto.KindRoomMsg, Text: strings.Repeat("x", 65536)}, c2s)
	assert.ErrorIs(t, err, ErrFieldTooLong)
	_, err = Marshal(&proto.Message{Kind: proto.KindLoginAck}, c2s)
	assert.ErrorIs(t, err, proto.ErrUnknownKind, "LOGIN_ACK does not travel C→S")

	// A list reply is cut short to fit MaxBody.
	users := make([]string, 60000)
	for i := range users {
		users[i] = fmt.Sprintf("%020d", i)
	}
	f, err := Marshal(&proto.Message{Kind: proto.KindListUsers, Room: "general", Users: users}, s2c)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(f)-HeaderSize, MaxBody)
	var m proto.Message
	require.NoError(t, Unmarshal(f, s2c, &m))
	assert.Equal(t, users[:len(m.Users)], m.Users)
	assert.Greater(t, len(m.Users), 40000)
}

func ExampleMarshal() {
	frame, _ := Marshal(&proto.Message{Kind: proto.KindLogin, Username: "alice"}, proto.ClientToServer)
	fmt.Printf("% x\n", frame)
	// Output: 43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65
}

func ExampleDiagram() {
	frame, _ := Marshal(&proto.Message{Kind: proto.KindRoomMsgAck, Room: "general", Recipients: 3}, proto.ServerToClient)
	fmt.Print(Diagram(frame, proto.ServerToClient))
	// Output:
	//      0  43 50                               magic            0x4350 "CP"
	//      2  01                                  version          1
	//      3  0c                                  type             0x0c ROOM_MSG_ACK
	//      4  00                                  flags            0x00
	//      5  00 00 00 0c                         body_len         12
	//      9  07                                  room length      7
	//     10  67 65 6e 65 72 61 6c                room             "general"
	//     17  00 00 00 03                         recipients       3
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic,
// must report every problem as docs/protocol.md §2 classifies it, and whatever it
// decodes must encode back to the same frame (flags aside).
func FuzzDecode(f *testing.F) {
	for _, ex := range wiretest.Examples {
		fr, _ := Marshal(&ex.Msg, ex.Dir)
		f.Add(fr, ex.Dir == s2c)
	}
	f.Add([]byte("\x43\x50\x01\x0d\x00\x00\x00\x00\x02\xff\xff\x43\x50\x01\x09\x00\x00\x00\x00\x00"), false)
	f.Add([]byte("\x43\x50\x01\x01\x00\xff\xff\xff\xff"), false)
	f.Fuzz(func(t *testing.T, stream []byte, fromServer bool) {
		dir := c2s
		if fromServer {
			dir = s2c
		}
		dec := Codec{}.NewDecoder(bytes.NewReader(stream), dir).(*decoder)
		for {
			var m proto.Message
			err := dec.Decode(&m)
			var perr *proto.Error
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
				return
			case errors.As(err, &perr):
				if perr.Fatal {
					return
				}
				continue
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			}
			again, err := Marshal(&m, dir)
			if err != nil {
				t.Fatalf("decoded %+v does not encode: %v", m, err)
			}
			orig := append([]byte(nil), dec.Last()...)
			orig[4] = 0 // flags are ignored on receipt and sent as 0
			if !bytes.Equal(again, orig) {
				t.Fatalf("re-encoded\n% x\nwant\n% x", again, orig)
			}
			var back proto.Message
			if err := Unmarshal(again, dir, &back); err != nil {
				t.Fatalf("re-encoded frame does not decode: %v", err)
			}
			assert.Equal(t, m, back)
		}
	})
}

// A frame of the largest size arrives whole, in pieces; one that stops
// short holds about what came, not what its header announced.
func TestLargeFrameGrowsAsItArrives(t *testing.T) {
	body := bytes.Repeat([]byte{0xaa}, MaxBody)
	big := binary.BigEndian.AppendUint32(unhex(t, "43 50 01 0d 00"), MaxBody)
	big = append(big, body...)
	stream := append(append([]byte{}, big...), frame(t, 0x01, "03 62 6f 62")...)
	dec := Codec{}.NewDecoder(io.MultiReader(bytes.NewReader(stream[:5000]), bytes.NewReader(stream[5000:300000]), bytes.NewReader(stream[300000:])), c2s)
	var m proto.Message
	var perr *proto.Error
	require.ErrorAs(t, dec.Decode(&m), &perr, "an unknown type, read whole")
	assert.Equal(t, big, dec.(proto.RawDecoder).Last())
	require.NoError(t, dec.Decode(&m))
	assert.Equal(t, proto.Message{Kind: proto.KindLogin, Username: "bob"}, m)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := Codec{}.NewDecoder(bytes.NewReader(big[:HeaderSize+1000]), c2s).Decode(&m)
	runtime.ReadMemStats(&after)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10), "allocated for a frame that stopped after 1000 bytes")
}
