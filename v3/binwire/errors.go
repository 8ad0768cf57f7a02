package binwire

import "errors"

// Sentinel errors behind the *proto.Error values the decoder returns;
// match them with errors.Is.
var (
	// ErrBadMagic: the header does not start with 0x4350 ("CP"). Fatal.
	ErrBadMagic = errors.New("bad magic")
	// ErrBadVersion: the header's version is not 1. Fatal.
	ErrBadVersion = errors.New("unsupported version")
	// ErrFrameTooLarge: body_len is over MaxBody. Fatal.
	ErrFrameTooLarge = errors.New("frame too large")
	// ErrUnknownType: a type code this side does not receive. The body is
	// skipped; not fatal.
	ErrUnknownType = errors.New("unknown message type")
	// ErrTruncated: the body ends inside a field.
	ErrTruncated = errors.New("body ends inside a field")
	// ErrTrailing: bytes are left over after the last field.
	ErrTrailing = errors.New("trailing bytes after the last field")
	// ErrInvalidUTF8: a string field is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("string is not valid UTF-8")
	// ErrBadValue: an enumeration or flag field holds a value docs/protocol.md
	// does not define.
	ErrBadValue = errors.New("value out of range")
	// ErrFieldTooLong: encoding a string longer than its length prefix
	// can count (255 bytes for str8, 65 535 for str16).
	ErrFieldTooLong = errors.New("field too long for its length prefix")
)
