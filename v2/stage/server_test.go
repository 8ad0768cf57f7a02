package stage_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v2/stage"
	"chatlab/shared/chattest"
)

// v2Env runs the shared suite's servers with v2's configuration.
var v2Env = wiretest.Env{
	Codec: jsonwire.Codec{},
	Start: func(t *testing.T, cfg chatserver.Config) string {
		cfg.OnBadInput = stage.ServerConfig().OnBadInput
		return chattest.Start(t, chatserver.New(cfg))
	},
}

// Everything v1 does right, v2 does too.
func TestSuite(t *testing.T) {
	wiretest.Suite(t, v2Env)
}

// Every error of docs/protocol.md §1 and §3 gets its ERROR_MSG code, and only an
// oversized line costs the connection.
func TestErrorsAreAnsweredAndTheConnectionStays(t *testing.T) {
	srv := v2Env.StartServer(t, chatserver.Config{})
	witness := srv.Login("witness")

	fresh := srv.Dial()
	for _, line := range []string{`{"type":"room_msg","text":"hi"}`, `{"type":"list_users"}`, `{"type":"join_room","room":"x"}`} {
		fresh.SendRaw([]byte(line + "\n"))
		m := fresh.Next()
		assert.Equal(t, proto.CodeNotLoggedIn, m.Code, line)
		assert.Contains(t, m.Text, `{"type":"login","username":"alice"}`, "the answer shows how to log in")
	}
	fresh.Send(proto.Message{Kind: proto.KindLogin, Username: "late"})
	assert.Equal(t, proto.KindLoginAck, fresh.Next().Kind, "still able to log in after the errors")

	alice := srv.Login("alice")
	tests := []struct {
		name string
		line string
		code proto.ErrorCode
		hint string
	}{
		{"not JSON", `hello`, proto.CodeMalformed, "one JSON object per line"},
		{"empty line", ``, proto.CodeMalformed, "one JSON object per line"},
		{"array", `["room_msg","hi"]`, proto.CodeMalformed, `{"type":"room_msg","text":"hi"}`},
		{"missing key", `{"type":"private_msg","text":"hi"}`, proto.CodeMalformed, `missing key "to"`},
		{"wrong type of value", `{"type":"room_msg","text":42}`, proto.CodeMalformed, `key "text" has the wrong type`},
		{"null value", `{"type":"join_room","room":null}`, proto.CodeMalformed, `key "room" has the wrong type`},
		{"invalid UTF-8", "{\"type\":\"room_msg\",\"text\":\"caf\xe9\"}", proto.CodeMalformed, "not valid UTF-8"},
		{"unknown type", `{"type":"dance"}`, proto.CodeUnsupported, "a client may send: login, room_msg"},
		{"server's type", `{"type":"room_msg_ack","room":"general","recipients":1}`, proto.CodeUnsupported, "room_msg_ack"},
		{"second log-in", `{"type":"login","username":"eve"}`, proto.CodeAlreadyLoggedIn, "already logged in as alice"},
		{"empty text", `{"type":"room_msg","text":""}`, proto.CodeEmpty, ""},
		{"text too long", `{"type":"room_msg","text":"` + strings.Repeat("x", proto.MaxTextBytes+1) + `"}`, proto.CodeTooLong, "4096"},
		{"bad room name", `{"type":"join_room","room":"no spaces"}`, proto.CodeNameInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alice.SendRaw([]byte(tt.line + "\n"))
			m := alice.Next()
			require.Equal(t, proto.KindErrorMsg, m.Kind, wiretest.Format(m))
			assert.Equal(t, tt.code, m.Code)
			assert.Contains(t, m.Text, tt.hint)
			wiretest.Sync(t, alice) // the connection is still good
		})
	}
	t.Run("oversized line closes", func(t *testing.T) {
		alice.SendRaw([]byte(`{"type":"room_msg","text":"` + strings.Repeat("x", proto.MaxJSONLine) + "\"}\n"))
		got := alice.ExpectClosed()
		require.Len(t, got, 1)
		assert.Equal(t, proto.CodeTooLong, got[0].Code)
		assert.Contains(t, got[0].Text, "the connection is closed")
	})
	witness.Expect("late's arrival", wiretest.System("late joined general"))
	witness.Expect("alice's arrival", wiretest.System("alice joined general"))
	witness.Expect("alice's departure", wiretest.System("alice left general"))
	wiretest.Sync(t, witness) // nobody else heard a thing
}

// FuzzServerLines drives the server's message handling with arbitrary
// input. Whatever a client sends, the server must answer without crashing,
// keep the connection unless a line is over the limit, and leave other
// sessions alone.
func FuzzServerLines(f *testing.F) {
	for _, seed := range []string{
		`{"type":"login","username":"mallory"}`,
		`{"type":"room_msg","text":"hi"}`,
		`{"type":"join_room","room":"tech"}` + "\n" + `{"type":"list_users"}`,
		`{"type":"private_msg","to":"witness","text":"boo"}`,
		`{"type":"private_msg","to":"` + strings.Repeat("é", 30) + `","text":"x"}`,
		"{\"type\":\"room_msg\",\"text\":\"\\u0000\\ud800\"}",
		`{"type":"list_rooms","type":"login","username":"x"}`,
		"\xff\xfe\r\n\r\n{}",
		`{"type":"room_msg","text":"` + strings.Repeat("y", 5000) + `"}`,
		strings.Repeat("[", 10000),
		strings.Repeat("z", proto.MaxJSONLine) + "\n" + `{"type":"list_rooms"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		// The hub runs over in-memory connections: a long fuzzing run over
		// TCP would use up the machine's ports in TIME_WAIT.
		hub := chatserver.NewHub(stage.ServerConfig())
		connect := func(name string) *wiretest.Client {
			client, server := net.Pipe()
			t.Cleanup(func() { client.Close() })
			go hub.ServeConn(t.Context(), server)
			c := chattest.Wrap(t, client, wiretest.Codec(jsonwire.Codec{}))
			c.Send(proto.Message{Kind: proto.KindLogin, Username: name})
			require.Equal(t, proto.KindLoginAck, c.Next().Kind)
			return c
		}
		witness := connect("witness")
		c := connect("fuzzer")
		witness.Expect("the fuzzer's arrival", wiretest.System("fuzzer joined general"))

		if longestLine(input) >= proto.MaxJSONLine {
			// The server answers what comes before the long line, then
			// too_long, then closes; it may close before taking all of the
			// input, so the write may fail.
			go c.Raw.Write(append(input, '\n'))
			got := c.ExpectClosed()
			require.NotEmpty(t, got)
			last := got[len(got)-1]
			assert.Equal(t, proto.CodeTooLong, last.Code, wiretest.Format(last))
		} else {
			c.SendRaw(append(input, '\n'))
			// A private message to oneself with a text the input cannot
			// know marks the end of the answers to the input.
			mark := fmt.Sprintf("end of input %p", c)
			c.Send(proto.Message{Kind: proto.KindPrivateMsg, To: "fuzzer", Text: mark})
			c.Expect("the mark", func(m proto.Message) bool {
				return m.Kind == proto.KindPrivateMsg && m.From == "fuzzer" && m.Text == mark
			})
			assert.Equal(t, proto.StatusDelivered, c.Next().Status)
			wiretest.Sync(t, c)
		}
		// The witness heard at most chat from the fuzzer, and still works.
		witness.Send(proto.Message{Kind: proto.KindListUsers})
		for {
			m := witness.Next()
			if m.Kind == proto.KindListUsers {
				break
			}
			require.Contains(t, []proto.Kind{proto.KindSystemMsg, proto.KindRoomMsg, proto.KindPrivateMsg}, m.Kind,
				"the witness got %s", wiretest.Format(m))
		}
	})
}

// longestLine is the length of the longest line of input, without its
// line ending ("\n" or "\r\n" count towards the limit too: a line of
// MaxJSONLine bytes cannot have its newline within it).
func longestLine(input []byte) int {
	longest := 0
	for _, line := range strings.Split(string(input), "\n") {
		longest = max(longest, len(line))
	}
	return longest
}
