// Package badinput is v2's lesson on the server side: a message that
// breaks the protocol is answered with an ERROR_MSG that says what was
// wrong and what would have been right, and the connection stays open.
// Only an oversized line, after which the stream cannot be trusted, still
// closes it (docs/protocol.md §1.10).
//
// v1 closed the connection on any of these; the whole difference is the
// chatserver.BadInputPolicy this package provides.
package badinput

import (
	"fmt"
	"strings"

	"chatlab/chat-v1/proto"
)

// Teacher answers protocol errors for one encoding.
type Teacher struct {
	// Framing says how a message is framed in the encoding, for the
	// answer to a malformed one: "one JSON object per line".
	Framing string
	// Example is a well-formed message in the encoding, shown as a model.
	Example string
	// LoginExample is a well-formed LOGIN, shown to a client that has not
	// logged in.
	LoginExample string
}

// JSON is the teacher for JSON lines (v2).
var JSON = Teacher{
	Framing:      "one JSON object per line",
	Example:      `{"type":"room_msg","text":"hi"}`,
	LoginExample: `{"type":"login","username":"alice"}`,
}

// clientKinds lists, for the answer to an unknown type, the kinds a
// client may send.
func clientKinds() string {
	var names []string
	for k := proto.KindLogin; k <= proto.KindRoomMsgAck; k++ {
		if proto.ClientToServer.Sends(k) {
			names = append(names, k.Name())
		}
	}
	return strings.Join(names, ", ")
}

// Answer is a chatserver.BadInputPolicy: it words the error for the
// client and keeps the connection unless the error is fatal.
func (t Teacher) Answer(err *proto.Error) (proto.Message, bool) {
	var text string
	switch err.Code {
	case proto.CodeMalformed:
		text = fmt.Sprintf("could not read that message (%s); send %s, for example %s",
			err.Detail, t.Framing, t.Example)
	case proto.CodeUnsupported:
		text = fmt.Sprintf("%s; a client may send: %s", err.Detail, clientKinds())
	case proto.CodeNotLoggedIn:
		text = fmt.Sprintf("log in first, for example %s", t.LoginExample)
	case proto.CodeTooLong:
		text = fmt.Sprintf("%s; the connection is closed", err.Detail)
	default:
		text = err.Detail
	}
	return proto.Message{Kind: proto.KindErrorMsg, Code: err.Code, Text: text}, err.Fatal
}
