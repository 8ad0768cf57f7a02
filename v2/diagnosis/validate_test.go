package diagnosis_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v2/diagnosis"
	"chatlab/shared/chattest"
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", proto.MaxTextBytes+1)
	tests := []struct {
		name string
		msg  proto.Message
		want string // "" for accepted
	}{
		{"good username", proto.Message{Kind: proto.KindLogin, Username: "Zoë_1"}, ""},
		{"empty username", proto.Message{Kind: proto.KindLogin}, "a username cannot be empty"},
		{"long username", proto.Message{Kind: proto.KindLogin, Username: strings.Repeat("a", 21)},
			"is 21 characters long; a username has at most 20"},
		{"space in username", proto.Message{Kind: proto.KindLogin, Username: "bad name"},
			`"bad name" contains ' '; a username may only contain letters, digits, '_', '-' and '.'`},
		{"good room", proto.Message{Kind: proto.KindJoinRoom, Room: strings.Repeat("r", 32)}, ""},
		{"long room", proto.Message{Kind: proto.KindJoinRoom, Room: strings.Repeat("r", 33)}, "a room name has at most 32"},
		{"hash in room", proto.Message{Kind: proto.KindJoinRoom, Room: "#go"}, `contains '#'`},
		{"good text", proto.Message{Kind: proto.KindRoomMsg, Text: strings.Repeat("€", 1365)}, ""},
		{"long text", proto.Message{Kind: proto.KindRoomMsg, Text: long},
			"the message is 4097 bytes; the limit is 4096 bytes (about a page of text): split it"},
		{"empty text", proto.Message{Kind: proto.KindRoomMsg}, "the message is empty"},
		{"private to nobody possible", proto.Message{Kind: proto.KindPrivateMsg, To: "a!", Text: "hi"}, "nobody can be called that"},
		{"private too long", proto.Message{Kind: proto.KindPrivateMsg, To: "bob", Text: long}, "the limit is 4096 bytes"},
		{"lists need nothing", proto.Message{Kind: proto.KindListRooms}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := diagnosis.Validate(&tt.msg)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestExplainEveryCode(t *testing.T) {
	want := map[proto.ErrorCode]string{
		proto.CodeMalformed:       "a bug in the client",
		proto.CodeUnsupported:     "does not know that kind of message",
		proto.CodeNotLoggedIn:     "before the log-in",
		proto.CodeAlreadyLoggedIn: "/quit and connect again",
		proto.CodeNameInvalid:     "1 to 32 letters, digits",
		proto.CodeTooLong:         "at most 4096 bytes; split it",
		proto.CodeEmpty:           "nothing to send",
	}
	for code := proto.CodeMalformed; code <= proto.CodeEmpty; code++ {
		got := diagnosis.Explain(&proto.Message{Kind: proto.KindErrorMsg, Code: code, Text: "server says"})
		assert.Contains(t, got, want[code], code.String())
		assert.Contains(t, got, "["+code.String()+": server says]", "the code and the server's words stay visible")
	}
}

// A client that explains errors shows the server's ERROR_MSG in words;
// one that validates never lets the server see the mistake at all.
func TestClientExplainsAndValidates(t *testing.T) {
	addr := v2Server(t, chatserver.Config{})
	run := func(validate bool) (*io.PipeWriter, *chattest.Output) {
		pr, pw := io.Pipe()
		out := chattest.NewOutput()
		cfg := chatclient.Config{
			Username: "alice", Codec: jsonwire.Codec{}, In: pr, Out: out,
			Dial:         func(ctx context.Context) (net.Conn, error) { return net.Dial("tcp", addr) },
			ExplainError: diagnosis.Explain,
		}
		if validate {
			cfg.Username = "carol"
			cfg.Validate = diagnosis.Validate
		}
		go chatclient.New(cfg).Run(t.Context())
		t.Cleanup(func() { pw.Close() })
		return pw, out
	}
	long := strings.Repeat("x", proto.MaxTextBytes+1)

	typeTo, screen := run(false)
	screen.WaitFor(t, "logged in as alice")
	_, err := io.WriteString(typeTo, long+"\n/j #hash\n")
	require.NoError(t, err)
	screen.WaitFor(t, "!!! the message is too long: at most 4096 bytes; split it [too_long: ")
	screen.WaitFor(t, "!!! that name is not allowed: use 1 to 32 letters, digits, '_', '-' or '.' [name_invalid: ")

	typeTo, screen = run(true)
	screen.WaitFor(t, "logged in as carol")
	_, err = io.WriteString(typeTo, long+"\n/j #hash\n/users\n")
	require.NoError(t, err)
	screen.WaitFor(t, "!!! the message is 4097 bytes; the limit is 4096 bytes (about a page of text): split it; nothing was sent")
	screen.WaitFor(t, "!!! \"#hash\" contains '#'; a room name may only contain letters, digits, '_', '-' and '.'; nothing was sent")
	screen.WaitFor(t, "users in general: alice, carol")
	assert.NotContains(t, screen.String(), "[too_long", "the server never saw the long text")
}
