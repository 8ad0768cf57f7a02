package pcap

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	client = netip.MustParseAddrPort("127.0.0.1:50001")
	server = netip.MustParseAddrPort("127.0.0.1:5555")
)

func TestWriteThenReadGivesThePacketsBack(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, LinkEthernet)
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 123456000, time.UTC)
	packets := [][]byte{[]byte("first"), {}, bytes.Repeat([]byte{0xab}, 1514)}
	for i, p := range packets {
		require.NoError(t, w.WritePacket(t0.Add(time.Duration(i)*time.Millisecond), p))
	}
	assert.Equal(t, 3, w.Packets())
	assert.Equal(t, "d4c3b2a1020004000000000000000000", hex.EncodeToString(buf.Bytes()[:16]), "little-endian magic, version 2.4")

	r, err := NewReader(&buf)
	require.NoError(t, err)
	assert.Equal(t, LinkEthernet, r.LinkType)
	for i, want := range packets {
		p, err := r.ReadPacket()
		require.NoError(t, err)
		assert.Equal(t, want, p.Data)
		assert.Equal(t, len(want), p.OrigLen)
		assert.Equal(t, t0.Add(time.Duration(i)*time.Millisecond), p.Time)
	}
	_, err = r.ReadPacket()
	assert.ErrorIs(t, err, io.EOF)
}

func TestReaderReadsBigEndianAndNanosecondFiles(t *testing.T) {
	var buf bytes.Buffer
	h := make([]byte, fileHeaderSize)
	binary.BigEndian.PutUint32(h[0:], magicNanos)
	binary.BigEndian.PutUint16(h[4:], 2)
	binary.BigEndian.PutUint16(h[6:], 4)
	binary.BigEndian.PutUint32(h[16:], 65535)
	binary.BigEndian.PutUint32(h[20:], 1)
	buf.Write(h)
	rec := make([]byte, recordHdrSize)
	binary.BigEndian.PutUint32(rec[0:], 1000)
	binary.BigEndian.PutUint32(rec[4:], 42)
	binary.BigEndian.PutUint32(rec[8:], 3)
	binary.BigEndian.PutUint32(rec[12:], 60)
	buf.Write(rec)
	buf.WriteString("abc")

	r, err := NewReader(&buf)
	require.NoError(t, err)
	p, err := r.ReadPacket()
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1000, 42).UTC(), p.Time)
	assert.Equal(t, "abc", string(p.Data))
	assert.Equal(t, 60, p.OrigLen)
}

func TestReaderErrors(t *testing.T) {
	good := func() []byte {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, LinkEthernet)
		w.WritePacket(time.Unix(0, 0), []byte("0123456789"))
		return buf.Bytes()
	}
	tests := []struct {
		name    string
		file    []byte
		openErr error // from NewReader
		readErr error // from the first ReadPacket
	}{
		{name: "empty file", file: nil, openErr: ErrNotPcap},
		{name: "short header", file: good()[:10], openErr: ErrNotPcap},
		{name: "bad magic", file: append([]byte("GIF89a"), good()[6:]...), openErr: ErrNotPcap},
		{name: "bad version", file: func() []byte { b := good(); b[4] = 9; return b }(), openErr: ErrNotPcap},
		{name: "packet header cut", file: good()[:fileHeaderSize+5], readErr: ErrTruncated},
		{name: "packet data cut", file: good()[:len(good())-3], readErr: ErrTruncated},
		{name: "packet over the snapshot length", file: func() []byte {
			b := good()
			binary.LittleEndian.PutUint32(b[fileHeaderSize+8:], Snaplen+1)
			return b
		}(), readErr: ErrPacketTooLarge},
		{name: "packet over the file's own snaplen", file: func() []byte {
			b := good()
			binary.LittleEndian.PutUint32(b[16:], 4)
			return b
		}(), readErr: ErrPacketTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.file))
			if tt.openErr != nil {
				assert.ErrorIs(t, err, tt.openErr)
				return
			}
			require.NoError(t, err)
			_, err = r.ReadPacket()
			assert.ErrorIs(t, err, tt.readErr)
		})
	}
}

// A SYN from 127.0.0.1:50001 to 127.0.0.1:5555 without options; its
// checksums were computed apart (in Python), and tshark finds them good.
const synFrame = "000000000000000000000000080045000028000040004006" +
	"3cce7f0000017f000001c35115b300000064000000005002" +
	"ffffd8770000"

func TestSegmentMatchesAFrameWiresharkAccepts(t *testing.T) {
	seg := Segment{Src: client, Dst: server, Seq: 100, Flags: SYN, Window: 0xffff}
	frame, err := seg.Append(nil)
	require.NoError(t, err)
	assert.Equal(t, synFrame, hex.EncodeToString(frame))
}

func TestSegmentRoundTrip(t *testing.T) {
	seg := Segment{
		Src: client, Dst: server, IPID: 7, Seq: 0xfffffff0, Ack: 12345,
		Flags: PSH | ACK, Window: 502, Options: []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2},
		Payload: []byte("CP\x01\x04\x00\x00\x00\x00\x04\x00\x02hi!"), // odd length: the checksum pads
	}
	frame, err := seg.Append(nil)
	require.NoError(t, err)
	got, err := DecodeSegment(frame)
	require.NoError(t, err)
	assert.Equal(t, seg, got)
}

func TestSegmentRefusesWhatItCannotBuild(t *testing.T) {
	_, err := (&Segment{Src: netip.MustParseAddrPort("[::1]:1"), Dst: server}).Append(nil)
	assert.ErrorIs(t, err, ErrNotTCP)
	_, err = (&Segment{Src: client, Dst: server, Options: []byte{1}}).Append(nil)
	assert.Error(t, err)
	_, err = (&Segment{Src: client, Dst: server, Payload: make([]byte, 70000)}).Append(nil)
	assert.ErrorIs(t, err, ErrPacketTooLarge)
}

func TestDecodeSegmentChecksEverything(t *testing.T) {
	frame, err := hex.DecodeString(synFrame)
	require.NoError(t, err)
	corrupt := func(i int) []byte {
		b := bytes.Clone(frame)
		b[i] ^= 0xff
		return b
	}
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{name: "short", frame: frame[:20], want: ErrTruncated},
		{name: "not IPv4", frame: corrupt(12), want: ErrNotTCP},
		{name: "IP version", frame: func() []byte { b := bytes.Clone(frame); b[14] = 0x65; return b }(), want: ErrNotTCP},
		{name: "IP checksum", frame: corrupt(22), want: ErrChecksum},
		{name: "TCP checksum", frame: corrupt(len(frame) - 1), want: ErrChecksum},
		{name: "TCP payload changed", frame: corrupt(36), want: ErrChecksum},
		{name: "cut TCP header", frame: frame[:14+20+10], want: ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeSegment(tt.frame)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// segments reads back every segment of a capture.
func segments(t *testing.T, file []byte) []Segment {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file))
	require.NoError(t, err)
	var segs []Segment
	for {
		p, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			return segs
		}
		require.NoError(t, err)
		s, err := DecodeSegment(p.Data)
		require.NoError(t, err)
		segs = append(segs, s)
	}
}

func TestStreamIsAProperTCPConnection(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, LinkEthernet)
	require.NoError(t, err)
	s := NewStream(w, NewClock(time.Unix(1000, 0), time.Millisecond), client, server)
	require.ErrorIs(t, s.Send(false, []byte("x")), ErrStreamState, "no data before the handshake")
	require.NoError(t, s.Open())
	big := bytes.Repeat([]byte("0123456789"), 300) // 3000 bytes: three segments
	require.NoError(t, s.Send(false, big))
	require.NoError(t, s.Send(true, []byte("ok\n")))
	require.NoError(t, s.Close(false))
	require.ErrorIs(t, s.Send(false, []byte("late")), ErrStreamState)
	require.NoError(t, s.Close(true))

	segs := segments(t, buf.Bytes())
	var flags []uint8
	var sizes []int
	for _, g := range segs {
		flags = append(flags, g.Flags)
		sizes = append(sizes, len(g.Payload))
	}
	assert.Equal(t, []uint8{SYN, SYN | ACK, ACK, ACK, ACK, PSH | ACK, ACK, PSH | ACK, ACK, FIN | ACK, ACK, FIN | ACK, ACK}, flags)
	assert.Equal(t, []int{0, 0, 0, MaxPayload, MaxPayload, 3000 - 2*MaxPayload, 0, 3, 0, 0, 0, 0, 0}, sizes)

	// Sequence numbers: each side's continue where the last segment
	// ended, and every ACK acknowledges all the other side sent.
	next := map[netip.AddrPort]uint32{}
	for i, g := range segs {
		if want, ok := next[g.Src]; ok {
			assert.Equal(t, want, g.Seq, "segment %d seq", i)
		}
		n := uint32(len(g.Payload))
		if g.Flags&(SYN|FIN) != 0 {
			n++
		}
		next[g.Src] = g.Seq + n
		if g.Flags&ACK != 0 {
			assert.Equal(t, next[g.Dst], g.Ack, "segment %d ack", i)
		}
	}
	var got []byte
	for _, g := range segs {
		if g.Src == client {
			got = append(got, g.Payload...)
		}
	}
	assert.Equal(t, big, got)
}

func TestClockStampsEachPacketAGapLater(t *testing.T) {
	c := NewClock(time.Unix(0, 0), 40*time.Microsecond)
	assert.Equal(t, time.Unix(0, 40000), c.tick())
	c.AdvanceTo(time.Unix(1, 0))
	c.AdvanceTo(time.Unix(0, 5)) // never back
	assert.Equal(t, time.Unix(1, 0), c.Now())
	assert.Equal(t, uint32(1001), c.tsval())
}

func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, LinkEthernet)
	frame, _ := hex.DecodeString(synFrame)
	w.WritePacket(time.Unix(1, 2000), frame)
	w.WritePacket(time.Unix(1, 3000), []byte("x"))
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:30])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, file []byte) {
		r, err := NewReader(bytes.NewReader(file))
		if err != nil {
			return
		}
		for range 1000 {
			p, err := r.ReadPacket()
			if err != nil {
				return
			}
			if len(p.Data) > Snaplen {
				t.Fatalf("read a packet of %d bytes", len(p.Data))
			}
		}
	})
}

func FuzzDecodeSegment(f *testing.F) {
	frame, _ := hex.DecodeString(synFrame)
	f.Add(frame)
	seg := Segment{Src: client, Dst: server, Flags: PSH | ACK, Options: []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, Payload: []byte("CP\x01\x01\x00\x00\x00\x00\x06\x05alice")}
	data, _ := seg.Append(nil)
	f.Add(data)
	f.Add(data[:40])
	f.Fuzz(func(t *testing.T, frame []byte) {
		s, err := DecodeSegment(frame)
		if err != nil {
			return
		}
		// What decodes, with valid checksums, encodes to the same
		// segment (options of a length a multiple of 4).
		if len(s.Options)%4 != 0 {
			return
		}
		again, err := s.Append(nil)
		if err != nil {
			return
		}
		s2, err := DecodeSegment(again)
		if err != nil {
			t.Fatalf("re-encoded segment does not decode: %v", err)
		}
		if s2.Seq != s.Seq || s2.Ack != s.Ack || s2.Flags != s.Flags || !bytes.Equal(s2.Payload, s.Payload) || s2.Src != s.Src || s2.Dst != s.Dst {
			t.Fatalf("round trip changed the segment: %+v, then %+v", s, s2)
		}
	})
}
