package chatclient_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
