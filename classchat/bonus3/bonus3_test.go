package bonus3_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/bonus2"
	"chatlab/classchat/bonus3"
	"chatlab/classchat/internal/cctest"
	"chatlab/classchat/task4"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

func TestMain(m *testing.M) { bintest.Main(m) }

func open(t *testing.T, path string, maxCount int) *bonus3.Store {
	s, err := bonus3.Open(path, bonus3.Limits{UserMessages: maxCount})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for _, name := range []string{"alice", "bob", "carol"} { // they have logged in before
		_, err := s.Know(name)
		require.NoError(t, err)
	}
	return s
}

func start(t *testing.T, store *bonus3.Store) string {
	return chattest.Start(t, bonus3.New(logging.New(&strings.Builder{}, false), store))
}

var stamp = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

// login logs name in, as the original client does, and returns the held
// objects it was sent between the welcome and the help.
func login(t *testing.T, addr, name string) (*cctest.Peer, [][]byte) {
	return loginFrom(t, addr, "", name)
}

// loginFrom is login from the local IP address from.
func loginFrom(t *testing.T, addr, from, name string) (*cctest.Peer, [][]byte) {
	p := cctest.DialFrom(t, addr, from)
	p.Write(name)
	assert.Equal(t, task4.Notice(task4.StatusSuccess, bonus3.Welcome, name), p.Next())
	var held [][]byte
	for {
		line := p.Line()
		var v struct{ Status string }
		require.NoError(t, json.Unmarshal(line, &v))
		if v.Status == "help" {
			break
		}
		held = append(held, line)
	}
	assert.Equal(t, task4.StatusUserList, p.Next().Status)
	return p, held
}

func TestOfflineMessagesInOrder(t *testing.T) {
	store := open(t, filepath.Join(t.TempDir(), "q.db"), 0)
	addr := start(t, store)
	alice, _ := login(t, addr, "alice")

	for _, text := range []string{"first", "second"} {
		alice.Write(`{"type": "message", "sender": "alice", "receiver": "bob", "text": "` + text + `"}`)
		assert.Equal(t, task4.Notice(task4.StatusSent, "Message queued for bob (currently offline)"), alice.Next())
	}
	data := []byte("a file for later")
	file, _ := json.Marshal(bonus2.FileRequest{Type: "file", Receiver: "bob", FileData: bonus2.FileData{
		Filename: "later.txt", Filesize: int64(len(data)), Checksum: bonus2.Checksum(data), Data: base64.StdEncoding.EncodeToString(data)}})
	alice.Write(string(file))
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "File 'later.txt' queued for bob (offline)"), alice.Next())

	bob, held := login(t, addr, "bob")
	assert.Equal(t, task4.Notice(task4.StatusSystem, "bob has joined the chat"), alice.Next())
	assert.Equal(t, task4.StatusUserList, alice.Next().Status)
	require.Len(t, held, 4)
	var notice bonus3.OfflineNotice
	require.NoError(t, json.Unmarshal(held[0], &notice))
	assert.Equal(t, bonus3.OfflineNotice{Status: "offline_messages", Count: 3, Message: "You have 3 offline message(s)", Ack: true}, notice)
	for i, text := range []string{"first", "second"} {
		var m struct{ Status, Sender, Receiver, Text, Timestamp string }
		require.NoError(t, json.Unmarshal(held[1+i], &m))
		assert.Equal(t, "message", m.Status)
		assert.Equal(t, "alice", m.Sender)
		assert.Equal(t, text, m.Text, "in the order sent")
		assert.Regexp(t, stamp, m.Timestamp)
	}
	var ft bonus2.FileTransfer
	require.NoError(t, json.Unmarshal(held[3], &ft))
	assert.Equal(t, "later.txt", ft.Filename)
	assert.Regexp(t, stamp, ft.Timestamp)
	saved, err := bonus2.Downloads{Dir: t.TempDir()}.Save(ft)
	require.NoError(t, err, "a held file is saved exactly like a live one")
	assert.Equal(t, "later.txt", filepath.Base(saved))

	// Delivered messages are gone: the next log-in has none.
	// Once alice hears that bob left, his name is free again.
	bob.Conn.Close()
	assert.Equal(t, task4.Notice(task4.StatusSystem, "bob has left the chat"), alice.Next())
	assert.Equal(t, task4.StatusUserList, alice.Next().Status)
	_, held = login(t, addr, "bob")
	assert.Empty(t, held)
}

// A member who is away keeps their groups, and group messages wait for
// them.
func TestGroupMessagesWaitForAbsentMembers(t *testing.T) {
	store := open(t, filepath.Join(t.TempDir(), "q.db"), 0)
	addr := start(t, store)
	alice, _ := login(t, addr, "alice")
	bob, _ := login(t, addr, "bob")
	alice.Next() // bob joined
	alice.Next() // user list
	bob.Write(`{"type": "message", "receiver": "/create g", "text": ""}`)
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Group 'g' created successfully"), bob.Next())
	alice.Write(`{"type": "message", "receiver": "/join g", "text": ""}`)
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "Joined group 'g'"), alice.Next())
	bob.Conn.Close()
	alice.Next() // bob left
	alice.Next() // user list
	alice.Write(`{"type": "message", "receiver": "@g", "text": "meeting at noon"}`)
	var gm struct{ Status, Group, Sender, Text string }
	alice.Decode(&gm) // alice, a member, gets it now
	assert.Equal(t, "meeting at noon", gm.Text)
	assert.Equal(t, "Message sent to 1/2 members in 'g'", alice.Next().Message)

	_, held := login(t, addr, "bob")
	require.Len(t, held, 2)
	var waited struct{ Status, Group, Sender, Text, Timestamp string }
	require.NoError(t, json.Unmarshal(held[1], &waited))
	assert.Equal(t, "group_message", waited.Status)
	assert.Equal(t, "meeting at noon", waited.Text)
	assert.Regexp(t, stamp, waited.Timestamp)
}

func TestQueueBound(t *testing.T) {
	store := open(t, filepath.Join(t.TempDir(), "q.db"), 2)
	addr := start(t, store)
	alice, _ := login(t, addr, "alice")
	for range 2 {
		alice.Write(`{"type": "message", "receiver": "bob", "text": "hi"}`)
		assert.Equal(t, task4.StatusSent, alice.Next().Status)
	}
	alice.Write(`{"type": "message", "receiver": "bob", "text": "one too many"}`)
	got := alice.Next()
	assert.Equal(t, task4.StatusError, got.Status)
	assert.Contains(t, got.Message, "Message not queued for bob: the offline queue is full")
}

// Names beyond the table's bound log in, but nothing is held for them.
func TestKnownNamesBound(t *testing.T) {
	s, err := bonus3.Open(filepath.Join(t.TempDir(), "q.db"), bonus3.Limits{Known: 2})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for _, name := range []string{"alice", "Bob", "bob"} {
		ok, err := s.Know(name)
		require.NoError(t, err)
		assert.True(t, ok, name)
	}
	ok, err := s.Know("carol")
	require.NoError(t, err)
	assert.False(t, ok, "the table is full")
	assert.True(t, s.Known("BOB"), "names are known case-insensitively")
	assert.ErrorIs(t, s.Enqueue("carol", []byte("{}\n")), bonus3.ErrUnknown)
	assert.NoError(t, s.Enqueue("bob", []byte("{}\n")))
}

func TestStoreSurvivesReopening(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	s, err := bonus3.Open(path, bonus3.Limits{})
	require.NoError(t, err)
	for _, name := range []string{"bob", "carol"} {
		_, err := s.Know(name)
		require.NoError(t, err)
	}
	require.NoError(t, s.Enqueue("bob", []byte("one\n")))
	require.NoError(t, s.Enqueue("bob", []byte("two\n")))
	require.NoError(t, s.Enqueue("carol", []byte("three\n")))
	require.NoError(t, s.Close())

	s = open(t, path, 0)
	items, err := s.Pending("bob")
	require.NoError(t, err)
	require.Len(t, items, 2)
	assert.Equal(t, "one\n", string(items[0].Frame))
	require.NoError(t, s.Delete(items[0].ID))
	items, err = s.Pending("bob")
	require.NoError(t, err)
	assert.Equal(t, []string{"two\n"}, []string{string(items[0].Frame)})
}

var ready = regexp.MustCompile(`^\[INFO\] ClassChat bonus 3 server started on 127\.0\.0\.1:(\d+)$`)

// A server killed with SIGKILL and started again loses no message it
// accepted.
func TestSurvivesSIGKILL(t *testing.T) {
	bin := bintest.Build(t, "./cmd/server")[0]
	db := filepath.Join(t.TempDir(), "offline.db")
	srv := bintest.StartMatching(t, ready, bin, "-db", db, "0")
	alice := cctest.Dial(t, srv.Addr())
	alice.Write("alice\n")
	alice.Next()                          // welcome
	alice.Line()                          // help
	alice.Next()                          // user list
	bob, _ := login(t, srv.Addr(), "bob") // bob has logged in before
	alice.Next()                          // bob joined
	alice.Next()                          // user list
	bob.Conn.Close()
	assert.Equal(t, "bob has left the chat", alice.Next().Message)
	alice.Next() // user list
	alice.Write(`{"type": "message", "receiver": "bob", "text": "are you there?"}` + "\n")
	assert.Equal(t, "Message queued for bob (currently offline)", alice.Next().Message)

	require.NoError(t, srv.Cmd.Process.Signal(syscall.SIGKILL))
	srv.Wait(t)

	again := bintest.StartMatching(t, ready, bin, "-db", db, "0")
	_, held := login(t, again.Addr(), "bob")
	require.Len(t, held, 2)
	assert.Contains(t, string(held[1]), `"text":"are you there?"`)
}

// A message sent live while a user's held messages go out comes after
// them and after the help: it is newer than all of them.
func TestLiveMessageWaitsForTheHeldOnes(t *testing.T) {
	store := open(t, filepath.Join(t.TempDir(), "q.db"), 0)
	addr := start(t, store)
	alice, _ := login(t, addr, "alice")
	const held = 100
	for i := range held {
		alice.Write(fmt.Sprintf(`{"type": "message", "receiver": "bob", "text": "held %d"}`, i))
		require.Equal(t, task4.StatusSent, alice.Next().Status)
	}
	bob := cctest.Dial(t, addr)
	bob.Write("bob\n")
	assert.Equal(t, task4.Notice(task4.StatusSuccess, bonus3.Welcome, "bob"), bob.Next())
	alice.Write(`{"type": "message", "receiver": "bob", "text": "live"}`) // while the held ones go out

	var statuses, texts []string
	for len(texts) < held+1 {
		var m struct{ Status, Text string }
		bob.Decode(&m)
		statuses = append(statuses, m.Status)
		if m.Status == "message" {
			texts = append(texts, m.Text)
		}
	}
	assert.Equal(t, "live", texts[held], "the live message comes last")
	help := slices.Index(statuses, "help")
	assert.Equal(t, help, slices.Index(statuses, "message")+held, "the help follows the held messages, before the live one")
}

// Without -db, the queue lives in the user's data directory, in a file
// named after the port, and the server says where at start-up.
func TestDefaultDatabase(t *testing.T) {
	bin := bintest.Build(t, "./cmd/server")[0]
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	srv := bintest.StartMatching(t, ready, bin, "0")
	want := filepath.Join(data, "chatlab", "classchat-offline-"+srv.Port+".db")
	assert.Contains(t, srv.Before, "[INFO] offline messages are kept in "+want)
	_, err := os.Stat(want)
	assert.NoError(t, err, "the database is where the server said")
}
