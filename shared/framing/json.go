package framing

import (
	"bytes"
	"io"
)

// JSONReader reads a stream of JSON objects written back to back, with or
// without whitespace or newlines between them (the original ClassChat
// clients send them with no delimiter at all). It finds where each object
// ends by counting braces outside strings, so it never needs a delimiter,
// and refuses an object longer than its limit as soon as it gets there.
//
// It reads through a Reader: given one with limits (Reader.SetLimits),
// every object is held to them, the white space between objects is the
// idle wait (it calls the Reader's Wait), and an object's first byte
// starts the message.
type JSONReader struct {
	r   *Reader
	max int
	buf []byte
}

// NewJSONReader returns a reader of objects of at most max bytes. A
// *Reader is read as it is; any other reader through one.
func NewJSONReader(r io.Reader, max int) *JSONReader {
	fr, ok := r.(*Reader)
	if !ok {
		fr = NewReader(r)
	}
	return &JSONReader{r: fr, max: max}
}

// Next returns the next object's bytes, valid until the next call. Bytes
// that do not start an object are skipped up to the end of their line (or
// the next '{') and reported as ErrNotObject. An object over the limit is
// ErrObjectTooLarge; the stream ending inside an object is
// io.ErrUnexpectedEOF, between objects io.EOF. Next checks only the
// braces and strings: the object may still be invalid JSON, for the
// caller's decoder to find.
func (j *JSONReader) Next() ([]byte, error) {
	j.buf = j.buf[:0]
	j.r.Wait() // the last object is complete
	first, err := j.skipSpace()
	if err != nil {
		return nil, err
	}
	if first != '{' {
		return nil, j.skipJunk()
	}
	depth, inString, escaped := 0, false, false
	for {
		// Scan what is buffered in place, and take it in one append: an
		// object of megabytes (a file) must not cost a call per byte.
		chunk, err := j.r.Peek(max(j.r.Buffered(), 1))
		if len(chunk) == 0 {
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		// Look no further than one byte past the limit.
		room := j.max - len(j.buf)
		if len(chunk) > room+1 {
			chunk = chunk[:room+1]
		}
		end := -1
		for i := 0; i < len(chunk) && end < 0; i++ {
			if inString && !escaped {
				// Inside a string only a quote or a backslash matters.
				k := bytes.IndexAny(chunk[i:], `"\`)
				if k < 0 {
					break
				}
				i += k
			}
			c := chunk[i]
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			case inString:
			case c == '{':
				depth++
			case c == '}':
				if depth--; depth == 0 {
					end = i + 1
				}
			}
		}
		n := len(chunk)
		if end >= 0 {
			n = end
		}
		if n > room {
			j.r.Discard(room + 1)
			return nil, ErrObjectTooLarge
		}
		j.buf = append(j.buf, chunk[:n]...)
		j.r.Discard(n)
		if end >= 0 {
			return j.buf, nil
		}
	}
}

// skipSpace skips white space and returns the next byte without taking it.
// Between objects the reader waits for its peer with Wait, which also
// ends the last object.
func (j *JSONReader) skipSpace() (byte, error) {
	for {
		if j.r.Buffered() == 0 {
			j.r.Wait()
		}
		c, err := j.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, j.r.UnreadByte()
	}
}

// skipJunk drops bytes up to and including a newline, or up to a '{'.
func (j *JSONReader) skipJunk() error {
	for {
		c, err := j.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return ErrNotObject
			}
			return err
		}
		if c == '\n' {
			return ErrNotObject
		}
		if c == '{' {
			j.r.UnreadByte()
			return ErrNotObject
		}
	}
}
