package chatclient_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
)

// The end of input (Ctrl-D) at the name prompt leaves quietly, whatever
// was wrong with the names typed before.
func TestEndOfInputAtTheNamePrompt(t *testing.T) {
	srv := startServer(t)
	srv.Login("alice")
	c := start(t, srv, "alice", true)
	c.screen.waitLine(t, "[12:01:05] !!! the name alice is taken (name_taken). Type another name:")
	c.typeLine("bad name!")
	c.screen.waitLine(t, "[12:01:05] !!! a username is 1 to 20 letters, digits, '_', '-' or '.' (name_invalid). Type another name:")
	require.NoError(t, c.typing.Close())
	assert.NoError(t, c.wait(), "Ctrl-D quits")
}

// A blank line sends nothing; a command with the wrong arguments says
// what is wrong, and how to use it.
func TestBlankLinesAndWrongArguments(t *testing.T) {
	srv := startServer(t)
	bob := srv.Login("bob")
	alice := start(t, srv, "alice", false)
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))

	alice.typeLine("   \t ")
	alice.typeLine("/join a b")
	alice.screen.waitLine(t, `[12:01:05] !!! /join takes 1 word, and "a b" is 2 (a room name has no spaces); usage: /join <room>`)
	alice.typeLine("/users everyone")
	alice.screen.waitLine(t, `[12:01:05] !!! /users takes nothing after it, not "everyone"; usage: /users`)
	alice.typeLine("/msg")
	alice.screen.waitLine(t, `[12:01:05] !!! /msg needs <user>; usage: /msg <user> <text>`)
	alice.typeLine("after")
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "after"}, bob.Next(),
		"nothing before the real text")
}

// refillReader is typed input that can take a line back, as the line
// editor does.
type refillReader struct {
	io.Reader
	mu      sync.Mutex
	refills []string
}

func (r *refillReader) Refill(line string) {
	r.mu.Lock()
	r.refills = append(r.refills, line)
	r.mu.Unlock()
}

// A line the client refuses goes back to the line editor, to be fixed,
// with the reason shown.
func TestARefusedLineGoesBackToTheEditor(t *testing.T) {
	srv := startServer(t)
	bob := srv.Login("bob")
	long := strings.Repeat("x", 5000)
	in := &refillReader{Reader: strings.NewReader(long + "\nshort\n")}
	out := newScreen()
	c := chatclient.New(chatclient.Config{
		Username: "alice", Codec: jsonwire.Codec{}, Now: clock,
		Dial: func(ctx context.Context) (net.Conn, error) { return net.Dial("tcp", srv.Addr) },
		In:   in, Out: out,
		Validate: func(m *proto.Message) error {
			if len(m.Text) > 4096 {
				return errors.New("the text is 5000 bytes, over the limit of 4096")
			}
			return nil
		},
	})
	require.NoError(t, c.Run(t.Context()))
	out.waitLine(t, "[12:01:05] !!! the text is 5000 bytes, over the limit of 4096; nothing was sent (the line is back below, to edit)")
	assert.Equal(t, []string{long}, in.refills)
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	assert.Equal(t, "short", bob.Next().Text, "nothing before the short line")
}

func TestTextColumn(t *testing.T) {
	for line, col := range map[string]int{
		"[12:01:05] [general] bob: hi":           26,
		"[12:01:05] \x1b[2m[tech] al: hi\x1b[0m": 22,
		"[12:01:05] [PM from bob] psst":          25,
		"[12:01:05] *** 2 users in general":      15,
		"[12:01:05] !!! unknown command":         15,
		"[12:01:05] → LOGIN C→S, 15 bytes":       13,
		"  /msg <user> <text>  send":             0,
	} {
		assert.Equal(t, col, chatclient.TextColumn(line), line)
	}
}
