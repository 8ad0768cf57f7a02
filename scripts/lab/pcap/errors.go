package pcap

import "errors"

// Errors of reading a capture or decoding a packet.
var (
	ErrNotPcap        = errors.New("not a pcap file")
	ErrPacketTooLarge = errors.New("packet larger than the snapshot length")
	ErrTruncated      = errors.New("packet cut short")
	ErrNotTCP         = errors.New("not an Ethernet/IPv4/TCP packet")
	ErrChecksum       = errors.New("bad checksum")
)
