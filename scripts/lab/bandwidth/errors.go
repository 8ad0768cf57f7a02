package bandwidth

import "errors"

// Errors of an analysis: the bytes on the wire do not add up to the
// messages the session exchanged.
var (
	ErrBytes      = errors.New("bytes on the wire do not match the messages")
	ErrTLSRecords = errors.New("TLS records do not match the messages")
	ErrSessions   = errors.New("stages exchanged different messages")
)
