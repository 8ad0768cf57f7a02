package binwire

import (
	"encoding/binary"
	"fmt"

	"chatlab/chat-v1/proto"
)

// Append appends m, travelling in direction dir, as one frame to dst.
// List replies are cut short, if need be, to MaxListEntries entries and a
// body within MaxBody (see docs/protocol-notes.md). A string too long for
// its length prefix is an error (ErrFieldTooLong), and dst is returned
// unchanged.
func (Codec) Append(dst []byte, m *proto.Message, dir proto.Dir) ([]byte, error) {
	if !dir.Sends(m.Kind) {
		return dst, proto.ErrUnknownKind
	}
	start := len(dst)
	dst = append(dst, uint8(Magic>>8), uint8(Magic&0xFF), Version, byte(m.Kind), 0, 0, 0, 0, 0)
	e := encoder{b: dst}
	c2s := dir == proto.ClientToServer
	switch m.Kind {
	case proto.KindLogin:
		e.str8(m.Username)
	case proto.KindLoginAck:
		e.str8(m.Username)
		e.str8(m.Room)
	case proto.KindLoginReject:
		e.u8(uint8(m.Reason))
		e.str16(m.Text)
	case proto.KindRoomMsg:
		if !c2s {
			e.str8(m.Room)
			e.str8(m.From)
		}
		e.str16(m.Text)
	case proto.KindPrivateMsg:
		if c2s {
			e.str8(m.To)
		} else {
			e.str8(m.From)
		}
		e.str16(m.Text)
	case proto.KindPrivateMsgDelivery:
		e.u8(uint8(m.Status))
		e.str8(m.To)
	case proto.KindJoinRoom:
		e.str8(m.Room)
		if !c2s {
			e.u8(boolByte(m.Created))
		}
	case proto.KindListUsers:
		if !c2s {
			e.str8(m.Room)
			e.list(start, len(m.Users), func(i int) { e.str8(m.Users[i]) })
		}
	case proto.KindListRooms:
		if !c2s {
			e.list(start, len(m.Rooms), func(i int) {
				e.str8(m.Rooms[i].Name)
				e.u16(uint16(min(m.Rooms[i].Members, maxStr16)))
			})
		}
	case proto.KindSystemMsg:
		e.str16(m.Text)
	case proto.KindErrorMsg:
		e.u8(uint8(m.Code))
		e.str16(m.Text)
	case proto.KindRoomMsgAck:
		e.str8(m.Room)
		e.u32(m.Recipients)
	}
	if e.err != nil {
		return dst[:start], fmt.Errorf("%s: %w", m.Kind, e.err)
	}
	binary.BigEndian.PutUint32(e.b[start+5:start+9], uint32(len(e.b)-start-HeaderSize))
	return e.b, nil
}

// Marshal returns m as one frame.
func Marshal(m *proto.Message, dir proto.Dir) ([]byte, error) {
	return Codec{}.Append(nil, m, dir)
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

type encoder struct {
	b   []byte
	err error
}

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }

func (e *encoder) str8(s string) {
	if len(s) > maxStr8 {
		e.err = fmt.Errorf("%w: %d bytes in a str8", ErrFieldTooLong, len(s))
		return
	}
	e.b = append(e.b, uint8(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) str16(s string) {
	if len(s) > maxStr16 {
		e.err = fmt.Errorf("%w: %d bytes in a str16", ErrFieldTooLong, len(s))
		return
	}
	e.u16(uint16(len(s)))
	e.b = append(e.b, s...)
}

// list writes a u16 count and up to n entries, as many as fit both
// MaxListEntries and a body within MaxBody; the count is patched to the
// number written.
func (e *encoder) list(frameStart, n int, entry func(i int)) {
	countAt := len(e.b)
	e.u16(0)
	written := 0
	for i := range min(n, proto.MaxListEntries) {
		mark := len(e.b)
		entry(i)
		if e.err != nil {
			return
		}
		if len(e.b)-frameStart-HeaderSize > MaxBody {
			e.b = e.b[:mark]
			break
		}
		written++
	}
	binary.BigEndian.PutUint16(e.b[countAt:], uint16(written))
}
