package bonus1_test

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/internal/cctest"
	"chatlab/classchat/task4"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

func start(t *testing.T) string {
	return chattest.Start(t, bonus1.New(logging.New(&strings.Builder{}, false)))
}

// login logs name in with the original client's bare name, and reads the
// welcome, the help and the user list.
func login(t *testing.T, addr, name string, others ...*cctest.Peer) *cctest.Peer {
	p := cctest.Dial(t, addr)
	p.Write(name)
	assert.Equal(t, task4.Notice(task4.StatusSuccess, bonus1.Welcome, name), p.Next())
	var help bonus1.Help
	p.Decode(&help)
	assert.Equal(t, bonus1.Help{Status: "help", Commands: bonus1.Commands}, help)
	assert.Equal(t, task4.StatusUserList, p.Next().Status)
	for _, o := range others {
		o.Next() // joined
		o.Next() // user list
	}
	return p
}

// command sends what the original bonus client sends for a command: the
// command in receiver, text empty.
func command(p *cctest.Peer, cmd string) {
	p.Write(`{"type": "message", "sender": "x", "receiver": "` + cmd + `", "text": ""}`)
}

func post(p *cctest.Peer, to, text string) {
	p.Write(`{"type": "message", "sender": "x", "receiver": "` + to + `", "text": "` + text + `"}`)
}

func groups(t *testing.T, p *cctest.Peer) map[string][]string {
	var gl bonus1.GroupList
	p.Decode(&gl)
	require.Equal(t, "group_list", gl.Status)
	return gl.Groups
}

func TestGroups(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	bob := login(t, addr, "bob", alice)
	carol := login(t, addr, "carol", alice, bob)

	command(alice, "/create CS101")
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Group 'CS101' created successfully"), alice.Next())
	assert.Equal(t, map[string][]string{"CS101": {"alice"}}, groups(t, alice))

	command(bob, "/create CS101")
	assert.Equal(t, task4.Notice(task4.StatusError, "Group 'CS101' already exists"), bob.Next())
	groups(t, bob)
	command(bob, "/join CS101")
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Joined group 'CS101'"), bob.Next())
	assert.Equal(t, map[string][]string{"CS101": {"alice", "bob"}}, groups(t, bob))

	post(carol, "@CS101", "let me in")
	assert.Equal(t, task4.Notice(task4.StatusError, "You are not a member of 'CS101'"), carol.Next(), "only members may post")

	post(alice, "@CS101", "class starts in 5 minutes")
	want := bonus1.GroupMessage{Status: "group_message", Group: "CS101", Sender: "alice", Text: "class starts in 5 minutes"}
	for _, p := range []*cctest.Peer{alice, bob} {
		var gm bonus1.GroupMessage
		p.Decode(&gm)
		assert.Equal(t, want, gm)
	}
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Message sent to 2/2 members in 'CS101'"), alice.Next())

	post(alice, "@nope", "hello")
	assert.Equal(t, task4.Notice(task4.StatusError, "Group 'nope' does not exist"), alice.Next())
	command(carol, "/leave CS101")
	assert.Equal(t, task4.Notice(task4.StatusError, "You are not a member of 'CS101'"), carol.Next())
	groups(t, carol)
	command(carol, "/dance")
	assert.Equal(t, task4.Notice(task4.StatusError, "Unknown command: /dance"), carol.Next())
	command(carol, "/join")
	assert.Equal(t, task4.Notice(task4.StatusError, "Usage: /join groupname"), carol.Next())

	// Direct messages still work beside the groups.
	post(carol, "alice", "psst")
	assert.Equal(t, "psst", alice.Next().Text)
	assert.Equal(t, "Message delivered to alice", carol.Next().Message)

	// An offline member counts in m but not in n.
	bob.Conn.Close()
	alice.Next() // bob left
	alice.Next() // user list
	command(alice, "/groups")
	assert.Equal(t, map[string][]string{"CS101": {"alice"}}, groups(t, alice), "a departed user leaves the groups")

	command(alice, "/leave CS101")
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Left group 'CS101' (group deleted - no members)"), alice.Next())
	assert.Empty(t, groups(t, alice), "an empty group is deleted")
}

func TestGroupNamesAreChecked(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	command(alice, "/create a@b")
	got := alice.Next()
	assert.Equal(t, task4.StatusError, got.Status)
	assert.Contains(t, got.Message, "Invalid group name 'a@b'")
}

func TestClientRendering(t *testing.T) {
	line, ok := bonus1.Describe([]byte(`{"status":"group_message","group":"g","sender":"alice","text":"hi"}`), "bob")
	assert.True(t, ok)
	assert.Equal(t, "[#g - alice] hi", line, "a group is shown as it is typed")
	req, ok := bonus1.Compose("#g hello all")
	assert.True(t, ok)
	assert.Equal(t, task4.Request{Type: "message", Receiver: "@g", Text: "hello all"}, req, "the original's dialect on the wire")
	_, ok = bonus1.Compose("@g hello all")
	assert.False(t, ok, "@name is a direct message, left to task 4")
	req, ok = bonus1.Compose("/create g")
	assert.True(t, ok)
	assert.Equal(t, task4.Request{Type: "message", Receiver: "/create g"}, req)
}

// Our client against the server: "@name text" is a direct message, as in
// task 4, and "#group text" goes to a group; both are shown as sent, and
// /help lists both.
func TestClientSyntax(t *testing.T) {
	addr := start(t)
	bob := login(t, addr, "bob")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	in, typing := io.Pipe()
	screen := chattest.NewOutput()
	done := make(chan error, 1)
	go func() {
		done <- task4.RunClient(t.Context(), conn, task4.ClientConfig{Name: "alice", In: in, Out: screen,
			Command: bonus1.Command, Describe: bonus1.Describe, Help: bonus1.ClientHelp})
	}()
	t.Cleanup(func() { typing.Close(); conn.Close() })
	screen.WaitFor(t, "Welcome alice!")
	screen.WaitLine(t, "  #group message      a message to every member of group") // the server's help, as ours
	bob.Next()                                                                     // alice joined
	bob.Next()                                                                     // user list
	command(bob, "/create g")
	assert.Equal(t, "Group 'g' created successfully", bob.Next().Message)
	groups(t, bob)

	type_ := func(line string) {
		_, err := io.WriteString(typing, line+"\n")
		require.NoError(t, err)
	}
	type_("@bob hi bob")
	assert.Equal(t, task4.Reply{Status: task4.StatusMessage, Sender: "alice", Receiver: "bob", Text: "hi bob"}, bob.Next())
	screen.WaitLine(t, "you → bob: hi bob")
	type_("/join g")
	screen.WaitLine(t, "[SUCCESS] Joined group 'g'")
	type_("#g hi all")
	var gm bonus1.GroupMessage
	for gm.Status != "group_message" { // past the lists of groups
		bob.Decode(&gm)
	}
	assert.Equal(t, bonus1.GroupMessage{Status: "group_message", Group: "g", Sender: "alice", Text: "hi all"}, gm)
	screen.WaitLine(t, "you → #g: hi all")
	type_("/help")
	screen.WaitLine(t, "  @user message       a direct message to user (also: user message)")
	type_("/quit")
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(chattest.Timeout):
		t.Fatal("/quit did not end the client")
	}
}

// A member is known by her name whatever its case: where members stay in
// their groups while away (bonus 3), Alice who created a group posts to
// it as alice at her next log-in, and leaves it.
func TestMembersIgnoreCase(t *testing.T) {
	srv, _ := bonus1.NewGroups(logging.New(&strings.Builder{}, false),
		task4.Options{Welcome: bonus1.Welcome}, bonus1.Commands, true)
	addr := chattest.Start(t, srv)
	bob := login(t, addr, "bob")
	first := login(t, addr, "Alice", bob)
	command(first, "/create g")
	assert.Equal(t, "Group 'g' created successfully", first.Next().Message)
	groups(t, first)
	first.Conn.Close()
	assert.Equal(t, "Alice has left the chat", bob.Next().Message, "her name is free")

	again := login(t, addr, "alice")
	post(again, "@g", "back")
	var got bonus1.GroupMessage
	again.Decode(&got)
	assert.Equal(t, bonus1.GroupMessage{Status: "group_message", Group: "g", Sender: "alice", Text: "back"}, got)
	assert.Equal(t, "Message sent to 1/1 members in 'g'", again.Next().Message)
	command(again, "/leave g")
	assert.Equal(t, "Left group 'g' (group deleted - no members)", again.Next().Message)
}
