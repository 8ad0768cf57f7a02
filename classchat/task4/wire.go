// Package task4 is ClassChat's fourth task: clients log in with a name,
// and the server routes direct messages between them as JSON, in the
// original project's dialect, so that its Python client works unchanged:
// the server asks "Enter your username: ", the client answers with the bare
// name, and from then on both sides send JSON objects. The original client
// sends them back to back with no delimiter; the server reads that, and
// writes each of its own objects followed by a newline.
//
// Where the original was wrong, this one is not (docs/classchat-protocol.md): it
// never trusts the "sender" a client claims, a refused duplicate log-in
// leaves the original session alone, names are checked, and nothing is
// sent while the registry is locked.
package task4

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"chatlab/shared/safetext"
)

// The dialect's texts and limits.
const (
	Prompt     = "Enter your username: "
	MaxNameLen = 20 // characters
	// MaxText bounds, in bytes, one object from a client that is not a
	// file: a direct message, a group post, a command. 64 KiB is pages
	// of typed text, and a hundred and sixty times less than the 10 MiB
	// a file may have (bonus 2 on), so that a text cannot cost its
	// receiver's queue what a file does. Over it, the object is refused
	// with an error object.
	MaxText = 64 << 10
	// MaxObject bounds one JSON object from a client in task 4 and bonus
	// 1, which have no files: MaxText. Over it the connection closes.
	MaxObject     = MaxText
	InvalidFormat = "Invalid message format. Please use JSON."
)

// Statuses of the objects the server sends.
const (
	StatusSuccess  = "success"
	StatusError    = "error"
	StatusSystem   = "system"
	StatusSent     = "sent"
	StatusMessage  = "message"
	StatusUserList = "user_list"
)

// Reply is an object the server sends; only the fields of its status are
// set.
type Reply struct {
	Status   string   `json:"status"`
	Message  string   `json:"message,omitempty"`
	Sender   string   `json:"sender,omitempty"`
	Receiver string   `json:"receiver,omitempty"`
	Text     string   `json:"text,omitempty"`
	Users    []string `json:"users,omitempty"`
}

// Encode returns r as one line: the object and "\n".
func (r Reply) Encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings and string slices always encode
	}
	return append(b, '\n')
}

// Notice returns an object with a status and a message.
func Notice(status, format string, args ...any) Reply {
	return Reply{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Request is a client's direct message. Sender is read but never used:
// the server knows who is talking.
type Request struct {
	Type     string `json:"type"` // "message" or "file" from bonus 1 on; absent in task 4
	Sender   string `json:"sender"`
	Receiver string `json:"receiver"`
	Text     string `json:"text"`
}

// CheckName says what is wrong with a username, or returns "" if nothing
// is: 1 to 20 characters, no spaces, '@' or '/', no control or invisible
// characters (safetext.Invisible: a right-to-left override, a zero-width
// space, which would make two names look alike).
func CheckName(name string) string {
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return "a name must be valid UTF-8"
	case n == 0:
		return "a name cannot be empty"
	case n > MaxNameLen:
		return fmt.Sprintf("a name has at most %d characters", MaxNameLen)
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || r == '@' || r == '/'
	}); i >= 0 {
		return "a name cannot contain spaces, '@' or '/'"
	}
	if strings.ContainsFunc(name, safetext.Invisible) {
		return "a name cannot contain invisible or control characters"
	}
	return ""
}

// FoldName is the key a name is known by: names differ only if they
// differ other than in case, so `Wit1` and `wit1` are one user.
func FoldName(name string) string { return strings.ToLower(name) }
