package spectest

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---------------------------------------------------------------------------
// ChatProto v1.0 as §2 states it

// The frame header: 9 bytes, big-endian, Python struct "!HBBBL".
const (
	headerLen    = 9
	protoMagic   = 0x4350    // "CP"
	protoVersion = 0x01      //
	maxBodyLen   = 1_048_576 // §1 limits: binary body
)

// msgType is the type byte of the header (§2, message types).
type msgType uint8

const (
	typeLogin        msgType = 0x01
	typeLoginAck     msgType = 0x02
	typeLoginReject  msgType = 0x03
	typeRoomMsg      msgType = 0x04
	typePrivateMsg   msgType = 0x05
	typeDelivery     msgType = 0x06 // PRIVATE_MSG_DELIVERY
	typeJoinRoom     msgType = 0x07
	typeListUsers    msgType = 0x08
	typeListRooms    msgType = 0x09
	typeSystemMsg    msgType = 0x0A
	typeErrorMsg     msgType = 0x0B
	typeRoomMsgAck   msgType = 0x0C
	typeUnknownProbe msgType = 0x0D // not in the table: for the "unknown type" rule
)

var typeNames = map[msgType]string{
	typeLogin:       "LOGIN",
	typeLoginAck:    "LOGIN_ACK",
	typeLoginReject: "LOGIN_REJECT",
	typeRoomMsg:     "ROOM_MSG",
	typePrivateMsg:  "PRIVATE_MSG",
	typeDelivery:    "PRIVATE_MSG_DELIVERY",
	typeJoinRoom:    "JOIN_ROOM",
	typeListUsers:   "LIST_USERS",
	typeListRooms:   "LIST_ROOMS",
	typeSystemMsg:   "SYSTEM_MSG",
	typeErrorMsg:    "ERROR_MSG",
	typeRoomMsgAck:  "ROOM_MSG_ACK",
}

func (t msgType) String() string {
	if name, ok := typeNames[t]; ok {
		return name
	}
	return fmt.Sprintf("type 0x%02x", uint8(t))
}

// direction says which column of the table a layout comes from: the same
// type has a different body C→S and S→C.
type direction int

const (
	clientToServer direction = iota
	serverToClient
)

func (d direction) String() string {
	if d == clientToServer {
		return "C→S"
	}
	return "S→C"
}

// The types of each direction, in table order.
var (
	clientTypes = []msgType{typeLogin, typeRoomMsg, typePrivateMsg, typeJoinRoom, typeListUsers, typeListRooms}
	serverTypes = []msgType{typeLoginAck, typeLoginReject, typeRoomMsg, typePrivateMsg, typeDelivery,
		typeJoinRoom, typeListUsers, typeListRooms, typeSystemMsg, typeErrorMsg, typeRoomMsgAck}
)

// rejectReason is the u8 of LOGIN_REJECT.
type rejectReason uint8

const (
	reasonNameTaken   rejectReason = 1
	reasonNameInvalid rejectReason = 2
	reasonServerFull  rejectReason = 3
)

func (r rejectReason) String() string {
	switch r {
	case reasonNameTaken:
		return "name_taken(1)"
	case reasonNameInvalid:
		return "name_invalid(2)"
	case reasonServerFull:
		return "server_full(3)"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// deliveryStatus is the u8 of PRIVATE_MSG_DELIVERY.
type deliveryStatus uint8

const (
	statusDelivered  deliveryStatus = 0
	statusNoSuchUser deliveryStatus = 1
)

func (s deliveryStatus) String() string {
	switch s {
	case statusDelivered:
		return "delivered(0)"
	case statusNoSuchUser:
		return "no_such_user(1)"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// errorCode is the u8 of ERROR_MSG.
type errorCode uint8

const (
	codeMalformed       errorCode = 1 // fatal only for a bad header
	codeUnsupported     errorCode = 2 // fatal only for a bad version
	codeNotLoggedIn     errorCode = 3
	codeAlreadyLoggedIn errorCode = 4
	codeNameInvalid     errorCode = 5
	codeTooLong         errorCode = 6 // fatal for an oversized frame
	codeEmpty           errorCode = 7
)

var codeNames = map[errorCode]string{
	codeMalformed:       "malformed",
	codeUnsupported:     "unsupported",
	codeNotLoggedIn:     "not_logged_in",
	codeAlreadyLoggedIn: "already_logged_in",
	codeNameInvalid:     "name_invalid",
	codeTooLong:         "too_long",
	codeEmpty:           "empty",
}

func (c errorCode) String() string {
	if name, ok := codeNames[c]; ok {
		return fmt.Sprintf("%s(%d)", name, uint8(c))
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// roomEntry is one entry of a LIST_ROOMS reply.
type roomEntry struct {
	Name    string
	Members uint16
}

// message is any message of either direction; only the fields of its
// type's layout are set. Lists are never nil in a decoded message, so
// that expectations can be written as literals.
type message struct {
	Type       msgType
	Username   string         // LOGIN, LOGIN_ACK
	Room       string         // LOGIN_ACK, ROOM_MSG S→C, JOIN_ROOM, LIST_USERS S→C, ROOM_MSG_ACK
	From       string         // ROOM_MSG S→C, PRIVATE_MSG S→C
	To         string         // PRIVATE_MSG C→S, PRIVATE_MSG_DELIVERY
	Text       string         // LOGIN_REJECT, ROOM_MSG, PRIVATE_MSG, SYSTEM_MSG, ERROR_MSG
	Reason     rejectReason   // LOGIN_REJECT
	Status     deliveryStatus // PRIVATE_MSG_DELIVERY
	Code       errorCode      // ERROR_MSG
	Created    bool           // JOIN_ROOM S→C
	Users      []string       // LIST_USERS S→C
	Rooms      []roomEntry    // LIST_ROOMS S→C
	Recipients uint32         // ROOM_MSG_ACK
}

// ---------------------------------------------------------------------------
// Encoding

// errTooBig marks a value that does not fit its length prefix.
var errTooBig = errors.New("value does not fit its field")

// bodyWriter appends the field types of §2 to a body.
type bodyWriter struct {
	b   []byte
	err error
}

func (w *bodyWriter) u8(v uint8)   { w.b = append(w.b, v) }
func (w *bodyWriter) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *bodyWriter) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }

// str8 is a u8 byte count, then the bytes.
func (w *bodyWriter) str8(s string) {
	if len(s) > 0xFF {
		w.err = fmt.Errorf("%w: str8 of %d bytes", errTooBig, len(s))
		return
	}
	w.u8(uint8(len(s)))
	w.b = append(w.b, s...)
}

// str16 is a u16 byte count, then the bytes.
func (w *bodyWriter) str16(s string) {
	if len(s) > 0xFFFF {
		w.err = fmt.Errorf("%w: str16 of %d bytes", errTooBig, len(s))
		return
	}
	w.u16(uint16(len(s)))
	w.b = append(w.b, s...)
}

func (w *bodyWriter) count(n int) {
	if n > 0xFFFF {
		w.err = fmt.Errorf("%w: list of %d entries", errTooBig, n)
		return
	}
	w.u16(uint16(n))
}

// encodeBody lays m out as the table of §2 says for direction d.
func encodeBody(d direction, m message) ([]byte, error) {
	w := &bodyWriter{b: []byte{}}
	switch {
	case d == clientToServer && m.Type == typeLogin:
		w.str8(m.Username)
	case d == clientToServer && m.Type == typeRoomMsg:
		w.str16(m.Text)
	case d == clientToServer && m.Type == typePrivateMsg:
		w.str8(m.To)
		w.str16(m.Text)
	case d == clientToServer && m.Type == typeJoinRoom:
		w.str8(m.Room)
	case d == clientToServer && (m.Type == typeListUsers || m.Type == typeListRooms):
		// empty body
	case d == serverToClient && m.Type == typeLoginAck:
		w.str8(m.Username)
		w.str8(m.Room)
	case d == serverToClient && m.Type == typeLoginReject:
		w.u8(uint8(m.Reason))
		w.str16(m.Text)
	case d == serverToClient && m.Type == typeRoomMsg:
		w.str8(m.Room)
		w.str8(m.From)
		w.str16(m.Text)
	case d == serverToClient && m.Type == typePrivateMsg:
		w.str8(m.From)
		w.str16(m.Text)
	case d == serverToClient && m.Type == typeDelivery:
		w.u8(uint8(m.Status))
		w.str8(m.To)
	case d == serverToClient && m.Type == typeJoinRoom:
		w.str8(m.Room)
		if m.Created {
			w.u8(1)
		} else {
			w.u8(0)
		}
	case d == serverToClient && m.Type == typeListUsers:
		w.str8(m.Room)
		w.count(len(m.Users))
		for _, u := range m.Users {
			w.str8(u)
		}
	case d == serverToClient && m.Type == typeListRooms:
		w.count(len(m.Rooms))
		for _, r := range m.Rooms {
			w.str8(r.Name)
			w.u16(r.Members)
		}
	case d == serverToClient && m.Type == typeSystemMsg:
		w.str16(m.Text)
	case d == serverToClient && m.Type == typeErrorMsg:
		w.u8(uint8(m.Code))
		w.str16(m.Text)
	case d == serverToClient && m.Type == typeRoomMsgAck:
		w.str8(m.Room)
		w.u32(m.Recipients)
	default:
		return nil, fmt.Errorf("%v has no %v layout", m.Type, d)
	}
	return w.b, w.err
}

// rawFrame is a header with flags 0 (as §2 says frames are sent) and body.
func rawFrame(typ msgType, body []byte) []byte {
	return frameWithHeader(protoMagic, protoVersion, typ, 0, uint32(len(body)), body)
}

// frameWithHeader writes every header field as given, for frames that
// break §2 on purpose.
func frameWithHeader(magic uint16, version uint8, typ msgType, flags uint8, bodyLen uint32, body []byte) []byte {
	b := make([]byte, 0, headerLen+len(body))
	b = binary.BigEndian.AppendUint16(b, magic)
	b = append(b, version, uint8(typ), flags)
	b = binary.BigEndian.AppendUint32(b, bodyLen)
	return append(b, body...)
}

// encodeFrame is header and body of m.
func encodeFrame(d direction, m message) ([]byte, error) {
	body, err := encodeBody(d, m)
	if err != nil {
		return nil, err
	}
	if len(body) > maxBodyLen {
		return nil, fmt.Errorf("%w: body of %d bytes", errTooBig, len(body))
	}
	return rawFrame(m.Type, body), nil
}

// ---------------------------------------------------------------------------
// Decoding

// errBadFrame marks bytes that break §2.
var errBadFrame = errors.New("frame breaks §2")

// bodyReader takes the field types of §2 off a body; the first problem
// sticks.
type bodyReader struct {
	b   []byte
	err error
}

func (r *bodyReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errBadFrame, fmt.Sprintf(format, args...))
	}
}

func (r *bodyReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail("%s needs %d bytes, %d left in the body", what, n, len(r.b))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *bodyReader) u8(what string) uint8 {
	if v := r.take(1, what); v != nil {
		return v[0]
	}
	return 0
}

func (r *bodyReader) u16(what string) uint16 {
	if v := r.take(2, what); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *bodyReader) u32(what string) uint32 {
	if v := r.take(4, what); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *bodyReader) utf8(n int, what string) string {
	v := r.take(n, what)
	if r.err == nil && !utf8.Valid(v) {
		r.fail("%s %q is not valid UTF-8", what, v)
	}
	return string(v)
}

func (r *bodyReader) str8(what string) string  { return r.utf8(int(r.u8(what+" length")), what) }
func (r *bodyReader) str16(what string) string { return r.utf8(int(r.u16(what+" length")), what) }

// end reports the first problem, or bytes left after the last field.
func (r *bodyReader) end() error {
	if r.err == nil && len(r.b) > 0 {
		r.fail("% x left after the last field", r.b)
	}
	return r.err
}

// decodeBody parses body as the layout of typ in direction d. It is
// strict: a short body, bytes left over, invalid UTF-8, or an
// enumeration value outside its table is an error wrapping errBadFrame.
func decodeBody(d direction, typ msgType, body []byte) (message, error) {
	r := &bodyReader{b: body}
	m := message{Type: typ}
	switch {
	case d == clientToServer && typ == typeLogin:
		m.Username = r.str8("username")
	case d == clientToServer && typ == typeRoomMsg:
		m.Text = r.str16("text")
	case d == clientToServer && typ == typePrivateMsg:
		m.To = r.str8("to")
		m.Text = r.str16("text")
	case d == clientToServer && typ == typeJoinRoom:
		m.Room = r.str8("room")
	case d == clientToServer && (typ == typeListUsers || typ == typeListRooms):
		// empty body
	case d == serverToClient && typ == typeLoginAck:
		m.Username = r.str8("username")
		m.Room = r.str8("room")
	case d == serverToClient && typ == typeLoginReject:
		m.Reason = rejectReason(r.u8("reason"))
		m.Text = r.str16("text")
		if r.err == nil && (m.Reason < reasonNameTaken || m.Reason > reasonServerFull) {
			r.fail("LOGIN_REJECT reason %d is not in the table", m.Reason)
		}
	case d == serverToClient && typ == typeRoomMsg:
		m.Room = r.str8("room")
		m.From = r.str8("from")
		m.Text = r.str16("text")
	case d == serverToClient && typ == typePrivateMsg:
		m.From = r.str8("from")
		m.Text = r.str16("text")
	case d == serverToClient && typ == typeDelivery:
		m.Status = deliveryStatus(r.u8("status"))
		m.To = r.str8("to")
		if r.err == nil && m.Status > statusNoSuchUser {
			r.fail("PRIVATE_MSG_DELIVERY status %d is not in the table", m.Status)
		}
	case d == serverToClient && typ == typeJoinRoom:
		m.Room = r.str8("room")
		// "u8 created (1 if the join created it)": read as 1 or 0.
		switch created := r.u8("created"); {
		case r.err != nil:
		case created > 1:
			r.fail("JOIN_ROOM created is %d, want 0 or 1", created)
		default:
			m.Created = created == 1
		}
	case d == serverToClient && typ == typeListUsers:
		m.Room = r.str8("room")
		n := int(r.u16("user count"))
		m.Users = make([]string, 0, min(n, len(body)))
		for i := 0; i < n && r.err == nil; i++ {
			m.Users = append(m.Users, r.str8(fmt.Sprintf("username %d of %d", i+1, n)))
		}
	case d == serverToClient && typ == typeListRooms:
		n := int(r.u16("room count"))
		m.Rooms = make([]roomEntry, 0, min(n, len(body)))
		for i := 0; i < n && r.err == nil; i++ {
			name := r.str8(fmt.Sprintf("room %d of %d", i+1, n))
			members := r.u16(fmt.Sprintf("members of room %d of %d", i+1, n))
			m.Rooms = append(m.Rooms, roomEntry{name, members})
		}
	case d == serverToClient && typ == typeSystemMsg:
		m.Text = r.str16("text")
	case d == serverToClient && typ == typeErrorMsg:
		m.Code = errorCode(r.u8("code"))
		m.Text = r.str16("text")
		if r.err == nil && (m.Code < codeMalformed || m.Code > codeEmpty) {
			r.fail("ERROR_MSG code %d is not in the table", m.Code)
		}
	case d == serverToClient && typ == typeRoomMsgAck:
		m.Room = r.str8("room")
		m.Recipients = r.u32("recipients")
	default:
		return message{}, fmt.Errorf("%w: %v has no %v layout", errBadFrame, typ, d)
	}
	if err := r.end(); err != nil {
		return message{}, fmt.Errorf("%v %v: %w", d, typ, err)
	}
	return m, nil
}

// header is the 9-byte frame header.
type header struct {
	Magic   uint16
	Version uint8
	Type    msgType
	Flags   uint8
	BodyLen uint32
}

func parseHeader(b []byte) header {
	return header{
		Magic:   binary.BigEndian.Uint16(b[0:2]),
		Version: b[2],
		Type:    msgType(b[3]),
		Flags:   b[4],
		BodyLen: binary.BigEndian.Uint32(b[5:9]),
	}
}

// check is what §2 requires of a header as it is sent: magic, version,
// flags 0 ("0x00 when sent") and a body_len within the limit.
func (h header) check() error {
	switch {
	case h.Magic != protoMagic:
		return fmt.Errorf("%w: magic 0x%04x, want 0x%04x", errBadFrame, h.Magic, protoMagic)
	case h.Version != protoVersion:
		return fmt.Errorf("%w: version %d, want %d", errBadFrame, h.Version, protoVersion)
	case h.Flags != 0:
		return fmt.Errorf("%w: flags 0x%02x, want 0x00 when sent", errBadFrame, h.Flags)
	case h.BodyLen > maxBodyLen:
		return fmt.Errorf("%w: body_len %d over %d", errBadFrame, h.BodyLen, maxBodyLen)
	}
	return nil
}

// readFrame reads one frame sent in direction d from r and decodes it
// strictly. It returns the frame's bytes too. A stream that ends cleanly
// before the first byte of a header returns io.EOF as it is; a stream that
// ends inside a frame is an error wrapping errBadFrame.
func readFrame(r io.Reader, d direction) (message, []byte, error) {
	raw := make([]byte, headerLen)
	if n, err := io.ReadFull(r, raw); err != nil {
		if n > 0 && errors.Is(err, io.ErrUnexpectedEOF) {
			return message{}, raw[:n], fmt.Errorf("%w: stream ended after % x, inside a header", errBadFrame, raw[:n])
		}
		return message{}, raw[:n], err
	}
	h := parseHeader(raw)
	if err := h.check(); err != nil {
		return message{}, raw, fmt.Errorf("header % x: %w", raw, err)
	}
	raw = append(raw, make([]byte, h.BodyLen)...)
	if n, err := io.ReadFull(r, raw[headerLen:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return message{}, raw[:headerLen+n], fmt.Errorf("%w: header % x announces %d body bytes, stream ended after %d",
				errBadFrame, raw[:headerLen], h.BodyLen, n)
		}
		return message{}, raw[:headerLen+n], err
	}
	m, err := decodeBody(d, h.Type, raw[headerLen:])
	if err != nil {
		return message{}, raw, fmt.Errorf("frame % x: %w", raw, err)
	}
	return m, raw, nil
}

// decodeFrame decodes b, which must hold exactly one frame.
func decodeFrame(d direction, b []byte) (message, error) {
	r := strings.NewReader(string(b))
	m, raw, err := readFrame(r, d)
	if errors.Is(err, io.EOF) {
		return message{}, fmt.Errorf("%w: empty input", errBadFrame)
	}
	if err != nil {
		return message{}, err
	}
	if r.Len() > 0 {
		return message{}, fmt.Errorf("%w: %d bytes after the frame % x", errBadFrame, r.Len(), raw)
	}
	return m, nil
}

// unhex reads hex written with spaces, as the vectors of §2 are.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err, "bad hex in the test: %q", s)
	return b
}

// ---------------------------------------------------------------------------
// The codec against §2

// layoutCases are frames computed by hand from the tables of §2 — the four
// vectors of §2 among them — one for every type of both directions.
var layoutCases = []struct {
	name string
	dir  direction
	msg  message
	hex  string
}{
	{"§2 vector: LOGIN alice", clientToServer,
		message{Type: typeLogin, Username: "alice"},
		"43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65"},
	{"§2 vector: ROOM_MSG C→S hi", clientToServer,
		message{Type: typeRoomMsg, Text: "hi"},
		"43 50 01 04 00 00 00 00 04 00 02 68 69"},
	{"PRIVATE_MSG C→S to bob: hi", clientToServer,
		message{Type: typePrivateMsg, To: "bob", Text: "hi"},
		"43 50 01 05 00 00 00 00 08 03 62 6f 62 00 02 68 69"},
	{"JOIN_ROOM C→S tech", clientToServer,
		message{Type: typeJoinRoom, Room: "tech"},
		"43 50 01 07 00 00 00 00 05 04 74 65 63 68"},
	{"LIST_USERS C→S", clientToServer,
		message{Type: typeListUsers},
		"43 50 01 08 00 00 00 00 00"},
	{"§2 vector: LIST_ROOMS C→S", clientToServer,
		message{Type: typeListRooms},
		"43 50 01 09 00 00 00 00 00"},
	{"LOGIN_ACK alice in general", serverToClient,
		message{Type: typeLoginAck, Username: "alice", Room: "general"},
		"43 50 01 02 00 00 00 00 0e 05 61 6c 69 63 65 07 67 65 6e 65 72 61 6c"},
	{"LOGIN_REJECT name_taken: taken", serverToClient,
		message{Type: typeLoginReject, Reason: reasonNameTaken, Text: "taken"},
		"43 50 01 03 00 00 00 00 08 01 00 05 74 61 6b 65 6e"},
	{"ROOM_MSG S→C general, alice: hi", serverToClient,
		message{Type: typeRoomMsg, Room: "general", From: "alice", Text: "hi"},
		"43 50 01 04 00 00 00 00 12 07 67 65 6e 65 72 61 6c 05 61 6c 69 63 65 00 02 68 69"},
	{"PRIVATE_MSG S→C from alice: hi", serverToClient,
		message{Type: typePrivateMsg, From: "alice", Text: "hi"},
		"43 50 01 05 00 00 00 00 0a 05 61 6c 69 63 65 00 02 68 69"},
	{"PRIVATE_MSG_DELIVERY delivered to bob", serverToClient,
		message{Type: typeDelivery, Status: statusDelivered, To: "bob"},
		"43 50 01 06 00 00 00 00 05 00 03 62 6f 62"},
	{"PRIVATE_MSG_DELIVERY no_such_user nobody", serverToClient,
		message{Type: typeDelivery, Status: statusNoSuchUser, To: "nobody"},
		"43 50 01 06 00 00 00 00 08 01 06 6e 6f 62 6f 64 79"},
	{"JOIN_ROOM S→C tech, created", serverToClient,
		message{Type: typeJoinRoom, Room: "tech", Created: true},
		"43 50 01 07 00 00 00 00 06 04 74 65 63 68 01"},
	{"JOIN_ROOM S→C general, not created", serverToClient,
		message{Type: typeJoinRoom, Room: "general"},
		"43 50 01 07 00 00 00 00 09 07 67 65 6e 65 72 61 6c 00"},
	{"LIST_USERS S→C general: alice, bob", serverToClient,
		message{Type: typeListUsers, Room: "general", Users: []string{"alice", "bob"}},
		"43 50 01 08 00 00 00 00 14 07 67 65 6e 65 72 61 6c 00 02 05 61 6c 69 63 65 03 62 6f 62"},
	{"LIST_ROOMS S→C general 2, tech 1", serverToClient,
		message{Type: typeListRooms, Rooms: []roomEntry{{"general", 2}, {"tech", 1}}},
		"43 50 01 09 00 00 00 00 13 00 02 07 67 65 6e 65 72 61 6c 00 02 04 74 65 63 68 00 01"},
	{"LIST_ROOMS S→C no rooms", serverToClient,
		message{Type: typeListRooms, Rooms: []roomEntry{}},
		"43 50 01 09 00 00 00 00 02 00 00"},
	{"SYSTEM_MSG alice joined tech", serverToClient,
		message{Type: typeSystemMsg, Text: "alice joined tech"},
		"43 50 01 0a 00 00 00 00 13 00 11 61 6c 69 63 65 20 6a 6f 69 6e 65 64 20 74 65 63 68"},
	{"ERROR_MSG empty: empty text", serverToClient,
		message{Type: typeErrorMsg, Code: codeEmpty, Text: "empty text"},
		"43 50 01 0b 00 00 00 00 0d 07 00 0a 65 6d 70 74 79 20 74 65 78 74"},
	{"§2 vector: ROOM_MSG_ACK general, 3", serverToClient,
		message{Type: typeRoomMsgAck, Room: "general", Recipients: 3},
		"43 50 01 0c 00 00 00 00 0c 07 67 65 6e 65 72 61 6c 00 00 00 03"},
}

func TestCodec(t *testing.T) {
	t.Run("the encoder writes every layout of §2 byte for byte, the four test vectors included", func(t *testing.T) {
		for _, tt := range layoutCases {
			t.Run(tt.name, func(t *testing.T) {
				got, err := encodeFrame(tt.dir, tt.msg)
				require.NoError(t, err)
				assert.Equal(t, unhex(t, tt.hex), got, "want % x\n got % x", unhex(t, tt.hex), got)
			})
		}
	})

	t.Run("the decoder reads every layout of §2 back", func(t *testing.T) {
		for _, tt := range layoutCases {
			t.Run(tt.name, func(t *testing.T) {
				got, err := decodeFrame(tt.dir, unhex(t, tt.hex))
				require.NoError(t, err)
				want := tt.msg
				if want.Type == typeListUsers && tt.dir == serverToClient && want.Users == nil {
					want.Users = []string{}
				}
				assert.Equal(t, want, got)
			})
		}
	})

	t.Run("every type of the table has a layout in its directions", func(t *testing.T) {
		for _, d := range []struct {
			dir   direction
			types []msgType
		}{{clientToServer, clientTypes}, {serverToClient, serverTypes}} {
			for _, typ := range d.types {
				found := false
				for _, tt := range layoutCases {
					found = found || (tt.dir == d.dir && tt.msg.Type == typ)
				}
				assert.True(t, found, "no layout case for %v %v", d.dir, typ)
			}
		}
	})

	t.Run("the decoder rejects what §2 forbids", func(t *testing.T) {
		tests := []struct {
			name string
			hex  string
		}{
			{"wrong magic", "43 51 01 09 00 00 00 00 02 00 00"},
			{"wrong version", "43 50 02 09 00 00 00 00 02 00 00"},
			{"flags not 0 when sent", "43 50 01 09 01 00 00 00 02 00 00"},
			{"body_len over 1 048 576", "43 50 01 09 00 00 10 00 01"},
			{"body shorter than body_len", "43 50 01 09 00 00 00 00 03 00 00"},
			{"bytes after the frame", "43 50 01 09 00 00 00 00 02 00 00 00"},
			{"header cut short", "43 50 01"},
			{"str8 past the end of the body", "43 50 01 07 00 00 00 00 04 05 74 65 63"},
			{"str16 past the end of the body", "43 50 01 0a 00 00 00 00 03 00 02 68"},
			{"byte left after the last field", "43 50 01 0a 00 00 00 00 05 00 02 68 69 00"},
			{"invalid UTF-8", "43 50 01 0a 00 00 00 00 04 00 02 c3 28"},
			{"list shorter than its count", "43 50 01 09 00 00 00 00 09 00 02 04 74 65 63 68 00 01"},
			{"created neither 0 nor 1", "43 50 01 07 00 00 00 00 06 04 74 65 63 68 02"},
			{"reject reason 0", "43 50 01 03 00 00 00 00 03 00 00 00"},
			{"reject reason 4", "43 50 01 03 00 00 00 00 03 04 00 00"},
			{"delivery status 2", "43 50 01 06 00 00 00 00 02 02 00"},
			{"error code 0", "43 50 01 0b 00 00 00 00 03 00 00 00"},
			{"error code 8", "43 50 01 0b 00 00 00 00 03 08 00 00"},
			{"unknown type 0x0d", "43 50 01 0d 00 00 00 00 00"},
			{"LOGIN is not an S→C type", "43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m, err := decodeFrame(serverToClient, unhex(t, tt.hex))
				assert.ErrorIs(t, err, errBadFrame, "decoded %+v", m)
			})
		}
	})
}

// FuzzDecodeServerFrame checks that the strict decoder never panics and
// that whatever it accepts is canonical: encoding it again gives the very
// same bytes. Seeds are the hand-made frames above.
func FuzzDecodeServerFrame(f *testing.F) {
	for _, tt := range layoutCases {
		if tt.dir == serverToClient {
			f.Add(unhex(f, tt.hex))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeFrame(serverToClient, b)
		if err != nil {
			return
		}
		again, err := encodeFrame(serverToClient, m)
		require.NoError(t, err)
		assert.Equal(t, b, again)
	})
}

// Example_frames shows the codec on the first and last test vectors of
// §2: a LOGIN sent by the client, and a ROOM_MSG_ACK read back.
func Example_frames() {
	b, _ := encodeFrame(clientToServer, message{Type: typeLogin, Username: "alice"})
	fmt.Printf("% x\n", b)

	ack, _ := hex.DecodeString("4350010c000000000c0767656e6572616c00000003")
	m, err := decodeFrame(serverToClient, ack)
	fmt.Println(m.Type, m.Room, m.Recipients, err)
	// Output:
	// 43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65
	// ROOM_MSG_ACK general 3 <nil>
}
