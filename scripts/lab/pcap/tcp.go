package pcap

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Header sizes and values of the packets this package builds.
const (
	ethernetHeaderSize = 14
	ipv4HeaderSize     = 20
	tcpHeaderSize      = 20 // without options
	etherTypeIPv4      = 0x0800
	protoTCP           = 6
	ttl                = 64
	ipFlagDF           = 0x4000
)

// TCP flags.
const (
	FIN = 0x01
	SYN = 0x02
	RST = 0x04
	PSH = 0x08
	ACK = 0x10
)

// Segment is one TCP segment in an IPv4 packet in an Ethernet frame. The
// MAC addresses are zero, as on a loopback interface.
type Segment struct {
	Src, Dst netip.AddrPort
	IPID     uint16
	Seq, Ack uint32
	Flags    uint8
	Window   uint16
	Options  []byte // a multiple of 4 bytes
	Payload  []byte
}

// Append appends the frame of s to dst: Ethernet II, IPv4 (don't
// fragment, TTL 64) and TCP, both checksums computed.
func (s *Segment) Append(dst []byte) ([]byte, error) {
	if !s.Src.Addr().Is4() || !s.Dst.Addr().Is4() {
		return dst, fmt.Errorf("pcap: %w: only IPv4 addresses are supported (%s → %s)", ErrNotTCP, s.Src, s.Dst)
	}
	if len(s.Options)%4 != 0 || len(s.Options) > 40 {
		return dst, fmt.Errorf("pcap: TCP options must be a multiple of 4 bytes, at most 40 (%d)", len(s.Options))
	}
	tcpLen := tcpHeaderSize + len(s.Options) + len(s.Payload)
	if ipv4HeaderSize+tcpLen > 0xffff {
		return dst, fmt.Errorf("pcap: %w: %d bytes of payload", ErrPacketTooLarge, len(s.Payload))
	}
	// Ethernet: destination and source MAC zero, then the EtherType.
	dst = append(dst, make([]byte, 12)...)
	dst = binary.BigEndian.AppendUint16(dst, etherTypeIPv4)

	ip := len(dst)
	src4, dst4 := s.Src.Addr().As4(), s.Dst.Addr().As4()
	dst = append(dst, 0x45, 0) // version 4, 5 words; DSCP 0
	dst = binary.BigEndian.AppendUint16(dst, uint16(ipv4HeaderSize+tcpLen))
	dst = binary.BigEndian.AppendUint16(dst, s.IPID)
	dst = binary.BigEndian.AppendUint16(dst, ipFlagDF)
	dst = append(dst, ttl, protoTCP, 0, 0) // checksum below
	dst = append(dst, src4[:]...)
	dst = append(dst, dst4[:]...)
	binary.BigEndian.PutUint16(dst[ip+10:], checksum(0, dst[ip:ip+ipv4HeaderSize]))

	tcp := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, s.Src.Port())
	dst = binary.BigEndian.AppendUint16(dst, s.Dst.Port())
	dst = binary.BigEndian.AppendUint32(dst, s.Seq)
	dst = binary.BigEndian.AppendUint32(dst, s.Ack)
	dst = append(dst, byte((tcpHeaderSize+len(s.Options))/4)<<4, s.Flags)
	dst = binary.BigEndian.AppendUint16(dst, s.Window)
	dst = append(dst, 0, 0, 0, 0) // checksum, urgent pointer
	dst = append(dst, s.Options...)
	dst = append(dst, s.Payload...)
	sum := checksum(pseudoHeader(src4, dst4, tcpLen), dst[tcp:])
	binary.BigEndian.PutUint16(dst[tcp+16:], sum)
	return dst, nil
}

// DecodeSegment decodes an Ethernet II / IPv4 / TCP frame and checks both
// checksums. The payload and options alias frame.
func DecodeSegment(frame []byte) (Segment, error) {
	var s Segment
	if len(frame) < ethernetHeaderSize+ipv4HeaderSize {
		return s, fmt.Errorf("pcap: %w: %d bytes", ErrTruncated, len(frame))
	}
	if et := binary.BigEndian.Uint16(frame[12:]); et != etherTypeIPv4 {
		return s, fmt.Errorf("pcap: %w: EtherType 0x%04x", ErrNotTCP, et)
	}
	ip := frame[ethernetHeaderSize:]
	if ip[0]>>4 != 4 {
		return s, fmt.Errorf("pcap: %w: IP version %d", ErrNotTCP, ip[0]>>4)
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if ihl < ipv4HeaderSize || total < ihl || total > len(ip) {
		return s, fmt.Errorf("pcap: %w: IPv4 header length %d, total length %d, %d bytes captured", ErrTruncated, ihl, total, len(ip))
	}
	if ip[9] != protoTCP {
		return s, fmt.Errorf("pcap: %w: IP protocol %d", ErrNotTCP, ip[9])
	}
	if checksum(0, ip[:ihl]) != 0 {
		return s, fmt.Errorf("pcap: %w: IPv4 header", ErrChecksum)
	}
	src4, dst4 := [4]byte(ip[12:16]), [4]byte(ip[16:20])
	s.IPID = binary.BigEndian.Uint16(ip[4:])
	tcp := ip[ihl:total]
	if len(tcp) < tcpHeaderSize {
		return s, fmt.Errorf("pcap: %w: TCP header", ErrTruncated)
	}
	off := int(tcp[12]>>4) * 4
	if off < tcpHeaderSize || off > len(tcp) {
		return s, fmt.Errorf("pcap: %w: TCP data offset %d", ErrTruncated, off)
	}
	if checksum(pseudoHeader(src4, dst4, len(tcp)), tcp) != 0 {
		return s, fmt.Errorf("pcap: %w: TCP", ErrChecksum)
	}
	s.Src = netip.AddrPortFrom(netip.AddrFrom4(src4), binary.BigEndian.Uint16(tcp[0:]))
	s.Dst = netip.AddrPortFrom(netip.AddrFrom4(dst4), binary.BigEndian.Uint16(tcp[2:]))
	s.Seq = binary.BigEndian.Uint32(tcp[4:])
	s.Ack = binary.BigEndian.Uint32(tcp[8:])
	s.Flags = tcp[13]
	s.Window = binary.BigEndian.Uint16(tcp[14:])
	s.Options = tcp[tcpHeaderSize:off]
	s.Payload = tcp[off:]
	return s, nil
}

// pseudoHeader is the partial sum of TCP's pseudo-header over IPv4.
func pseudoHeader(src, dst [4]byte, tcpLen int) uint32 {
	var sum uint32
	for _, a := range [][4]byte{src, dst} {
		sum += uint32(a[0])<<8 | uint32(a[1])
		sum += uint32(a[2])<<8 | uint32(a[3])
	}
	return sum + protoTCP + uint32(tcpLen)
}

// checksum is the Internet checksum (RFC 1071) of b, starting from a
// partial sum. Over data that holds its own correct checksum it is 0.
func checksum(sum uint32, b []byte) uint16 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
