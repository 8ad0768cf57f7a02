package proto

import (
	"fmt"
	"io"
)

// Codec is one encoding of the message model: JSON lines or binary frames.
type Codec interface {
	// Name names the encoding in logs and traces ("json", "binary").
	Name() string
	// Append appends the encoding of m, travelling in direction dir, to dst.
	Append(dst []byte, m *Message, dir Dir) ([]byte, error)
	// NewDecoder returns a decoder of the messages travelling in direction
	// dir on r.
	NewDecoder(r io.Reader, dir Dir) Decoder
}

// Decoder reads messages from a stream.
type Decoder interface {
	// Decode reads the next message into m. A message that breaks the
	// encoding returns a *Error (fatal or not, as docs/protocol.md says); the end
	// of the stream returns io.EOF; a failing stream returns its error.
	Decode(m *Message) error
}

// Tracer is implemented by a codec that can describe one of its frames for
// --trace: a JSON line as it is, a binary frame field by field with a hex
// dump.
type Tracer interface {
	Trace(frame []byte, dir Dir) string
}

// RawDecoder is implemented by a decoder that can return the bytes of the
// message it decoded last (valid until the next Decode), for --trace.
type RawDecoder interface {
	Last() []byte
}

// TraceFrame describes frame with c's Tracer, or quotes it if c has none.
func TraceFrame(c Codec, frame []byte, dir Dir) string {
	if t, ok := c.(Tracer); ok {
		return t.Trace(frame, dir)
	}
	return fmt.Sprintf("%q", frame)
}
