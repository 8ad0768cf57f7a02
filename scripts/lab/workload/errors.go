package workload

import "errors"

// Errors of a run. A mismatch means the server answered otherwise than the
// model of the chat says it must: a server bug, or a model that does not
// follow the spec.
var (
	ErrMismatch   = errors.New("unexpected message")
	ErrNoMessage  = errors.New("no message in time")
	ErrBadScript  = errors.New("invalid script")
	ErrConnection = errors.New("connection failed")
)
