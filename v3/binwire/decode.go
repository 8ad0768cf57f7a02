package binwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"chatlab/chat-v1/proto"
	"chatlab/shared/framing"
)

// keepBuffer is the largest frame buffer a decoder keeps between frames;
// a larger one (a frame of up to MaxBody) is let go after use.
const keepBuffer = 64 << 10

// NewDecoder returns a decoder of the frames travelling in direction dir
// on r. A *framing.Reader is read as it is; any other reader through one.
func (Codec) NewDecoder(r io.Reader, dir proto.Dir) proto.Decoder {
	fr, ok := r.(*framing.Reader)
	if !ok {
		fr = framing.NewReader(r)
	}
	return &decoder{r: fr, dir: dir}
}

type decoder struct {
	r    *framing.Reader // holds no full-size buffer while the peer is idle
	hdr  [HeaderSize]byte
	dir  proto.Dir
	buf  []byte // header and body of the current frame
	last []byte
}

// Decode reads one frame into m. The stream ending between frames is
// io.EOF, inside one io.ErrUnexpectedEOF; a header that breaks the rules
// is a fatal *proto.Error, a body that does not parse or an unknown type a
// non-fatal one (the whole frame has been read, so the stream is still in
// step).
func (d *decoder) Decode(m *proto.Message) error {
	if cap(d.buf) > keepBuffer {
		d.buf = nil
	}
	hdr := d.hdr[:] // in the decoder: a local array would escape to the heap through io.ReadFull
	if _, err := io.ReadFull(d.r, hdr); err != nil {
		return err
	}
	h := ParseHeader(hdr)
	if perr := h.check(); perr != nil {
		return perr
	}
	size := HeaderSize + int(h.BodyLen) // at most HeaderSize+MaxBody: checked above
	frame, err := d.readBody(hdr, size)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	d.last = frame
	return unmarshal(h.Type, frame[HeaderSize:], d.dir, m, nil)
}

// readBody reads the body of a frame of size bytes after its header. A
// frame of up to keepBuffer bytes is read into a buffer of its size; a
// larger one into a buffer that grows as its bytes arrive, so that a peer
// that announces a megabyte and sends a few bytes makes the decoder hold
// a few bytes, not a megabyte.
func (d *decoder) readBody(hdr []byte, size int) ([]byte, error) {
	if size <= keepBuffer || cap(d.buf) >= size {
		if cap(d.buf) < size {
			d.buf = make([]byte, size)
		}
		frame := d.buf[:size]
		copy(frame, hdr)
		_, err := io.ReadFull(d.r, frame[HeaderSize:])
		return frame, err
	}
	frame := append(make([]byte, 0, keepBuffer), hdr...)
	for len(frame) < size {
		if len(frame) == cap(frame) {
			frame = slices.Grow(frame, min(cap(frame), size-len(frame)))
		}
		n, err := io.ReadFull(d.r, frame[len(frame):min(cap(frame), size)])
		frame = frame[:len(frame)+n]
		if err != nil {
			return nil, err
		}
	}
	d.buf = frame
	return frame, nil
}

// Last returns the frame of the last successful or non-fatally failed
// Decode, header included; it is valid until the next Decode.
func (d *decoder) Last() []byte { return d.last }

// Unmarshal decodes one frame (header and body) travelling in direction
// dir into m. Its errors are *proto.Error, as Decode's.
func Unmarshal(frame []byte, dir proto.Dir, m *proto.Message) error {
	*m = proto.Message{}
	if len(frame) < HeaderSize {
		return &proto.Error{Code: proto.CodeMalformed, Err: ErrTruncated, Detail: "frame shorter than its header"}
	}
	h := ParseHeader(frame)
	if perr := h.check(); perr != nil {
		return perr
	}
	if len(frame) != HeaderSize+int(h.BodyLen) {
		return &proto.Error{Code: proto.CodeMalformed, Err: ErrTruncated,
			Detail: fmt.Sprintf("body_len says %d bytes, the frame has %d", h.BodyLen, len(frame)-HeaderSize)}
	}
	return unmarshal(h.Type, frame[HeaderSize:], dir, m, nil)
}

// unmarshal decodes a body of the given type. If fields is not nil, it
// also records every field it reads, for Annotate.
func unmarshal(typ uint8, body []byte, dir proto.Dir, m *proto.Message, fields *[]Field) error {
	*m = proto.Message{}
	kind := proto.Kind(typ)
	if kind.Name() == "" || !dir.Sends(kind) {
		return &proto.Error{Code: proto.CodeUnsupported, Err: ErrUnknownType,
			Detail: fmt.Sprintf("unknown message type 0x%02x", typ)}
	}
	r := reader{b: body, fields: fields}
	m.Kind = kind
	c2s := dir == proto.ClientToServer
	switch kind {
	case proto.KindLogin:
		m.Username = r.str8("username")
	case proto.KindLoginAck:
		m.Username = r.str8("username")
		m.Room = r.str8("room")
	case proto.KindLoginReject:
		m.Reason = proto.RejectReason(r.enum("reason", func(v uint8) (string, bool) {
			return proto.RejectReason(v).String(), proto.RejectReason(v).Valid()
		}))
		m.Text = r.str16("text")
	case proto.KindRoomMsg:
		if !c2s {
			m.Room = r.str8("room")
			m.From = r.str8("from")
		}
		m.Text = r.str16("text")
	case proto.KindPrivateMsg:
		if c2s {
			m.To = r.str8("to")
		} else {
			m.From = r.str8("from")
		}
		m.Text = r.str16("text")
	case proto.KindPrivateMsgDelivery:
		m.Status = proto.DeliveryStatus(r.enum("status", func(v uint8) (string, bool) {
			return proto.DeliveryStatus(v).String(), proto.DeliveryStatus(v).Valid()
		}))
		m.To = r.str8("to")
	case proto.KindJoinRoom:
		m.Room = r.str8("room")
		if !c2s {
			m.Created = r.enum("created", func(v uint8) (string, bool) { return fmt.Sprint(v == 1), v <= 1 }) == 1
		}
	case proto.KindListUsers:
		if !c2s {
			m.Room = r.str8("room")
			n := r.count("n")
			m.Users = make([]string, 0, min(n, len(r.b)-r.off))
			for i := 0; i < n && r.err == nil; i++ {
				m.Users = append(m.Users, r.str8(fmt.Sprintf("username[%d]", i)))
			}
		}
	case proto.KindListRooms:
		if !c2s {
			n := r.count("n")
			m.Rooms = make([]proto.RoomInfo, 0, min(n, len(r.b)-r.off))
			for i := 0; i < n && r.err == nil; i++ {
				name := r.str8(fmt.Sprintf("room[%d]", i))
				members := r.u16(fmt.Sprintf("members[%d]", i), "")
				m.Rooms = append(m.Rooms, proto.RoomInfo{Name: name, Members: int(members)})
			}
		}
	case proto.KindSystemMsg:
		m.Text = r.str16("text")
	case proto.KindErrorMsg:
		m.Code = proto.ErrorCode(r.enum("code", func(v uint8) (string, bool) {
			return proto.ErrorCode(v).String(), proto.ErrorCode(v).Valid()
		}))
		m.Text = r.str16("text")
	case proto.KindRoomMsgAck:
		m.Room = r.str8("room")
		m.Recipients = r.u32("recipients")
	}
	if r.err == nil && r.off != len(body) {
		r.fail(ErrTrailing, fmt.Sprintf("%d bytes", len(body)-r.off), "")
	}
	if r.err != nil {
		*m = proto.Message{}
		return &proto.Error{Code: proto.CodeMalformed, Err: r.err,
			Detail: fmt.Sprintf("%s body: %v", kind, r.detail)}
	}
	return nil
}

// reader reads the fields of a body; the first problem sticks. Field
// names and values are only formatted for a failure or for Annotate
// (fields not nil): decoding a well-formed frame allocates nothing but its
// strings.
type reader struct {
	b      []byte
	off    int
	err    error
	detail string
	fields *[]Field
}

// lengthOf is the suffix that names a string's length prefix after the
// string ("text length").
const lengthOf = " length"

func (r *reader) fail(err error, name, suffix string) {
	if r.err == nil {
		r.err = err
		r.detail = fmt.Sprintf("%v (%s%s)", err, name, suffix)
	}
}

func (r *reader) note(off, n int, name, suffix, value string) {
	*r.fields = append(*r.fields, Field{Offset: HeaderSize + off, Len: n, Name: name + suffix, Value: value})
}

func (r *reader) take(n int, name, suffix string) []byte {
	if r.err != nil {
		return nil
	}
	if r.off+n > len(r.b) {
		r.fail(ErrTruncated, name, suffix)
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) u8(name, suffix string) uint8 {
	b := r.take(1, name, suffix)
	if b == nil {
		return 0
	}
	if r.fields != nil {
		r.note(r.off-1, 1, name, suffix, fmt.Sprint(b[0]))
	}
	return b[0]
}

func (r *reader) u16(name, suffix string) uint16 {
	b := r.take(2, name, suffix)
	if b == nil {
		return 0
	}
	v := binary.BigEndian.Uint16(b)
	if r.fields != nil {
		r.note(r.off-2, 2, name, suffix, fmt.Sprint(v))
	}
	return v
}

func (r *reader) u32(name string) uint32 {
	b := r.take(4, name, "")
	if b == nil {
		return 0
	}
	v := binary.BigEndian.Uint32(b)
	if r.fields != nil {
		r.note(r.off-4, 4, name, "", fmt.Sprint(v))
	}
	return v
}

func (r *reader) count(name string) int { return int(r.u16(name, "")) }

// enum reads a u8 that must be one of the values describe accepts.
func (r *reader) enum(name string, describe func(uint8) (string, bool)) uint8 {
	b := r.take(1, name, "")
	if b == nil {
		return 0
	}
	text, ok := describe(b[0])
	if !ok {
		r.fail(ErrBadValue, fmt.Sprintf("%s = %d", name, b[0]), "")
		return 0
	}
	if r.fields != nil {
		r.note(r.off-1, 1, name, "", fmt.Sprintf("%d (%s)", b[0], text))
	}
	return b[0]
}

func (r *reader) str8(name string) string {
	n := r.u8(name, lengthOf)
	return r.str(int(n), name)
}

func (r *reader) str16(name string) string {
	n := r.u16(name, lengthOf)
	return r.str(int(n), name)
}

func (r *reader) str(n int, name string) string {
	b := r.take(n, name, "")
	if r.err != nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.fail(ErrInvalidUTF8, name, "")
		return ""
	}
	if r.fields != nil {
		r.note(r.off-n, n, name, "", fmt.Sprintf("%q", b))
	}
	return string(b)
}
