package jsonwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"chatlab/chat-v1/proto"
	"chatlab/shared/framing"
)

// NewDecoder returns a decoder of the JSON lines travelling in direction
// dir on r. A line longer than proto.MaxJSONLine is a fatal too_long.
func (Codec) NewDecoder(r io.Reader, dir proto.Dir) proto.Decoder {
	return &decoder{lines: framing.NewLineReader(r, proto.MaxJSONLine), dir: dir}
}

type decoder struct {
	lines *framing.LineReader
	dir   proto.Dir
	last  []byte
}

func (d *decoder) Decode(m *proto.Message) error {
	line, err := d.lines.ReadLine()
	if errors.Is(err, framing.ErrLineTooLong) {
		return proto.Fatalf(proto.CodeTooLong, "line longer than %d bytes", proto.MaxJSONLine)
	}
	if err != nil {
		return err
	}
	d.last = line
	return Unmarshal(line, d.dir, m)
}

// Last returns the line decoded last, without its line ending.
func (d *decoder) Last() []byte { return d.last }

// Unmarshal decodes one line (without its line ending) travelling in
// direction dir into m. Its errors are *proto.Error: malformed for a line
// that is not a JSON object, lacks a required key, holds a key of the
// wrong type or invalid UTF-8; unsupported for a type that is unknown or
// does not travel in direction dir. Unknown keys are ignored.
func Unmarshal(line []byte, dir proto.Dir, m *proto.Message) error {
	*m = proto.Message{}
	if !utf8.Valid(line) {
		return proto.Errorf(proto.CodeMalformed, "the line is not valid UTF-8")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil || obj == nil {
		return proto.Errorf(proto.CodeMalformed, "the line is not a JSON object")
	}
	f := fields{obj: obj}
	typ := f.str("type")
	if f.err != nil {
		return f.err
	}
	kind, ok := proto.KindByName(typ)
	if !ok || !dir.Sends(kind) {
		return proto.Errorf(proto.CodeUnsupported, "unknown message type %q", typ)
	}
	m.Kind = kind
	c2s := dir == proto.ClientToServer
	switch kind {
	case proto.KindLogin:
		m.Username = f.str("username")
	case proto.KindLoginAck:
		m.Username = f.str("username")
		m.Room = f.str("room")
	case proto.KindLoginReject:
		m.Reason = f.reason("reason")
		m.Text = f.str("text")
	case proto.KindRoomMsg:
		if !c2s {
			m.Room = f.str("room")
			m.From = f.str("from")
		}
		m.Text = f.str("text")
	case proto.KindPrivateMsg:
		if c2s {
			m.To = f.str("to")
		} else {
			m.From = f.str("from")
		}
		m.Text = f.str("text")
	case proto.KindPrivateMsgDelivery:
		m.Status = f.status("status")
		m.To = f.str("to")
	case proto.KindJoinRoom:
		m.Room = f.str("room")
		if !c2s {
			f.value("created", &m.Created)
		}
	case proto.KindListUsers:
		if !c2s {
			m.Room = f.str("room")
			m.Users = f.users("users")
		}
	case proto.KindListRooms:
		if !c2s {
			m.Rooms = f.rooms("rooms")
		}
	case proto.KindSystemMsg:
		m.Text = f.str("text")
	case proto.KindErrorMsg:
		m.Code = f.code("code")
		m.Text = f.str("text")
	case proto.KindRoomMsgAck:
		m.Room = f.str("room")
		f.value("recipients", &m.Recipients)
	}
	if f.err != nil {
		*m = proto.Message{}
		return f.err
	}
	return nil
}

// fields reads typed values out of a decoded object; the first problem
// sticks in err and later reads return zero values.
type fields struct {
	obj map[string]json.RawMessage
	err *proto.Error
}

var null = []byte("null")

// value decodes key into v (a *string, *bool, *uint32, *int, *[]T ...).
func (f *fields) value(key string, v any) {
	if f.err != nil {
		return
	}
	raw, ok := f.obj[key]
	if !ok {
		f.err = proto.Errorf(proto.CodeMalformed, "missing key %q", key)
		return
	}
	if bytes.Equal(raw, null) || json.Unmarshal(raw, v) != nil {
		f.err = proto.Errorf(proto.CodeMalformed, "key %q has the wrong type", key)
	}
}

func (f *fields) str(key string) string {
	var s string
	f.value(key, &s)
	return s
}

func (f *fields) reason(key string) proto.RejectReason {
	return enum(f, key, proto.ParseRejectReason)
}

func (f *fields) status(key string) proto.DeliveryStatus {
	return enum(f, key, proto.ParseDeliveryStatus)
}

func (f *fields) code(key string) proto.ErrorCode {
	return enum(f, key, proto.ParseErrorCode)
}

func enum[E any](f *fields, key string, parse func(string) (E, bool)) E {
	name := f.str(key)
	e, ok := parse(name)
	if !ok && f.err == nil {
		f.err = proto.Errorf(proto.CodeMalformed, "key %q has an unknown value %q", key, name)
	}
	return e
}

func (f *fields) users(key string) []string {
	var raw []json.RawMessage
	f.value(key, &raw)
	users := make([]string, 0, len(raw))
	for _, r := range raw {
		var u string
		if bytes.Equal(r, null) || json.Unmarshal(r, &u) != nil {
			f.setErr("%q must be an array of strings", key)
			return nil
		}
		users = append(users, u)
	}
	return users
}

func (f *fields) rooms(key string) []proto.RoomInfo {
	var raw []json.RawMessage
	f.value(key, &raw)
	rooms := make([]proto.RoomInfo, 0, len(raw))
	for _, r := range raw {
		var obj map[string]json.RawMessage
		if json.Unmarshal(r, &obj) != nil || obj == nil {
			f.setErr("%q must be an array of objects", key)
			return nil
		}
		entry := fields{obj: obj}
		info := proto.RoomInfo{Name: entry.str("name")}
		entry.value("members", &info.Members)
		if entry.err == nil && info.Members < 0 {
			entry.err = proto.Errorf(proto.CodeMalformed, "a room has a negative member count")
		}
		if entry.err != nil {
			f.err = entry.err
			return nil
		}
		rooms = append(rooms, info)
	}
	return rooms
}

func (f *fields) setErr(format string, args ...any) {
	if f.err == nil {
		f.err = proto.Errorf(proto.CodeMalformed, format, args...)
	}
}
