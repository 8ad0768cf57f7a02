package loadgen

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v3/binwire"
)

// What a dialect finds in the server's stream.
type evKind uint8

const (
	evOther    evKind = iota // anything the load generator does not need
	evLoggedIn               // LOGIN_ACK, or ClassChat's welcome
	evRejected               // LOGIN_REJECT, or ClassChat's refusal
	evJoined                 // the reply to a room join or group command
	evDelivery               // a message for this client: text is set
	evAck                    // a publisher's message was taken: n recipients
	evError                  // an error answer: text says what
)

func (k evKind) String() string {
	return [...]string{"other", "logged in", "rejected", "joined", "delivery", "ack", "error"}[k]
}

// event is one message from the server, as much of it as the load
// generator needs. text points into the read buffer: it is valid only until
// the next read.
type event struct {
	kind evKind
	text []byte
	n    int
}

// Dialect is how the load generator speaks one family of servers: the
// ChatProto JSON lines (v1, v2), the binary frames (v3, v4), or ClassChat's
// JSON objects (task 4 and the bonuses). The encoding side uses the
// stages' own codecs; the decoding side is a lean scanner that looks only
// at what a measurement needs, so that the generator spends as little of
// the machine as it can on reading.
type Dialect interface {
	// Name names the encoding in the report ("json", "binary", "classchat").
	Name() string
	// Greeting is what the server says before the log-in ("" for nothing).
	Greeting() string
	// Login appends the log-in of name to dst.
	Login(dst []byte, name string) []byte
	// Enter appends what puts a client in the group called room (creating
	// it if create is set) to dst; the answer is an evJoined event.
	Enter(dst []byte, room string, create bool) []byte
	// Post appends a message of text, to the client's room or group, or to
	// the user called to where the dialect has no rooms.
	Post(dst []byte, room, to string, text []byte) []byte
	// Next finds the first whole message in buf and returns it and its
	// length in bytes; size 0 means buf does not hold a whole message yet.
	// An error means the stream cannot be read on.
	Next(buf []byte) (ev event, size int, err error)
	// SelfDelivery reports whether a member gets its own messages to its
	// group (ClassChat does; ChatProto does not).
	SelfDelivery() bool
	// Rooms reports whether the dialect has rooms or groups; without them
	// (task 4) a publisher sends direct messages, round the members.
	Rooms() bool
}

// Room the load generator's members meet in, on every server with rooms.
const benchRoom = "bench"

// ---- ChatProto, binary (v3, v4) ---------------------------------------------

type binaryDialect struct{}

func (binaryDialect) Name() string       { return "binary" }
func (binaryDialect) Greeting() string   { return "" }
func (binaryDialect) SelfDelivery() bool { return false }
func (binaryDialect) Rooms() bool        { return true }

func (binaryDialect) Login(dst []byte, name string) []byte {
	return mustAppend(binwire.Codec{}, dst, &proto.Message{Kind: proto.KindLogin, Username: name})
}

func (binaryDialect) Enter(dst []byte, room string, _ bool) []byte {
	return mustAppend(binwire.Codec{}, dst, &proto.Message{Kind: proto.KindJoinRoom, Room: room})
}

// Post writes the frame by hand: it is the one message sent at load, and
// the codec would need the text as a string.
func (binaryDialect) Post(dst []byte, _, _ string, text []byte) []byte {
	dst = append(dst, byte(binwire.Magic>>8), byte(binwire.Magic&0xFF), binwire.Version, byte(proto.KindRoomMsg), 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(2+len(text)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(text)))
	return append(dst, text...)
}

func (binaryDialect) Next(buf []byte) (event, int, error) {
	if len(buf) < binwire.HeaderSize {
		return event{}, 0, nil
	}
	h := binwire.ParseHeader(buf)
	if h.Magic != binwire.Magic || h.Version != binwire.Version || h.BodyLen > binwire.MaxBody {
		return event{}, 0, fmt.Errorf("%w: header % x", ErrBadStream, buf[:binwire.HeaderSize])
	}
	size := binwire.HeaderSize + int(h.BodyLen)
	if len(buf) < size {
		return event{}, 0, nil
	}
	body := buf[binwire.HeaderSize:size]
	switch proto.Kind(h.Type) {
	case proto.KindLoginAck:
		return event{kind: evLoggedIn}, size, nil
	case proto.KindLoginReject:
		return event{kind: evRejected, text: body}, size, nil
	case proto.KindJoinRoom:
		return event{kind: evJoined}, size, nil
	case proto.KindRoomMsg: // str8 room, str8 from, str16 text
		b := skipStr8(skipStr8(body))
		if len(b) < 2 || len(b) != 2+int(binary.BigEndian.Uint16(b)) {
			return event{}, 0, fmt.Errorf("%w: ROOM_MSG body % x", ErrBadStream, body)
		}
		return event{kind: evDelivery, text: b[2:]}, size, nil
	case proto.KindRoomMsgAck: // str8 room, u32 recipients
		b := skipStr8(body)
		if len(b) != 4 {
			return event{}, 0, fmt.Errorf("%w: ROOM_MSG_ACK body % x", ErrBadStream, body)
		}
		return event{kind: evAck, n: int(binary.BigEndian.Uint32(b))}, size, nil
	case proto.KindErrorMsg:
		return event{kind: evError, text: body}, size, nil
	}
	return event{kind: evOther}, size, nil
}

// skipStr8 returns what follows the str8 at the start of b (nil if b is
// too short for it).
func skipStr8(b []byte) []byte {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil
	}
	return b[1+int(b[0]):]
}

// ---- ChatProto, JSON lines (v1, v2) -----------------------------------------

type jsonDialect struct{}

func (jsonDialect) Name() string       { return "json" }
func (jsonDialect) Greeting() string   { return "" }
func (jsonDialect) SelfDelivery() bool { return false }
func (jsonDialect) Rooms() bool        { return true }

func (jsonDialect) Login(dst []byte, name string) []byte {
	return mustAppend(jsonwire.Codec{}, dst, &proto.Message{Kind: proto.KindLogin, Username: name})
}

func (jsonDialect) Enter(dst []byte, room string, _ bool) []byte {
	return mustAppend(jsonwire.Codec{}, dst, &proto.Message{Kind: proto.KindJoinRoom, Room: room})
}

// Post writes the line by hand; the load generator's texts need no
// escaping.
func (jsonDialect) Post(dst []byte, _, _ string, text []byte) []byte {
	dst = append(dst, `{"type":"room_msg","text":"`...)
	dst = append(dst, text...)
	return append(dst, "\"}\n"...)
}

var (
	typeKey       = []byte(`{"type":"`)
	textKey       = []byte(`,"text":"`)
	recipientsKey = []byte(`,"recipients":`)
)

func (jsonDialect) Next(buf []byte) (event, int, error) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if len(buf) >= proto.MaxJSONLine {
			return event{}, 0, fmt.Errorf("%w: a line of more than %d bytes", ErrBadStream, proto.MaxJSONLine)
		}
		return event{}, 0, nil
	}
	line := bytes.TrimSuffix(buf[:i], []byte("\r"))
	typ, ok := stringAfter(line, typeKey)
	if !ok {
		return event{}, 0, fmt.Errorf("%w: line %q", ErrBadStream, line)
	}
	switch string(typ) {
	case "login_ack":
		return event{kind: evLoggedIn}, i + 1, nil
	case "login_reject":
		return event{kind: evRejected, text: line}, i + 1, nil
	case "join_room":
		return event{kind: evJoined}, i + 1, nil
	case "room_msg":
		text, _ := stringAfter(line, textKey)
		return event{kind: evDelivery, text: text}, i + 1, nil
	case "room_msg_ack":
		j := bytes.Index(line, recipientsKey)
		n := -1
		if j >= 0 {
			rest := line[j+len(recipientsKey):]
			k := 0
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			if v, err := strconv.Atoi(string(rest[:k])); err == nil {
				n = v
			}
		}
		return event{kind: evAck, n: n}, i + 1, nil
	case "error_msg":
		return event{kind: evError, text: line}, i + 1, nil
	}
	return event{kind: evOther}, i + 1, nil
}

// stringAfter returns the JSON string that follows key (which ends with its
// opening quote) up to its closing quote. A string with escapes is not one
// of the load generator's and is returned as it is, escapes included.
func stringAfter(line, key []byte) ([]byte, bool) {
	j := bytes.Index(line, key)
	if j < 0 {
		return nil, false
	}
	rest := line[j+len(key):]
	k := bytes.IndexByte(rest, '"')
	if k < 0 {
		return nil, false
	}
	return rest[:k], true
}

// ---- ClassChat (task 4 and the bonuses) -------------------------------------

// classChatDialect speaks task 4's JSON objects; with groups (bonus 1 on)
// the members meet in a group, without (task 4) publishers send direct
// messages.
type classChatDialect struct{ groups bool }

func (classChatDialect) Name() string         { return "classchat" }
func (classChatDialect) Greeting() string     { return "Enter your username: " }
func (d classChatDialect) SelfDelivery() bool { return d.groups }
func (d classChatDialect) Rooms() bool        { return d.groups }

// Login answers the prompt with the name and a newline, as ChatLab's own
// client does (a bare name would make the server pace its writes for the
// original client).
func (classChatDialect) Login(dst []byte, name string) []byte {
	return append(append(dst, name...), '\n')
}

func (classChatDialect) Enter(dst []byte, room string, create bool) []byte {
	cmd := "/join "
	if create {
		cmd = "/create "
	}
	return appendObject(dst, map[string]string{"receiver": cmd + room, "text": ""})
}

func (d classChatDialect) Post(dst []byte, room, to string, text []byte) []byte {
	if d.groups {
		to = "@" + room
	}
	dst = append(dst, `{"receiver":"`...)
	dst = append(dst, to...)
	dst = append(dst, `","text":"`...)
	dst = append(dst, text...)
	return append(dst, "\"}\n"...)
}

var (
	sentTo     = []byte("Message sent to ")
	statusKey  = []byte(`{"status":"`)
	messageKey = []byte(`,"message":"`)
	ccTextKey  = []byte(`,"text":"`)
)

func (classChatDialect) Next(buf []byte) (event, int, error) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if len(buf) >= 32<<20 {
			return event{}, 0, fmt.Errorf("%w: an object of more than 32 MiB", ErrBadStream)
		}
		return event{}, 0, nil
	}
	line := buf[:i]
	status, ok := stringAfter(line, statusKey)
	if !ok {
		return event{}, 0, fmt.Errorf("%w: object %q", ErrBadStream, line)
	}
	msg, _ := stringAfter(line, messageKey)
	switch string(status) {
	case "message", "group_message":
		text, _ := stringAfter(line, ccTextKey)
		return event{kind: evDelivery, text: text}, i + 1, nil
	case "success":
		switch {
		case bytes.HasPrefix(msg, []byte("Welcome ")):
			return event{kind: evLoggedIn}, i + 1, nil
		case bytes.HasPrefix(msg, []byte("Joined group")), bytes.Contains(msg, []byte("created successfully")):
			return event{kind: evJoined}, i + 1, nil
		case bytes.HasPrefix(msg, sentTo): // "Message sent to 3/5 members in 'g'"
			count, _, _ := bytes.Cut(msg[len(sentTo):], []byte("/"))
			n, err := strconv.Atoi(string(count))
			if err != nil {
				n = -1
			}
			return event{kind: evAck, n: n}, i + 1, nil
		}
	case "sent":
		if bytes.HasPrefix(msg, []byte("Message delivered to ")) {
			return event{kind: evAck, n: 1}, i + 1, nil
		}
	case "error":
		if bytes.Contains(msg, []byte("Disconnecting")) {
			return event{kind: evRejected, text: msg}, i + 1, nil
		}
		return event{kind: evError, text: msg}, i + 1, nil
	}
	return event{kind: evOther}, i + 1, nil
}

func appendObject(dst []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return append(append(dst, b...), '\n')
}

func mustAppend(c proto.Codec, dst []byte, m *proto.Message) []byte {
	b, err := c.Append(dst, m, proto.ClientToServer)
	if err != nil {
		panic(fmt.Sprintf("loadgen: encoding %s: %v", m.Kind, err))
	}
	return b
}
