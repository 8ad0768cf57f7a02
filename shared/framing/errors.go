package framing

import "errors"

// ErrLineTooLong is returned by LineReader.ReadLine when a line, counting
// its line ending, is longer than the reader's limit. The stream is out of
// step after it: the caller should treat it as fatal.
var ErrLineTooLong = errors.New("line too long")

var (
	// ErrObjectTooLarge is returned by JSONReader.Next for an object over
	// the reader's limit. Fatal: the stream is out of step after it.
	ErrObjectTooLarge = errors.New("JSON object too large")
	// ErrNotObject is returned by JSONReader.Next for bytes that do not
	// start an object; they were skipped, and the stream is in step.
	ErrNotObject = errors.New("not a JSON object")
)

// ErrNotIdle is returned by a Waiter that cannot wait without reading:
// its stream is in the middle of a message.
var ErrNotIdle = errors.New("stream not idle")
