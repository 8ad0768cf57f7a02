// Package binwire is ChatProto v1.0, the binary encoding of docs/protocol.md §2: a
// 9-byte big-endian header (Python struct "!HBBBL": magic 0x4350 "CP",
// version 1, type, flags, body_len) and a body of fixed-layout fields,
// strings prefixed by their length in bytes (str8, str16).
//
// The decoder reads the header with io.ReadFull and checks body_len
// against MaxBody before it allocates anything. A bad magic, version or
// length is fatal (the stream cannot be trusted after it); a body that
// does not parse, or an unknown type, is not (the frame is skipped whole).
package binwire

import (
	"encoding/binary"
	"fmt"

	"chatlab/chat-v1/proto"
)

// Frame layout and limits.
const (
	Magic      uint16 = 0x4350 // "CP"
	Version    uint8  = 0x01
	HeaderSize        = 9
	MaxBody           = proto.MaxBinaryBody
	maxStr8           = 0xFF
	maxStr16          = 0xFFFF
)

// Header is a frame's header.
type Header struct {
	Magic   uint16
	Version uint8
	Type    uint8
	Flags   uint8
	BodyLen uint32
}

// ParseHeader reads a header from the first HeaderSize bytes of b.
func ParseHeader(b []byte) Header {
	return Header{
		Magic:   binary.BigEndian.Uint16(b[0:2]),
		Version: b[2],
		Type:    b[3],
		Flags:   b[4],
		BodyLen: binary.BigEndian.Uint32(b[5:9]),
	}
}

// check applies the header rules of §2: each failure is fatal.
func (h Header) check() *proto.Error {
	switch {
	case h.Magic != Magic:
		return &proto.Error{Code: proto.CodeMalformed, Fatal: true, Err: ErrBadMagic,
			Detail: fmt.Sprintf("bad magic 0x%04x (want 0x%04x, \"CP\")", h.Magic, Magic)}
	case h.Version != Version:
		return &proto.Error{Code: proto.CodeUnsupported, Fatal: true, Err: ErrBadVersion,
			Detail: fmt.Sprintf("version %d is not supported (this is version %d)", h.Version, Version)}
	case h.BodyLen > MaxBody:
		return &proto.Error{Code: proto.CodeTooLong, Fatal: true, Err: ErrFrameTooLarge,
			Detail: fmt.Sprintf("body of %d bytes is over the limit of %d", h.BodyLen, MaxBody)}
	}
	return nil
}

// Codec is the binary encoding. Its zero value is ready to use.
type Codec struct{}

var _ proto.Codec = Codec{}

// Name returns "binary".
func (Codec) Name() string { return "binary" }
