package task4_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/internal/cctest"
	"chatlab/classchat/task4"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
	"chatlab/shared/outbox"
)

func start(t *testing.T) string {
	return chattest.Start(t, task4.New(logging.New(&strings.Builder{}, false)))
}

type peer = cctest.Peer

func dial(t *testing.T, addr string) *peer { return cctest.Dial(t, addr) }

// login logs in as ours does: the name and a newline.
func login(t *testing.T, addr, name string, others ...*peer) *peer {
	p := dial(t, addr)
	p.Write(name + "\n")
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Welcome %s! You are now connected to ClassChat.", name), p.Next())
	list := p.Next()
	assert.Equal(t, task4.StatusUserList, list.Status)
	assert.Contains(t, list.Users, name)
	for _, o := range others {
		assert.Equal(t, task4.Notice(task4.StatusSystem, "%s has joined the chat", name), o.Next())
		assert.Equal(t, list, o.Next(), "the user list goes to everyone")
	}
	return p
}

// The original Python client sends its name bare, with no newline, then
// JSON objects back to back with no separator: exactly these bytes.
func TestOriginalClientBytes(t *testing.T) {
	addr := start(t)
	bob := login(t, addr, "bob")

	alice := dial(t, addr)
	alice.Write("alice") // the bare name, as input().strip() gives it
	assert.Equal(t, "Welcome alice! You are now connected to ClassChat.", alice.Next().Message)
	assert.Equal(t, []string{"bob", "alice"}, alice.Next().Users, "in the order they came")
	assert.Equal(t, "alice has joined the chat", bob.Next().Message)
	assert.Equal(t, []string{"bob", "alice"}, bob.Next().Users)

	// Python's json.dumps, sent back to back by two quick send() calls.
	alice.Write(`{"sender": "alice", "receiver": "bob", "text": "Hi, do you know how TCP works?"}` +
		`{"sender": "alice", "receiver": "nobody", "text": "hello?"}`)
	assert.Equal(t, task4.Reply{Status: "message", Sender: "alice", Receiver: "bob", Text: "Hi, do you know how TCP works?"}, bob.Next())
	assert.Equal(t, task4.Notice(task4.StatusSent, "Message delivered to bob"), alice.Next())
	assert.Equal(t, task4.Notice(task4.StatusError, "User 'nobody' is not connected."), alice.Next())

	// What the original client prints for the objects, to the byte.
	assert.Equal(t, "[alice] hi", task4.Describe(task4.Reply{Status: "message", Sender: "alice", Text: "hi"}, "bob"))
}

// The sender a client claims is never trusted.
func TestNoImpersonation(t *testing.T) {
	addr := start(t)
	bob := login(t, addr, "bob")
	mallory := login(t, addr, "mallory", bob)
	mallory.Write(`{"sender": "alice", "receiver": "bob", "text": "it's me, alice"}` + "\n")
	got := bob.Next()
	assert.Equal(t, "mallory", got.Sender)
	assert.Equal(t, "it's me, alice", got.Text)
}

// A refused duplicate leaves the original session as it was.
func TestDuplicateNameLeavesTheOriginalAlone(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	bob := login(t, addr, "bob", alice)

	twin := dial(t, addr)
	twin.Write("alice\n")
	assert.Equal(t, task4.Notice(task4.StatusError, "Username 'alice' is already taken. Disconnecting..."), twin.Next())
	twin.ExpectClosed()

	bob.Write(`{"receiver": "alice", "text": "still there?"}` + "\n")
	assert.Equal(t, "still there?", alice.Next().Text, "the first alice still gets her messages")
	assert.Equal(t, "Message delivered to alice", bob.Next().Message)
}

func TestNamesAreChecked(t *testing.T) {
	addr := start(t)
	for _, name := range []string{"", "two words", "a@b", "a/b", strings.Repeat("x", 21), "tab\there"} {
		p := dial(t, addr)
		p.Write(name + "\n")
		got := p.Next()
		assert.Equal(t, task4.StatusError, got.Status, "name %q", name)
		assert.Contains(t, got.Message, "Invalid username", "name %q", name)
		p.ExpectClosed()
	}
	login(t, addr, strings.Repeat("x", 20))
}

func TestLeavingIsAnnounced(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	bob := login(t, addr, "bob", alice)
	bob.Conn.Close()
	assert.Equal(t, task4.Notice(task4.StatusSystem, "bob has left the chat"), alice.Next())
	assert.Equal(t, []string{"alice"}, alice.Next().Users)
}

func TestBadInput(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	for _, bad := range []string{"hello there\n", `{"receiver": }` + "\n", `{"receiver": "alice"}` + "\n"} {
		alice.Write(bad)
		assert.Equal(t, task4.StatusError, alice.Next().Status, "%q", bad)
	}
	alice.Write(`{"receiver": "alice", "text": "to myself"}` + "\n")
	assert.Equal(t, "to myself", alice.Next().Text, "the connection survived")
	assert.Equal(t, "Message delivered to alice", alice.Next().Message)

	alice.Write(`{"text": "` + strings.Repeat("x", task4.MaxObject) + `"}`)
	assert.Contains(t, alice.Next().Message, "at most")
	alice.ExpectClosed()
}

// A client that never reads cannot stall the others: nothing is sent
// while the registry is locked, and sends never block.
func TestSlowReaderStallsNobody(t *testing.T) {
	addr := start(t)
	sloth := login(t, addr, "sloth")
	alice := login(t, addr, "alice", sloth)
	bob := login(t, addr, "bob", alice)
	text := strings.Repeat("z", 60000)
	cut := false
	for i := 0; i < 400 && !cut; i++ { // 24 MB for sloth, who reads none of it
		alice.Write(`{"receiver": "sloth", "text": "` + text + `"}` + "\n")
		if r := alice.Next(); r.Status != task4.StatusSent {
			cut = true // sloth was cut off
			continue
		}
		alice.Write(`{"receiver": "bob", "text": "ping"}` + "\n")
		require.Equal(t, "ping", bob.Next().Text, "bob is served at once (round %d)", i)
		require.Equal(t, "Message delivered to bob", alice.Next().Message)
	}
	// Flow control slows a sender down; a client that does not read at
	// all is still cut off, as a slow consumer.
	assert.True(t, cut, "sloth was cut off")
}

// A user's log-in sequence (the welcome, then what the server greets it
// with) comes first: what others send the user meanwhile, a message or a
// notice, waits until it is out. Here the greeting is held up until alice
// has sent bob a message.
func TestNothingOvertakesTheLogin(t *testing.T) {
	greeting, release := make(chan struct{}), make(chan struct{})
	srv, _ := task4.NewRegistry(logging.New(&strings.Builder{}, false), task4.Options{
		Greet: func(name string, out *outbox.Outbox) {
			if name != "bob" {
				return
			}
			close(greeting)
			<-release
			out.Send(task4.Notice(task4.StatusSystem, "greetings, %s", name).Encode())
		},
	})
	addr := chattest.Start(t, srv)
	alice := login(t, addr, "alice")
	bob := dial(t, addr)
	bob.Write("bob\n")
	select {
	case <-greeting:
	case <-time.After(chattest.Timeout):
		t.Fatal("bob was not greeted")
	}
	alice.Write(`{"receiver": "bob", "text": "hi bob"}` + "\n")
	assert.Equal(t, "Message delivered to bob", alice.Next().Message, "queued for bob")
	close(release)

	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Welcome bob! You are now connected to ClassChat."), bob.Next())
	assert.Equal(t, task4.Notice(task4.StatusSystem, "greetings, bob"), bob.Next())
	assert.Equal(t, "hi bob", bob.Next().Text, "after the log-in sequence")
	assert.Equal(t, []string{"alice", "bob"}, bob.Next().Users)
}
