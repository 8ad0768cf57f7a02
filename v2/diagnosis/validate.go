package diagnosis

import (
	"fmt"
	"unicode/utf8"

	"chatlab/chat-v1/proto"
)

// Validate checks a message before the client sends it and says, if it
// breaks a rule, which rule and how. It is chatclient.Config.Validate.
func Validate(m *proto.Message) error {
	switch m.Kind {
	case proto.KindLogin:
		return checkName("a username", m.Username, proto.MaxUsernameLen)
	case proto.KindJoinRoom:
		return checkName("a room name", m.Room, proto.MaxRoomLen)
	case proto.KindPrivateMsg:
		if err := checkName("a username", m.To, proto.MaxUsernameLen); err != nil {
			return fmt.Errorf("nobody can be called that: %w", err)
		}
		return checkText(m.Text)
	case proto.KindRoomMsg:
		return checkText(m.Text)
	}
	return nil
}

func checkName(what, s string, max int) error {
	if s == "" {
		return fmt.Errorf("%s cannot be empty", what)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s must be valid UTF-8", what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%q is %d characters long; %s has at most %d", s, n, what, max)
	}
	for _, r := range s {
		if !proto.NameRune(r) {
			return fmt.Errorf("%q contains %q; %s may only contain letters, digits, '_', '-' and '.'", s, r, what)
		}
	}
	return nil
}

func checkText(s string) error {
	switch proto.CheckText(s) {
	case proto.CodeEmpty:
		return fmt.Errorf("the message is empty")
	case proto.CodeTooLong:
		return fmt.Errorf("the message is %d bytes; the limit is %d bytes (about a page of text): split it",
			len(s), proto.MaxTextBytes)
	case proto.CodeMalformed:
		return fmt.Errorf("the message is not valid UTF-8 text")
	}
	return nil
}

// Explain words a server's ERROR_MSG for a student: what the code means,
// and the server's own detail. It is chatclient.Config.ExplainError.
func Explain(m *proto.Message) string {
	var meaning string
	switch m.Code {
	case proto.CodeMalformed:
		meaning = "the server could not read a message from this client; that is a bug in the client, not your typing"
	case proto.CodeUnsupported:
		meaning = "the server does not know that kind of message; the client and server may be different versions"
	case proto.CodeNotLoggedIn:
		meaning = "the server got a message before the log-in"
	case proto.CodeAlreadyLoggedIn:
		meaning = "you are already logged in; to use another name, /quit and connect again"
	case proto.CodeNameInvalid:
		meaning = "that name is not allowed: use 1 to 32 letters, digits, '_', '-' or '.'"
	case proto.CodeTooLong:
		meaning = fmt.Sprintf("the message is too long: at most %d bytes; split it", proto.MaxTextBytes)
	case proto.CodeEmpty:
		meaning = "there was nothing to send"
	default:
		meaning = "the server reported an error"
	}
	if m.Text == "" {
		return fmt.Sprintf("%s [%s]", meaning, m.Code)
	}
	return fmt.Sprintf("%s [%s: %s]", meaning, m.Code, m.Text)
}
