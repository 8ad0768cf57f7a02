package stage_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/chat-v2/diagnosis"
	"chatlab/shared/bintest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

func TestBinaries(t *testing.T) {
	b := bintest.Build(t, "../cmd/server", "../cmd/client", "../../v2/cmd/client", "../../v2/cmd/server")
	server, client, clientV2, serverV2 := b[0], b[1], b[2], b[3]
	srv := bintest.StartServer(t, server, "0")

	t.Run("a session, traced", func(t *testing.T) {
		out, status := bintest.Run(t, "hi\n/rooms\n", client, "--trace", "alice", "127.0.0.1", srv.Port)
		assert.Equal(t, 0, status, out)
		assert.Contains(t, out, "→ LOGIN C→S, 15 bytes")
		assert.Contains(t, out, "00000000  43 50 01 01 00 00 00 00  06 05 61 6c 69 63 65     |CP........alice|")
		assert.Contains(t, out, "← ROOM_MSG_ACK S→C, 21 bytes")
		assert.Contains(t, out, "[general] alice: hi  (to 0 users)")
		assert.Contains(t, out, "*** 1 room: general (1)")
	})
	t.Run("every command and alias", func(t *testing.T) {
		input := "/join a\n/j b\n/msg alice 1\n/m alice 2\n/pm alice 3\n/dm alice 4\n/whisper alice 5\n" +
			"/users\n/who\n/list\n/rooms\n/r\n/help\n/h\n/?\nplain text\n/quit\nnot sent\n"
		out, status := bintest.Run(t, input, client, "alice", "127.0.0.1", srv.Port)
		assert.Equal(t, 0, status, out)
		for _, want := range []string{
			"*** you are now in a (a new room)", "*** you are now in b (a new room)",
			"*** 1 user in b: alice", "*** 2 rooms: b (1), general (0)",
			"Type a message and press Enter to send it to your room. Commands:",
			"[b] alice: plain text  (to 0 users)",
		} {
			assert.Contains(t, out, want)
		}
		assert.Equal(t, 5, strings.Count(out, "[PM to alice]"), "five private messages to oneself, each delivered")
		assert.Equal(t, 5, strings.Count(out, "[PM from alice]"))
		assert.Equal(t, 3, strings.Count(out, "*** 1 user in b: alice"), "/users, /who, /list")
		assert.Equal(t, 3, strings.Count(out, "Commands:"), "/help, /h, /?")
		assert.NotContains(t, out, "not sent")
	})
	t.Run("a JSON client at the binary server", func(t *testing.T) {
		out, status := bintest.Run(t, "", clientV2, "bob", "127.0.0.1", srv.Port)
		assert.Equal(t, diagnosis.ExitWrongProtocol, status, out)
		assert.Contains(t, out, "answered in binary ChatProto (v3 or v4)")
	})
	t.Run("the binary client at a JSON server", func(t *testing.T) {
		json := bintest.StartServer(t, serverV2, "0")
		// bob's LOGIN frame holds no newline: the JSON server waits for
		// the end of the line, until the client, hearing nothing, adds
		// one; the JSON answer names the server.
		out, status := bintest.Run(t, "", client, "--timeout", "300ms", "bob", "127.0.0.1", json.Port)
		assert.Equal(t, diagnosis.ExitWrongProtocol, status, out)
		assert.Contains(t, out, "answered in JSON ChatProto (v1 or v2)")
	})
}
