// Package framing holds the bounded readers the stages frame their
// messages with. Every reader checks a length against a named limit before
// it allocates, and reports an oversized frame with a sentinel error.
package framing

import (
	"bufio"
	"bytes"
	"io"
)

// DefaultBufferSize is the read buffer of a LineReader (and the big buffer
// of a Reader) while data flows. Lines longer than it are assembled in a
// separate buffer, up to the reader's limit.
const DefaultBufferSize = 4096

// LineReader reads lines ended by "\n" or "\r\n" from a stream, refusing any
// line longer than a fixed limit. It reads through a Reader, so an idle
// stream holds no full-size buffer.
type LineReader struct {
	r    *Reader
	max  int
	long []byte // assembles lines longer than the read buffer
}

// NewLineReader returns a reader of lines of at most max bytes, counting
// the line ending.
func NewLineReader(r io.Reader, max int) *LineReader {
	return NewLineReaderSize(r, max, DefaultBufferSize)
}

// NewLineReaderSize is NewLineReader with a read buffer of the given size.
// A *Reader of that size is read as it is.
func NewLineReaderSize(r io.Reader, max, size int) *LineReader {
	fr, ok := r.(*Reader)
	if !ok || fr.size != size {
		fr = NewReaderSize(r, size)
	}
	return &LineReader{r: fr, max: max}
}

// ReadLine returns the next line without its line ending. The slice is only
// valid until the next call. A line of more than max bytes (line ending
// included) returns ErrLineTooLong as soon as it is known to be too long. A
// last line with no line ending is returned as it is; the call after it
// returns io.EOF.
//
// Each call starts a message: given a Reader with limits (Reader.SetLimits),
// ReadLine calls its Wait first, so the time between lines is the idle
// wait and every line is held to the limits.
func (l *LineReader) ReadLine() ([]byte, error) {
	l.r.Wait()
	if cap(l.long) > DefaultBufferSize {
		l.long = nil // a long line is rare: do not keep its buffer
	}
	l.long = l.long[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		switch {
		case err == nil:
			if len(l.long)+len(chunk) > l.max {
				return nil, ErrLineTooLong
			}
			line := chunk
			if len(l.long) > 0 {
				l.long = append(l.long, chunk...)
				line = l.long
			}
			return trimEOL(line), nil
		case err == bufio.ErrBufferFull:
			// Without its "\n" the line is already this long: one more
			// byte at least is still to come.
			if len(l.long)+len(chunk) >= l.max {
				return nil, ErrLineTooLong
			}
			l.long = append(l.long, chunk...)
		default:
			if err == io.EOF && len(l.long)+len(chunk) > 0 {
				if len(l.long)+len(chunk) > l.max {
					return nil, ErrLineTooLong
				}
				l.long = append(l.long, chunk...)
				return l.long, nil
			}
			return nil, err
		}
	}
}

// Buffered returns the number of bytes that have been read from the stream
// but not yet returned as a line.
func (l *LineReader) Buffered() int { return l.r.Buffered() }

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}
