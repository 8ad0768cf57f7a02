package bonus1_test

import (
	"strings"
	"testing"

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
	assert.Equal(t, "[@g - alice] hi", line)
	req, ok := bonus1.Compose("@g hello all")
	assert.True(t, ok)
	assert.Equal(t, task4.Request{Type: "message", Receiver: "@g", Text: "hello all"}, req)
	req, ok = bonus1.Compose("/create g")
	assert.True(t, ok)
	assert.Equal(t, task4.Request{Type: "message", Receiver: "/create g"}, req)
}
