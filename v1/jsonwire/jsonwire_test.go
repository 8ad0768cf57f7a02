package jsonwire

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/golden"
)

var (
	c2s = proto.ClientToServer
	s2c = proto.ServerToClient
)

const goldenFile = "testdata/golden.txt"

// TestGoldenLines checks every example message, in every direction it
// travels, against testdata/golden.txt (one "kind dir line" a line; run
// with -update to rewrite it after a deliberate change), and that each
// line decodes back to its message.
func TestGoldenLines(t *testing.T) {
	var file strings.Builder
	for _, ex := range wiretest.Examples {
		line, err := Marshal(&ex.Msg, ex.Dir)
		require.NoError(t, err, ex.Name())
		fmt.Fprintf(&file, "%s %s", ex.Name(), line)

		var back proto.Message
		require.NoError(t, Unmarshal(line[:len(line)-1], ex.Dir, &back), ex.Name())
		assert.Equal(t, ex.Msg, back, ex.Name())
	}
	golden.Check(t, goldenFile, []byte(file.String()))
}

// The examples of docs/protocol.md §3, to the byte.
func TestSpecExamples(t *testing.T) {
	for _, tt := range []struct {
		msg  proto.Message
		dir  proto.Dir
		line string
	}{
		{proto.Message{Kind: proto.KindLogin, Username: "alice"}, c2s, `{"type":"login","username":"alice"}`},
		{proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}, s2c, `{"type":"room_msg","room":"general","from":"alice","text":"hi"}`},
		{proto.Message{Kind: proto.KindErrorMsg, Code: proto.CodeNotLoggedIn, Text: "log in first"}, s2c, `{"type":"error_msg","code":"not_logged_in","text":"log in first"}`},
	} {
		got, err := Marshal(&tt.msg, tt.dir)
		require.NoError(t, err)
		assert.Equal(t, tt.line+"\n", string(got))
	}
}

func TestEveryKindHasAnExampleEachWayItTravels(t *testing.T) {
	for k := proto.KindLogin; k <= proto.KindRoomMsgAck; k++ {
		for _, dir := range []proto.Dir{c2s, s2c} {
			if !dir.Sends(k) {
				continue
			}
			found := false
			for _, ex := range wiretest.Examples {
				found = found || (ex.Msg.Kind == k && ex.Dir == dir)
			}
			assert.True(t, found, "no example of %s %s", k, dir)
		}
	}
}

func TestDecodeAcceptsCRLFAndIgnoresUnknownKeys(t *testing.T) {
	dec := Codec{}.NewDecoder(strings.NewReader(
		"{\"type\":\"login\",\"username\":\"alice\"}\r\n"+
			"{\"extra\":[1,{}],\"text\":\"hi\",\"type\":\"room_msg\"}\n"), c2s)
	var m proto.Message
	require.NoError(t, dec.Decode(&m))
	assert.Equal(t, proto.Message{Kind: proto.KindLogin, Username: "alice"}, m)
	require.NoError(t, dec.Decode(&m))
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsg, Text: "hi"}, m)
	assert.ErrorIs(t, dec.Decode(&m), io.EOF)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		dir  proto.Dir
		line string
		code proto.ErrorCode
	}{
		{"not JSON", c2s, `hello`, proto.CodeMalformed},
		{"empty line", c2s, ``, proto.CodeMalformed},
		{"array", c2s, `["login"]`, proto.CodeMalformed},
		{"null", c2s, `null`, proto.CodeMalformed},
		{"two objects", c2s, `{"type":"list_rooms"}{"type":"list_rooms"}`, proto.CodeMalformed},
		{"no type", c2s, `{"username":"alice"}`, proto.CodeMalformed},
		{"type not a string", c2s, `{"type":1}`, proto.CodeMalformed},
		{"keys are case-sensitive", c2s, `{"Type":"login","username":"alice"}`, proto.CodeMalformed},
		{"missing key", c2s, `{"type":"login"}`, proto.CodeMalformed},
		{"null value", c2s, `{"type":"login","username":null}`, proto.CodeMalformed},
		{"wrong value type", c2s, `{"type":"room_msg","text":42}`, proto.CodeMalformed},
		{"invalid UTF-8", c2s, "{\"type\":\"room_msg\",\"text\":\"\xff\"}", proto.CodeMalformed},
		{"unknown type", c2s, `{"type":"dance"}`, proto.CodeUnsupported},
		{"server kind sent by a client", c2s, `{"type":"login_ack","username":"a","room":"general"}`, proto.CodeUnsupported},
		{"client kind sent by a server", s2c, `{"type":"login","username":"a"}`, proto.CodeUnsupported},
		{"unknown enum value", s2c, `{"type":"login_reject","reason":"bored","text":""}`, proto.CodeMalformed},
		{"negative recipients", s2c, `{"type":"room_msg_ack","room":"general","recipients":-1}`, proto.CodeMalformed},
		{"users not strings", s2c, `{"type":"list_users","room":"general","users":[1]}`, proto.CodeMalformed},
		{"room entry lacks members", s2c, `{"type":"list_rooms","rooms":[{"name":"general"}]}`, proto.CodeMalformed},
		{"created not a bool", s2c, `{"type":"join_room","room":"x","created":"yes"}`, proto.CodeMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m proto.Message
			err := Unmarshal([]byte(tt.line), tt.dir, &m)
			var perr *proto.Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tt.code, perr.Code)
			assert.False(t, perr.Fatal)
			assert.Equal(t, proto.Message{}, m, "a failed decode leaves no partial message")
		})
	}
}

func TestLineLimit(t *testing.T) {
	// A line of exactly MaxJSONLine bytes, newline included, is accepted;
	// one byte more is a fatal too_long.
	pad := func(total int) string {
		head := `{"type":"room_msg","text":"hi","pad":"`
		tail := "\"}\n"
		return head + strings.Repeat("x", total-len(head)-len(tail)) + tail
	}
	var m proto.Message
	dec := Codec{}.NewDecoder(strings.NewReader(pad(proto.MaxJSONLine)), c2s)
	require.NoError(t, dec.Decode(&m))
	assert.Equal(t, "hi", m.Text)

	dec = Codec{}.NewDecoder(strings.NewReader(pad(proto.MaxJSONLine+1)), c2s)
	var perr *proto.Error
	require.ErrorAs(t, dec.Decode(&m), &perr)
	assert.Equal(t, proto.CodeTooLong, perr.Code)
	assert.True(t, perr.Fatal)
}

func TestListRepliesStayWithinTheLineLimit(t *testing.T) {
	users := make([]string, 5000)
	for i := range users {
		users[i] = fmt.Sprintf("user%016d", i)
	}
	line, err := Marshal(&proto.Message{Kind: proto.KindListUsers, Room: "general", Users: users}, s2c)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(line), proto.MaxJSONLine)
	var m proto.Message
	require.NoError(t, Unmarshal(line[:len(line)-1], s2c, &m))
	assert.Greater(t, len(m.Users), 2000)
	assert.Equal(t, users[:len(m.Users)], m.Users, "a cut list is a prefix of the full one")
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quo"te`, `back\slash`, "tab\tnl\ncr\r", "\x00\x1f\x7f", "héllo wörld ✓ 🎉", "\u2028\u2029", "bad\xffutf8"} {
		var back string
		require.NoError(t, json.Unmarshal(AppendString(nil, s), &back), "%q", s)
		assert.Equal(t, strings.ToValidUTF8(s, "\ufffd"), back)
	}
}

func ExampleMarshal() {
	line, _ := Marshal(&proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}, proto.ServerToClient)
	fmt.Print(string(line))
	// Output: {"type":"room_msg","room":"general","from":"alice","text":"hi"}
}

func ExampleUnmarshal() {
	var m proto.Message
	err := Unmarshal([]byte(`{"type":"private_msg","to":"bob","text":"psst"}`), proto.ClientToServer, &m)
	fmt.Println(err, m.Kind, m.To, m.Text)
	// Output: <nil> PRIVATE_MSG bob psst
}

func FuzzUnmarshal(f *testing.F) {
	for _, ex := range wiretest.Examples {
		line, _ := Marshal(&ex.Msg, ex.Dir)
		f.Add(line[:len(line)-1], ex.Dir == s2c)
	}
	f.Add([]byte(`{"type":"login","username":"\u00e9\ud800"}`), false)
	f.Add([]byte(`{"type":"list_rooms","rooms":[{"name":"a","members":1e3}]}`), true)
	f.Fuzz(func(t *testing.T, line []byte, fromServer bool) {
		dir := c2s
		if fromServer {
			dir = s2c
		}
		var m proto.Message
		err := Unmarshal(line, dir, &m)
		if err != nil {
			var perr *proto.Error
			if !errors.As(err, &perr) || perr.Fatal {
				t.Fatalf("Unmarshal(%q) = %v, want a non-fatal *proto.Error", line, err)
			}
			return
		}
		// Whatever decodes re-encodes to a line that decodes the same.
		again, err := Marshal(&m, dir)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", m, err)
		}
		var back proto.Message
		if err := Unmarshal(again[:len(again)-1], dir, &back); err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", again, err)
		}
		if len(again) <= proto.MaxJSONLine {
			assert.Equal(t, m, back)
		}
	})
}

func FuzzAppendString(f *testing.F) {
	f.Add("héllo \"world\"\n\x00\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		if !utf8.Valid(out) {
			t.Fatalf("AppendString(%q) is not valid UTF-8", s)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, out, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); back != want && utf8.ValidString(s) {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	})
}
