package chatserver_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/chattest"
)

func startV1(t *testing.T) *wiretest.Server {
	return wiretest.Env{Codec: jsonwire.Codec{}}.StartServer(t, chatserver.Config{})
}

// rawLines dials addr and returns the connection and a reader of its lines.
func rawLines(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(chattest.Timeout))
	return conn, bufio.NewReader(conn)
}

// The bytes on the wire are those of docs/protocol.md §3, key order and all.
func TestWireBytes(t *testing.T) {
	srv := startV1(t)
	conn, r := rawLines(t, srv.Addr)
	_, err := conn.Write([]byte("{\"type\":\"login\",\"username\":\"alice\"}\r\n"))
	require.NoError(t, err)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, `{"type":"login_ack","username":"alice","room":"general"}`+"\n", line)

	_, err = conn.Write([]byte(`{"type":"room_msg","text":"hi","mood":"sunny","extra":{"a":[1,2]}}` + "\n"))
	require.NoError(t, err)
	line, err = r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, `{"type":"room_msg_ack","room":"general","recipients":0}`+"\n", line, "unknown keys are ignored")
}

// v1 answers a protocol error and closes the connection, as docs/protocol.md
// §1.1 and §3 allow it (rich errors are v2's lesson).
func TestV1ClosesOnBadInput(t *testing.T) {
	tests := []struct {
		name  string
		login bool
		line  string
		code  proto.ErrorCode
	}{
		{"message before log-in", false, `{"type":"room_msg","text":"hi"}`, proto.CodeNotLoggedIn},
		{"list before log-in", false, `{"type":"list_rooms"}`, proto.CodeNotLoggedIn},
		{"not JSON", true, `hello`, proto.CodeMalformed},
		{"missing key", true, `{"type":"join_room"}`, proto.CodeMalformed},
		{"wrong type of value", true, `{"type":"room_msg","text":["hi"]}`, proto.CodeMalformed},
		{"invalid UTF-8", true, "{\"type\":\"room_msg\",\"text\":\"\xc3\x28\"}", proto.CodeMalformed},
		{"unknown type", true, `{"type":"dance"}`, proto.CodeUnsupported},
		{"oversized line", true, `{"type":"room_msg","text":"` + strings.Repeat("x", proto.MaxJSONLine) + `"}`, proto.CodeTooLong},
	}
	srv := startV1(t)
	witness := srv.Login("witness")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := srv.Dial()
			if tt.login {
				c.Send(proto.Message{Kind: proto.KindLogin, Username: "mallory"})
				require.Equal(t, proto.KindLoginAck, c.Next().Kind)
			}
			c.SendRaw([]byte(tt.line + "\n"))
			got := c.ExpectClosed()
			if tt.login {
				got = skipSystem(got)
			}
			require.Len(t, got, 1)
			assert.Equal(t, proto.KindErrorMsg, got[0].Kind)
			assert.Equal(t, tt.code, got[0].Code)
			assert.NotEmpty(t, got[0].Text)
			if tt.login {
				witness.Expect("mallory leaving", wiretest.System("mallory left general"))
			}
		})
	}
	// Nobody else was disturbed.
	wiretest.Sync(t, witness)
}

func skipSystem(ms []proto.Message) []proto.Message {
	var out []proto.Message
	for _, m := range ms {
		if m.Kind != proto.KindSystemMsg {
			out = append(out, m)
		}
	}
	return out
}

// The longest line docs/protocol.md allows is accepted.
func TestLongestLineAccepted(t *testing.T) {
	srv := startV1(t)
	alice := srv.Login("alice")
	head, tail := `{"type":"list_users","pad":"`, "\"}\n"
	alice.SendRaw([]byte(head + strings.Repeat("x", proto.MaxJSONLine-len(head)-len(tail)) + tail))
	assert.Equal(t, []string{"alice"}, alice.Next().Users)
}

func TestDefaults(t *testing.T) {
	assert.Equal(t, 10*time.Second, proto.LoginTimeout)
	assert.Equal(t, 5555, proto.DefaultPort)
}
