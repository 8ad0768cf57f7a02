package task4_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/task4"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

// peer is a raw client of the task 4 server: it writes exactly the bytes
// it is given and reads the server's objects one a line.
type peer struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func start(t *testing.T) string {
	return chattest.Start(t, task4.New(logging.New(&strings.Builder{}, false)))
}

func dial(t *testing.T, addr string) *peer {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(chattest.Timeout))
	p := &peer{t: t, conn: conn, r: bufio.NewReader(conn)}
	defer conn.SetDeadline(time.Time{})
	prompt := make([]byte, len(task4.Prompt))
	_, err = io.ReadFull(p.r, prompt)
	require.NoError(t, err)
	require.Equal(t, task4.Prompt, string(prompt), "the prompt, with no newline")
	return p
}

func (p *peer) write(s string) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(chattest.Timeout))
	_, err := p.conn.Write([]byte(s))
	require.NoError(p.t, err)
}

// next reads the next object; every object the server sends ends with a
// newline.
func (p *peer) next() task4.Reply {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	line, err := p.r.ReadString('\n')
	require.NoError(p.t, err, "got %q", line)
	var r task4.Reply
	require.NoError(p.t, json.Unmarshal([]byte(line), &r), "line %q", line)
	return r
}

func (p *peer) expectClosed() {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	_, err := p.r.ReadByte()
	require.Error(p.t, err, "the server should have closed the connection")
}

// login logs in as ours does: the name and a newline.
func login(t *testing.T, addr, name string, others ...*peer) *peer {
	p := dial(t, addr)
	p.write(name + "\n")
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Welcome %s! You are now connected to ClassChat.", name), p.next())
	list := p.next()
	assert.Equal(t, task4.StatusUserList, list.Status)
	assert.Contains(t, list.Users, name)
	for _, o := range others {
		assert.Equal(t, task4.Notice(task4.StatusSystem, "%s has joined the chat", name), o.next())
		assert.Equal(t, list, o.next(), "the user list goes to everyone")
	}
	return p
}

// The original Python client sends its name bare, with no newline, then
// JSON objects back to back with no separator: exactly these bytes.
func TestOriginalClientBytes(t *testing.T) {
	addr := start(t)
	bob := login(t, addr, "bob")

	alice := dial(t, addr)
	alice.write("alice") // the bare name, as input().strip() gives it
	assert.Equal(t, "Welcome alice! You are now connected to ClassChat.", alice.next().Message)
	assert.Equal(t, []string{"bob", "alice"}, alice.next().Users, "in the order they came")
	assert.Equal(t, "alice has joined the chat", bob.next().Message)
	assert.Equal(t, []string{"bob", "alice"}, bob.next().Users)

	// Python's json.dumps, sent back to back by two quick send() calls.
	alice.write(`{"sender": "alice", "receiver": "bob", "text": "Hi, do you know how TCP works?"}` +
		`{"sender": "alice", "receiver": "nobody", "text": "hello?"}`)
	assert.Equal(t, task4.Reply{Status: "message", Sender: "alice", Receiver: "bob", Text: "Hi, do you know how TCP works?"}, bob.next())
	assert.Equal(t, task4.Notice(task4.StatusSent, "Message delivered to bob"), alice.next())
	assert.Equal(t, task4.Notice(task4.StatusError, "User 'nobody' is not connected."), alice.next())

	// What the original client prints for the objects, to the byte.
	assert.Equal(t, "[alice] hi", task4.Describe(task4.Reply{Status: "message", Sender: "alice", Text: "hi"}, "bob"))
}

// The sender a client claims is never trusted.
func TestNoImpersonation(t *testing.T) {
	addr := start(t)
	bob := login(t, addr, "bob")
	mallory := login(t, addr, "mallory", bob)
	mallory.write(`{"sender": "alice", "receiver": "bob", "text": "it's me, alice"}` + "\n")
	got := bob.next()
	assert.Equal(t, "mallory", got.Sender)
	assert.Equal(t, "it's me, alice", got.Text)
}

// A refused duplicate leaves the original session as it was.
func TestDuplicateNameLeavesTheOriginalAlone(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	bob := login(t, addr, "bob", alice)

	twin := dial(t, addr)
	twin.write("alice\n")
	assert.Equal(t, task4.Notice(task4.StatusError, "Username 'alice' is already taken. Disconnecting..."), twin.next())
	twin.expectClosed()

	bob.write(`{"receiver": "alice", "text": "still there?"}` + "\n")
	assert.Equal(t, "still there?", alice.next().Text, "the first alice still gets her messages")
	assert.Equal(t, "Message delivered to alice", bob.next().Message)
}

func TestNamesAreChecked(t *testing.T) {
	addr := start(t)
	for _, name := range []string{"", "two words", "a@b", "a/b", strings.Repeat("x", 21), "tab\there"} {
		p := dial(t, addr)
		p.write(name + "\n")
		got := p.next()
		assert.Equal(t, task4.StatusError, got.Status, "name %q", name)
		assert.Contains(t, got.Message, "Invalid username", "name %q", name)
		p.expectClosed()
	}
	login(t, addr, strings.Repeat("x", 20))
}

func TestLeavingIsAnnounced(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	bob := login(t, addr, "bob", alice)
	bob.conn.Close()
	assert.Equal(t, task4.Notice(task4.StatusSystem, "bob has left the chat"), alice.next())
	assert.Equal(t, []string{"alice"}, alice.next().Users)
}

func TestBadInput(t *testing.T) {
	addr := start(t)
	alice := login(t, addr, "alice")
	for _, bad := range []string{"hello there\n", `{"receiver": }` + "\n", `{"receiver": "alice"}` + "\n"} {
		alice.write(bad)
		assert.Equal(t, task4.StatusError, alice.next().Status, "%q", bad)
	}
	alice.write(`{"receiver": "alice", "text": "to myself"}` + "\n")
	assert.Equal(t, "to myself", alice.next().Text, "the connection survived")
	assert.Equal(t, "Message delivered to alice", alice.next().Message)

	alice.write(`{"text": "` + strings.Repeat("x", task4.MaxObject) + `"}`)
	assert.Contains(t, alice.next().Message, "at most")
	alice.expectClosed()
}

// A client that never reads cannot stall the others: nothing is sent
// while the registry is locked, and sends never block.
func TestSlowReaderStallsNobody(t *testing.T) {
	addr := start(t)
	sloth := login(t, addr, "sloth")
	alice := login(t, addr, "alice", sloth)
	bob := login(t, addr, "bob", alice)
	text := strings.Repeat("z", 60000)
	for i := 0; i < 400; i++ { // 24 MB for sloth, who reads none of it
		alice.write(`{"receiver": "sloth", "text": "` + text + `"}` + "\n")
		if r := alice.next(); r.Status != task4.StatusSent {
			break // sloth was cut off
		}
		alice.write(`{"receiver": "bob", "text": "ping"}` + "\n")
		require.Equal(t, "ping", bob.next().Text, "bob is served at once (round %d)", i)
		require.Equal(t, "Message delivered to bob", alice.next().Message)
	}
}
