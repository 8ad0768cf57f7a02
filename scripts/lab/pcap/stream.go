package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// What a synthesized connection looks like: Ethernet-sized segments with
// TCP timestamps, as Linux sends them.
const (
	// MSS is the maximum segment size both ends announce: an Ethernet
	// MTU of 1500 less 40 bytes of IPv4 and TCP headers.
	MSS = 1460
	// MaxPayload is the most payload one segment carries: MSS less the
	// 12 bytes of the timestamp option every segment has.
	MaxPayload  = MSS - 12
	windowScale = 7
	synWindow   = 64240
	window      = 502 // × 2^windowScale = 64256 bytes
)

// ErrStreamState is returned for a send or a close on a side that has
// already closed, or on a stream that is not open.
var ErrStreamState = errors.New("not possible in the stream's state")

// Clock is a virtual clock: each packet is stamped a fixed gap after the
// one before, and the caller may move it forward (to the next step of a
// script, say). Captures made with it are the same on every run.
type Clock struct {
	start, now time.Time
	gap        time.Duration
}

// NewClock returns a clock at start that moves by gap per packet.
func NewClock(start time.Time, gap time.Duration) *Clock {
	return &Clock{start: start, now: start, gap: gap}
}

// Now is the time of the last packet.
func (c *Clock) Now() time.Time { return c.now }

// AdvanceTo moves the clock forward to t (never back).
func (c *Clock) AdvanceTo(t time.Time) {
	if t.After(c.now) {
		c.now = t
	}
}

func (c *Clock) tick() time.Time {
	c.now = c.now.Add(c.gap)
	return c.now
}

// tsval is the TCP timestamp of the clock's time: milliseconds since its
// start, from 1.
func (c *Clock) tsval() uint32 { return uint32(c.now.Sub(c.start)/time.Millisecond) + 1 }

// Stream synthesizes one TCP connection's packets into a capture: the
// three-way handshake, data in segments of at most MaxPayload bytes, each
// burst acknowledged by the other side, and FIN closes.
type Stream struct {
	w     *Writer
	clock *Clock
	ends  [2]end // client, server
	open  bool
	buf   []byte
}

type end struct {
	addr   netip.AddrPort
	seq    uint32 // next sequence number to send
	ipid   uint16
	lastTS uint32 // the last timestamp sent, for the peer to echo
	closed bool   // has sent FIN
}

// NewStream returns a connection from client to server, written to w at
// the times of clock. Initial sequence numbers and IP IDs come from the
// ports, so the same connection gets the same numbers every time.
func NewStream(w *Writer, clock *Clock, client, server netip.AddrPort) *Stream {
	s := &Stream{w: w, clock: clock}
	for i, a := range []netip.AddrPort{client, server} {
		h := uint32(a.Port())*0x9e3779b1 ^ uint32(i+1)*0x85ebca6b
		s.ends[i] = end{addr: a, seq: h, ipid: uint16(h >> 16)}
	}
	return s
}

// Open writes the three-way handshake.
func (s *Stream) Open() error {
	if s.open {
		return fmt.Errorf("pcap: open: %w", ErrStreamState)
	}
	c, sv := &s.ends[0], &s.ends[1]
	if err := s.packet(0, SYN, synWindow, true, nil); err != nil {
		return err
	}
	c.seq++
	if err := s.packet(1, SYN|ACK, synWindow, true, nil); err != nil {
		return err
	}
	sv.seq++
	s.open = true
	return s.packet(0, ACK, window, false, nil)
}

// Send writes data sent by the server (fromServer) or the client, in
// segments of at most MaxPayload bytes, then the other side's ACK.
func (s *Stream) Send(fromServer bool, data []byte) error {
	from := side(fromServer)
	if !s.open || s.ends[from].closed {
		return fmt.Errorf("pcap: send: %w", ErrStreamState)
	}
	for len(data) > 0 {
		n := min(len(data), MaxPayload)
		flags := uint8(ACK)
		if n == len(data) {
			flags |= PSH
		}
		if err := s.packet(from, flags, window, false, data[:n]); err != nil {
			return err
		}
		s.ends[from].seq += uint32(n)
		data = data[n:]
	}
	return s.packet(1-from, ACK, window, false, nil)
}

// Close writes a FIN from the server (fromServer) or the client, and the
// other side's ACK.
func (s *Stream) Close(fromServer bool) error {
	from := side(fromServer)
	if !s.open || s.ends[from].closed {
		return fmt.Errorf("pcap: close: %w", ErrStreamState)
	}
	if err := s.packet(from, FIN|ACK, window, false, nil); err != nil {
		return err
	}
	s.ends[from].seq++
	s.ends[from].closed = true
	return s.packet(1-from, ACK, window, false, nil)
}

func side(fromServer bool) int {
	if fromServer {
		return 1
	}
	return 0
}

// packet writes one segment from end i, acknowledging everything the
// other end sent so far (unless it is the first SYN).
func (s *Stream) packet(i int, flags uint8, win uint16, syn bool, payload []byte) error {
	me, peer := &s.ends[i], &s.ends[1-i]
	t := s.clock.tick()
	tsval := s.clock.tsval()
	var opts []byte
	if syn {
		opts = append(opts, 2, 4, byte(MSS>>8), byte(MSS&0xff), 4, 2) // MSS, SACK permitted
		opts = appendTimestamps(opts, tsval, peer.lastTS)
		opts = append(opts, 1, 3, 3, windowScale) // NOP, window scale
	} else {
		opts = append(opts, 1, 1) // NOP NOP
		opts = appendTimestamps(opts, tsval, peer.lastTS)
	}
	seg := Segment{Src: me.addr, Dst: peer.addr, IPID: me.ipid, Seq: me.seq, Flags: flags, Window: win, Options: opts, Payload: payload}
	if flags&ACK != 0 {
		seg.Ack = peer.seq
	}
	me.ipid++
	me.lastTS = tsval
	var err error
	if s.buf, err = seg.Append(s.buf[:0]); err != nil {
		return err
	}
	return s.w.WritePacket(t, s.buf)
}

func appendTimestamps(b []byte, val, ecr uint32) []byte {
	b = append(b, 8, 10)
	b = binary.BigEndian.AppendUint32(b, val)
	return binary.BigEndian.AppendUint32(b, ecr)
}
