package binwire

import (
	"encoding/hex"
	"fmt"
	"strings"

	"chatlab/chat-v1/proto"
)

// Field is one field of a frame: where it is and what it holds.
type Field struct {
	Offset int // from the start of the frame
	Len    int
	Name   string
	Value  string
}

// Annotate lists the fields of a frame, header first. It returns the
// fields it could read and the error that stopped it, if any.
func Annotate(frame []byte, dir proto.Dir) ([]Field, error) {
	if len(frame) < HeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, a header has %d", ErrTruncated, len(frame), HeaderSize)
	}
	h := ParseHeader(frame)
	kind := proto.Kind(h.Type)
	fields := []Field{
		{0, 2, "magic", fmt.Sprintf("0x%04x %q", h.Magic, frame[0:2])},
		{2, 1, "version", fmt.Sprint(h.Version)},
		{3, 1, "type", fmt.Sprintf("0x%02x %s", h.Type, kind)},
		{4, 1, "flags", fmt.Sprintf("0x%02x", h.Flags)},
		{5, 4, "body_len", fmt.Sprint(h.BodyLen)},
	}
	if perr := h.check(); perr != nil {
		return fields, perr
	}
	body := frame[HeaderSize:]
	if len(body) != int(h.BodyLen) {
		return fields, fmt.Errorf("%w: body_len says %d bytes, the frame has %d", ErrTruncated, h.BodyLen, len(body))
	}
	var m proto.Message
	err := unmarshal(h.Type, body, dir, &m, &fields)
	return fields, err
}

// Diagram renders a frame as a table of its fields: offset, bytes in hex
// (long fields shortened), name and value. The protocol document and
// --trace use it.
func Diagram(frame []byte, dir proto.Dir) string {
	fields, err := Annotate(frame, dir)
	var b strings.Builder
	for _, f := range fields {
		raw := frame[f.Offset : f.Offset+f.Len]
		hexs := spacedHex(raw[:min(len(raw), 8)])
		if len(raw) > 8 {
			hexs += fmt.Sprintf(" … (%d bytes)", len(raw))
		}
		value := f.Value
		if len(value) > 60 {
			value = value[:57] + "…"
		}
		fmt.Fprintf(&b, "%6d  %-35s %-16s %s\n", f.Offset, hexs, f.Name, value)
	}
	if err != nil {
		fmt.Fprintf(&b, "        !! %v\n", err)
	}
	return b.String()
}

func spacedHex(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, " ")
}

// maxDump bounds the hex dump of one frame in a trace.
const maxDump = 256

// Trace describes a frame for --trace: its kind and size, the field
// diagram, and a hex dump (the first maxDump bytes).
func (Codec) Trace(frame []byte, dir proto.Dir) string {
	var b strings.Builder
	kind := "?"
	if len(frame) >= HeaderSize {
		kind = proto.Kind(frame[3]).String()
	}
	fmt.Fprintf(&b, "%s %s, %d bytes\n", kind, dir, len(frame))
	b.WriteString(Diagram(frame, dir))
	dump := hex.Dump(frame[:min(len(frame), maxDump)])
	b.WriteString(strings.TrimSuffix(dump, "\n"))
	if len(frame) > maxDump {
		fmt.Fprintf(&b, "\n... %d more bytes", len(frame)-maxDump)
	}
	return b.String()
}
