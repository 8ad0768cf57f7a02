// Package jsonwire is ChatProto's JSON-lines encoding (docs/protocol.md §3): one JSON
// object per line, ended by "\n", with a "type" key naming the kind and the
// fields of the kind under the keys of §3.
//
// Encoding is written by hand: keys come out in the order of §3, with no
// space, exactly as the examples of §3 show them, and without reflection.
package jsonwire

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"chatlab/chat-v1/proto"
)

// Codec is the JSON-lines encoding. Its zero value is ready to use.
type Codec struct{}

var _ proto.Codec = Codec{}

// Name returns "json".
func (Codec) Name() string { return "json" }

// Append appends m as one JSON line to dst. List replies are cut short, if
// need be, so that the line stays within proto.MaxJSONLine bytes and
// proto.MaxListEntries entries (see docs/protocol-notes.md).
func (Codec) Append(dst []byte, m *proto.Message, dir proto.Dir) ([]byte, error) {
	if !dir.Sends(m.Kind) {
		return dst, proto.ErrUnknownKind
	}
	start := len(dst)
	dst = append(dst, `{"type":"`...)
	dst = append(dst, m.Kind.Name()...)
	dst = append(dst, '"')
	c2s := dir == proto.ClientToServer
	switch m.Kind {
	case proto.KindLogin:
		dst = appendField(dst, "username", m.Username)
	case proto.KindLoginAck:
		dst = appendField(dst, "username", m.Username)
		dst = appendField(dst, "room", m.Room)
	case proto.KindLoginReject:
		dst = appendField(dst, "reason", m.Reason.String())
		dst = appendField(dst, "text", m.Text)
	case proto.KindRoomMsg:
		if !c2s {
			dst = appendField(dst, "room", m.Room)
			dst = appendField(dst, "from", m.From)
		}
		dst = appendField(dst, "text", m.Text)
	case proto.KindPrivateMsg:
		if c2s {
			dst = appendField(dst, "to", m.To)
		} else {
			dst = appendField(dst, "from", m.From)
		}
		dst = appendField(dst, "text", m.Text)
	case proto.KindPrivateMsgDelivery:
		dst = appendField(dst, "status", m.Status.String())
		dst = appendField(dst, "to", m.To)
	case proto.KindJoinRoom:
		dst = appendField(dst, "room", m.Room)
		if !c2s {
			dst = append(dst, `,"created":`...)
			dst = strconv.AppendBool(dst, m.Created)
		}
	case proto.KindListUsers:
		if !c2s {
			dst = appendField(dst, "room", m.Room)
			dst = appendUsers(dst, start, m.Users)
		}
	case proto.KindListRooms:
		if !c2s {
			dst = appendRooms(dst, start, m.Rooms)
		}
	case proto.KindSystemMsg:
		dst = appendField(dst, "text", m.Text)
	case proto.KindErrorMsg:
		dst = appendField(dst, "code", m.Code.String())
		dst = appendField(dst, "text", m.Text)
	case proto.KindRoomMsgAck:
		dst = appendField(dst, "room", m.Room)
		dst = append(dst, `,"recipients":`...)
		dst = strconv.AppendUint(dst, uint64(m.Recipients), 10)
	}
	return append(dst, "}\n"...), nil
}

// Trace shows a line as it is, without its line ending: JSON is its own
// description.
func (Codec) Trace(frame []byte, _ proto.Dir) string {
	return strings.TrimRight(string(frame), "\r\n")
}

// Marshal returns m as one JSON line.
func Marshal(m *proto.Message, dir proto.Dir) ([]byte, error) {
	return Codec{}.Append(nil, m, dir)
}

func appendField(dst []byte, key, value string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return AppendString(dst, value)
}

// listRoom is what a list reply keeps free for the characters that close
// the line ("]}\n").
const listRoom = 3

func appendUsers(dst []byte, start int, users []string) []byte {
	dst = append(dst, `,"users":[`...)
	for i, u := range users[:min(len(users), proto.MaxListEntries)] {
		mark := len(dst)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, u)
		if len(dst)-start+listRoom > proto.MaxJSONLine {
			dst = dst[:mark]
			break
		}
	}
	return append(dst, ']')
}

func appendRooms(dst []byte, start int, rooms []proto.RoomInfo) []byte {
	dst = append(dst, `,"rooms":[`...)
	for i, r := range rooms[:min(len(rooms), proto.MaxListEntries)] {
		mark := len(dst)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = AppendString(dst, r.Name)
		dst = append(dst, `,"members":`...)
		dst = strconv.AppendInt(dst, int64(r.Members), 10)
		dst = append(dst, '}')
		if len(dst)-start+listRoom > proto.MaxJSONLine {
			dst = dst[:mark]
			break
		}
	}
	return append(dst, ']')
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string. It escapes what JSON requires
// (quote, backslash, control characters) and U+2028/U+2029, writes other
// characters as UTF-8, and replaces invalid UTF-8 with U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
