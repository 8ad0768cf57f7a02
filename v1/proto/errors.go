package proto

import (
	"errors"
	"fmt"
)

// ErrUnknownKind is returned when encoding a message of no known kind, or
// of a kind that does not travel in the given direction.
var ErrUnknownKind = errors.New("unknown message kind")

// Error is a violation of the wire protocol, as a decoder reports it: the
// ERROR_MSG code to answer with, whether docs/protocol.md makes it fatal (the
// connection is closed after the answer), and what was wrong.
type Error struct {
	Code   ErrorCode
	Fatal  bool
	Detail string
	Err    error // the sentinel error behind it, if any, for errors.Is
}

// Unwrap returns the sentinel error behind e.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Fatal {
		return fmt.Sprintf("%s (fatal): %s", e.Code, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

// Errorf returns a non-fatal *Error.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Fatalf returns a fatal *Error.
func Fatalf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Fatal: true, Detail: fmt.Sprintf(format, args...)}
}
