package framing

import "errors"

// ErrLineTooLong is returned by LineReader.ReadLine when a line, counting
// its line ending, is longer than the reader's limit. The stream is out of
// step after it: the caller should treat it as fatal.
var ErrLineTooLong = errors.New("line too long")
