// Package pcap writes and reads capture files in the classic pcap format
// (the one Wireshark and tcpdump read everywhere): a 24-byte file header,
// then a 16-byte header before each packet. It also builds and decodes
// Ethernet II / IPv4 / TCP packets, with their checksums, and synthesizes
// whole TCP connections (Stream): the lab kit writes a recorded chat
// session as the capture a network tap would have made.
package pcap

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// File format constants.
const (
	magicMicros    = 0xa1b2c3d4
	magicNanos     = 0xa1b23c4d
	versionMajor   = 2
	versionMinor   = 4
	fileHeaderSize = 24
	recordHdrSize  = 16
	// Snaplen is the largest packet this package writes or reads whole.
	Snaplen = 262144
)

// LinkType says what the packets' first header is.
type LinkType uint32

// LinkEthernet is Ethernet II (DLT_EN10MB).
const LinkEthernet LinkType = 1

// Writer writes a capture file with microsecond timestamps.
type Writer struct {
	w   io.Writer
	buf []byte
	n   int
}

// NewWriter writes the file header to w and returns a writer of packets of
// the given link type.
func NewWriter(w io.Writer, link LinkType) (*Writer, error) {
	h := make([]byte, fileHeaderSize)
	binary.LittleEndian.PutUint32(h[0:], magicMicros)
	binary.LittleEndian.PutUint16(h[4:], versionMajor)
	binary.LittleEndian.PutUint16(h[6:], versionMinor)
	// thiszone and sigfigs stay 0.
	binary.LittleEndian.PutUint32(h[16:], Snaplen)
	binary.LittleEndian.PutUint32(h[20:], uint32(link))
	if _, err := w.Write(h); err != nil {
		return nil, fmt.Errorf("pcap: write file header: %w", err)
	}
	return &Writer{w: w}, nil
}

// WritePacket writes one packet captured at t.
func (w *Writer) WritePacket(t time.Time, data []byte) error {
	if len(data) > Snaplen {
		return fmt.Errorf("pcap: %w: %d bytes", ErrPacketTooLarge, len(data))
	}
	w.buf = w.buf[:0]
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(t.Unix()))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(t.Nanosecond()/1000))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(data)))
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(data)))
	w.buf = append(w.buf, data...)
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("pcap: write packet: %w", err)
	}
	w.n++
	return nil
}

// Packets returns how many packets have been written.
func (w *Writer) Packets() int { return w.n }

// Packet is one packet read from a capture.
type Packet struct {
	Time    time.Time
	Data    []byte // the captured bytes
	OrigLen int    // the packet's length on the wire
}

// Reader reads a capture file, in either byte order, with micro- or
// nanosecond timestamps.
type Reader struct {
	r       io.Reader
	order   binary.ByteOrder
	nanos   bool
	snaplen uint32
	// LinkType is the packets' link type.
	LinkType LinkType
}

// NewReader reads the file header from r.
func NewReader(r io.Reader) (*Reader, error) {
	var h [fileHeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("pcap: %w: reading the file header: %w", ErrNotPcap, err)
	}
	rd := &Reader{r: r}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		switch order.Uint32(h[0:]) {
		case magicMicros:
			rd.order = order
		case magicNanos:
			rd.order, rd.nanos = order, true
		}
		if rd.order != nil {
			break
		}
	}
	if rd.order == nil {
		return nil, fmt.Errorf("pcap: %w: magic % x", ErrNotPcap, h[0:4])
	}
	if major := rd.order.Uint16(h[4:]); major != versionMajor {
		return nil, fmt.Errorf("pcap: %w: version %d", ErrNotPcap, major)
	}
	rd.snaplen = rd.order.Uint32(h[16:])
	rd.LinkType = LinkType(rd.order.Uint32(h[20:]))
	return rd, nil
}

// ReadPacket reads the next packet; io.EOF after the last one. A packet
// longer than the file's snapshot length, or than Snaplen, is refused
// before anything is allocated for it.
func (r *Reader) ReadPacket() (Packet, error) {
	var h [recordHdrSize]byte
	if _, err := io.ReadFull(r.r, h[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return Packet{}, fmt.Errorf("pcap: %w: packet header", ErrTruncated)
		}
		return Packet{}, err
	}
	sec, frac := r.order.Uint32(h[0:]), r.order.Uint32(h[4:])
	incl, orig := r.order.Uint32(h[8:]), r.order.Uint32(h[12:])
	if incl > Snaplen || (r.snaplen > 0 && incl > r.snaplen) {
		return Packet{}, fmt.Errorf("pcap: %w: %d bytes", ErrPacketTooLarge, incl)
	}
	data := make([]byte, incl)
	if n, err := io.ReadFull(r.r, data); err != nil {
		return Packet{}, fmt.Errorf("pcap: %w: %d of %d bytes", ErrTruncated, n, incl)
	}
	nsec := int64(frac) * 1000
	if r.nanos {
		nsec = int64(frac)
	}
	return Packet{Time: time.Unix(int64(sec), nsec).UTC(), Data: data, OrigLen: int(orig)}, nil
}
