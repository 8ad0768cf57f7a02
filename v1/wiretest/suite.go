package wiretest

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/proto"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

// Suite runs the rules of docs/protocol.md §1 and every command against env's server.
// Every stage runs it; a stage's own tests add what is particular to it.
func Suite(t *testing.T, env Env) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Env)
	}{
		{"LoginAck", testLoginAck},
		{"UsernameRules", testUsernameRules},
		{"UsernamesUniqueIgnoringCase", testUsernamesUniqueIgnoringCase},
		{"ServerFull", testServerFull},
		{"AlreadyLoggedIn", testAlreadyLoggedIn},
		{"LoginTimeout", testLoginTimeout},
		{"RoomMessage", testRoomMessage},
		{"TextLimits", testTextLimits},
		{"JoinRoom", testJoinRoom},
		{"RoomNameRules", testRoomNameRules},
		{"RoomsComeAndGo", testRoomsComeAndGo},
		{"PrivateMessage", testPrivateMessage},
		{"ListUsers", testListUsers},
		{"ListRooms", testListRooms},
		{"DisconnectAnnounced", testDisconnectAnnounced},
		{"ShutdownTellsEveryone", testShutdownTellsEveryone},
		{"SlowConsumerCannotStallOthers", testSlowConsumer},
		{"StallInsideAMessage", testStallInsideAMessage},
		{"BurstThenStall", testBurstThenStall},
		{"ReadBudget", testReadBudget},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, env) })
	}
}

func testLoginAck(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	bob := srv.Login("bob")
	alice.Expect("bob's arrival", System("bob joined general"))
	alice.Send(proto.Message{Kind: proto.KindListUsers})
	assert.Equal(t, proto.Message{Kind: proto.KindListUsers, Room: "general", Users: []string{"alice", "bob"}}, alice.Next())
	Sync(t, bob) // bob is not told of his own arrival
}

func testUsernameRules(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	valid := []string{"a", "Z", "0", strings.Repeat("x", 20), "user_1-x.y", "Zoë", "日本語", strings.Repeat("é", 20)}
	for _, name := range valid {
		c := srv.Login(name)
		c.Raw.Close()
	}
	invalid := []string{"", strings.Repeat("x", 21), strings.Repeat("é", 21), "a b", "a@b", "tab\t", "new\nline", "semi;colon", "emoji🙂", "slash/"}
	for _, name := range invalid {
		c := srv.Dial()
		c.Send(proto.Message{Kind: proto.KindLogin, Username: name})
		got := c.ExpectClosed()
		require.Len(t, got, 1, "username %q", name)
		assert.Equal(t, proto.KindLoginReject, got[0].Kind, "username %q", name)
		assert.Equal(t, proto.ReasonNameInvalid, got[0].Reason, "username %q", name)
		assert.NotEmpty(t, got[0].Text)
	}
}

func testUsernamesUniqueIgnoringCase(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	for _, name := range []string{"alice", "ALICE", "Alice"} {
		c := srv.Dial()
		c.Send(proto.Message{Kind: proto.KindLogin, Username: name})
		got := c.ExpectClosed()
		require.Len(t, got, 1)
		assert.Equal(t, proto.KindLoginReject, got[0].Kind)
		assert.Equal(t, proto.ReasonNameTaken, got[0].Reason, "username %q", name)
	}
	// The first alice was not disturbed and saw nobody come or go.
	Sync(t, alice)
	// Once she leaves, the name is free again in any case. (Her session
	// ends a moment after her connection: try until it has.)
	alice.Raw.Close()
	waitUntilOffline(t, srv.Login("bob"), "alice")
	eventually(t, "the name alice to be free", func() bool {
		c := srv.Dial()
		c.Send(proto.Message{Kind: proto.KindLogin, Username: "ALICE"})
		return c.Next().Kind == proto.KindLoginAck
	})
}

// eventually asks until cond holds, failing after chattest.Timeout. Each
// call of cond must wait for an answer from the server: that is the pace.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(chattest.Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", chattest.Timeout, what)
		}
	}
}

// waitUntilOffline waits until the server has let name go, asking through
// via with private messages (each answered at once) until one is
// undeliverable. Other messages to via are skipped.
func waitUntilOffline(t *testing.T, via *Client, name string) {
	t.Helper()
	deadline := time.Now().Add(chattest.Timeout)
	for time.Now().Before(deadline) {
		via.Send(proto.Message{Kind: proto.KindPrivateMsg, To: name, Text: "still there?"})
		m := via.Expect("a delivery report", func(m proto.Message) bool { return m.Kind == proto.KindPrivateMsgDelivery })
		if m.Status == proto.StatusNoSuchUser {
			return
		}
	}
	t.Fatalf("%s still online after %v", name, chattest.Timeout)
}

func testServerFull(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{MaxUsers: 2})
	srv.Login("alice")
	srv.Login("bob")
	c := srv.Dial()
	c.Send(proto.Message{Kind: proto.KindLogin, Username: "carol"})
	got := c.ExpectClosed()
	require.Len(t, got, 1)
	assert.Equal(t, proto.KindLoginReject, got[0].Kind)
	assert.Equal(t, proto.ReasonServerFull, got[0].Reason)
}

func testAlreadyLoggedIn(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	alice.Send(proto.Message{Kind: proto.KindLogin, Username: "alice2"})
	m := alice.Next()
	assert.Equal(t, proto.KindErrorMsg, m.Kind)
	assert.Equal(t, proto.CodeAlreadyLoggedIn, m.Code)
	// Not fatal, and the name did not change.
	alice.Send(proto.Message{Kind: proto.KindListUsers})
	assert.Equal(t, []string{"alice"}, alice.Next().Users)
}

func testLoginTimeout(t *testing.T, env Env) {
	// Short, for the test, yet long enough for alice's log-in on a busy
	// machine.
	srv := env.StartServer(t, chatserver.Config{LoginTimeout: time.Second})
	alice := srv.Login("alice")
	idle := srv.Dial()
	assert.Empty(t, idle.ExpectClosed(), "closed without a word")
	// The time limit is over for idle, so it is over for alice too, who
	// logged in and stays.
	Sync(t, alice)
}

func testRoomMessage(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	bob := srv.Login("bob")
	carol := srv.Login("carol")
	carol.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	carol.Expect("the join reply", func(m proto.Message) bool { return m.Kind == proto.KindJoinRoom })
	alice.Expect("carol leaving", System("carol left general"))
	bob.Expect("carol leaving", System("carol left general"))

	alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi"})
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsgAck, Room: "general", Recipients: 1}, alice.Next(),
		"the sender gets the ack, not the message")
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hi"}, bob.Next())
	Sync(t, carol) // another room hears nothing

	carol.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "anyone?"})
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsgAck, Room: "tech", Recipients: 0}, carol.Next())
	Sync(t, alice)
	Sync(t, bob)
}

func testTextLimits(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	bob := srv.Login("bob")
	alice.Expect("bob's arrival", System("bob joined general"))

	maxText := strings.Repeat("€", proto.MaxTextBytes/3) + "x" // 4096 bytes, 1366 code points
	require.Len(t, maxText, proto.MaxTextBytes)
	for _, tc := range []struct {
		name string
		text string
		code proto.ErrorCode
	}{
		{"empty", "", proto.CodeEmpty},
		{"one byte over", maxText + "x", proto.CodeTooLong},
		{"exactly the limit", maxText, 0},
		{"one byte", "x", 0},
	} {
		for _, kind := range []proto.Kind{proto.KindRoomMsg, proto.KindPrivateMsg} {
			alice.Send(proto.Message{Kind: kind, To: "bob", Text: tc.text})
			reply := alice.Next()
			if tc.code != 0 {
				assert.Equal(t, proto.KindErrorMsg, reply.Kind, "%s %s", tc.name, kind)
				assert.Equal(t, tc.code, reply.Code, "%s %s", tc.name, kind)
				continue
			}
			assert.NotEqual(t, proto.KindErrorMsg, reply.Kind, "%s %s", tc.name, kind)
			assert.Equal(t, tc.text, bob.Next().Text, "%s %s", tc.name, kind)
		}
	}
	Sync(t, bob) // refused text reached nobody, and the errors were not fatal
}

func testJoinRoom(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	bob := srv.Login("bob")
	alice.Expect("bob's arrival", System("bob joined general"))

	alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "tech", Created: true}, alice.Next())
	assert.Equal(t, proto.Message{Kind: proto.KindSystemMsg, Text: "alice left general"}, bob.Next())

	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "tech", Created: false}, bob.Next())
	assert.Equal(t, proto.Message{Kind: proto.KindSystemMsg, Text: "bob joined tech"}, alice.Next())

	// Joining the room one is in changes nothing and announces nothing.
	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "tech", Created: false}, bob.Next())
	Sync(t, alice)

	// Rooms are told apart by their exact name.
	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "Tech"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "Tech", Created: true}, bob.Next())
	assert.Equal(t, proto.Message{Kind: proto.KindSystemMsg, Text: "bob left tech"}, alice.Next())
}

func testRoomNameRules(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	for _, room := range []string{"", strings.Repeat("r", 33), "two words", "#hash", "a/b"} {
		alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
		m := alice.Next()
		assert.Equal(t, proto.KindErrorMsg, m.Kind, "room %q", room)
		assert.Equal(t, proto.CodeNameInvalid, m.Code, "room %q", room)
	}
	alice.Send(proto.Message{Kind: proto.KindListUsers})
	assert.Equal(t, "general", alice.Next().Room, "still in general")
	for _, room := range []string{strings.Repeat("r", 32), "Café_1-2.3"} {
		alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
		assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: room, Created: true}, alice.Next())
	}
}

func testRoomsComeAndGo(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	bob := srv.Login("bob")
	alice.Expect("bob's arrival", System("bob joined general"))
	alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "tech", Created: true}, alice.Next())
	bob.Expect("alice leaving", System("alice left general"))
	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "tech"}, bob.Next())
	assert.Equal(t, []proto.RoomInfo{{Name: "general", Members: 0}, {Name: "tech", Members: 2}}, Sync(t, bob).Rooms,
		"general stays though empty")

	alice.Expect("bob's arrival", System("bob joined tech"))
	alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "general"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "general"}, alice.Next())
	bob.Expect("alice leaving", System("alice left tech"))
	bob.Raw.Close() // tech's last member goes
	waitUntilOffline(t, alice, "bob")
	eventually(t, "an empty room to disappear", func() bool {
		return len(Sync(t, alice).Rooms) == 1
	})
	assert.Equal(t, []proto.RoomInfo{{Name: "general", Members: 1}}, Sync(t, alice).Rooms)
}

func testPrivateMessage(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	bob := srv.Login("Bob")
	alice.Expect("Bob's arrival", System("Bob joined general"))
	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "elsewhere"})
	bob.Next()
	alice.Expect("Bob leaving", System("Bob left general"))

	alice.Send(proto.Message{Kind: proto.KindPrivateMsg, To: "bob", Text: "psst"})
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusDelivered, To: "Bob"}, alice.Next(),
		"recipients are found ignoring case, in any room")
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsg, From: "alice", Text: "psst"}, bob.Next())

	alice.Send(proto.Message{Kind: proto.KindPrivateMsg, To: "nobody", Text: "hello?"})
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusNoSuchUser, To: "nobody"}, alice.Next())
	alice.Send(proto.Message{Kind: proto.KindPrivateMsg, To: "not a name!", Text: "hello?"})
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusNoSuchUser, To: "not a name!"}, alice.Next())

	alice.Send(proto.Message{Kind: proto.KindPrivateMsg, To: "alice", Text: "note to self"})
	first, second := alice.Next(), alice.Next()
	assert.ElementsMatch(t, []proto.Message{
		{Kind: proto.KindPrivateMsg, From: "alice", Text: "note to self"},
		{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusDelivered, To: "alice"},
	}, []proto.Message{first, second}, "a message to oneself is delivered")
	Sync(t, bob)
}

func testListUsers(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	var clients []*Client
	for _, name := range []string{"carol", "Alice", "bob", "dave"} {
		clients = append(clients, srv.Login(name))
	}
	dave := clients[3]
	dave.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	dave.Next()
	carol := clients[0]
	carol.Expect("dave leaving", System("dave left general"))
	carol.Send(proto.Message{Kind: proto.KindListUsers})
	assert.Equal(t, proto.Message{Kind: proto.KindListUsers, Room: "general", Users: []string{"Alice", "bob", "carol"}}, carol.Next(),
		"the users of the asker's room, sorted")
	dave.Send(proto.Message{Kind: proto.KindListUsers})
	assert.Equal(t, proto.Message{Kind: proto.KindListUsers, Room: "tech", Users: []string{"dave"}}, dave.Next())
}

func testListRooms(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	for _, u := range []struct{ name, room string }{{"a", "zoo"}, {"b", "art"}, {"c", "art"}, {"d", ""}} {
		c := srv.Login(u.name)
		if u.room != "" {
			c.Send(proto.Message{Kind: proto.KindJoinRoom, Room: u.room})
			c.Expect("the join reply", func(m proto.Message) bool { return m.Kind == proto.KindJoinRoom })
		}
	}
	e := srv.Login("e")
	assert.Equal(t, []proto.RoomInfo{{Name: "art", Members: 2}, {Name: "general", Members: 2}, {Name: "zoo", Members: 1}}, Sync(t, e).Rooms)
}

func testDisconnectAnnounced(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{})
	alice := srv.Login("alice")
	bob := srv.Login("bob")
	alice.Expect("bob's arrival", System("bob joined general"))
	bob.Raw.Close()
	assert.Equal(t, proto.Message{Kind: proto.KindSystemMsg, Text: "bob left general"}, alice.Next())
	alice.Send(proto.Message{Kind: proto.KindListUsers})
	assert.Equal(t, []string{"alice"}, alice.Next().Users)
}

func testShutdownTellsEveryone(t *testing.T, env Env) {
	if env.Start != nil {
		t.Skip("a stage with its own transport tests its shutdown itself")
	}
	srv := chatserver.New(chatserver.Config{Codec: env.Codec})
	s := &Server{t: t, env: env, Addr: chattest.Start(t, srv)}
	// The server accepts in order: once bob is logged in, anon (dialled
	// first) has been accepted too, not left in the listen backlog.
	anon := s.Dial()
	alice := s.Login("alice")
	bob := s.Login("bob")
	alice.Expect("bob's arrival", System("bob joined general"))
	Sync(t, bob)

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(t.Context()) }()
	for _, c := range []*Client{alice, bob, anon} {
		got := c.ExpectClosed()
		assert.Equal(t, []proto.Message{{Kind: proto.KindSystemMsg, Text: proto.ShutdownMessage}}, got,
			"the last word before the close")
	}
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(chattest.Timeout):
		t.Fatal("shutdown did not finish")
	}
}

// A client that logs in and then never reads must not slow anyone down:
// the others keep chatting, each message answered at once, until the
// server cuts it off. How soon that comes is a matter of bytes (the
// socket buffers and the queue), never of time: the test bounds the bytes.
func testSlowConsumer(t *testing.T, env Env) {
	srv := env.StartServer(t, chatserver.Config{QueueBytes: 64 << 10})
	sloth := srv.DialRaw()
	// A small receive buffer fills sooner. (On a TLS connection, the one
	// underneath.)
	raw := sloth
	if tc, ok := raw.(interface{ NetConn() net.Conn }); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		require.NoError(t, tcp.SetReadBuffer(4096))
	}
	login, err := Codec(env.Codec).Encode(proto.Message{Kind: proto.KindLogin, Username: "sloth"})
	require.NoError(t, err)
	sloth.SetDeadline(time.Now().Add(chattest.Timeout))
	_, err = sloth.Write(login)
	require.NoError(t, err)
	ack, err := Codec(env.Codec).NewDecoder(sloth)()
	require.NoError(t, err)
	require.Equal(t, proto.KindLoginAck, ack.Kind, Format(ack))
	// From here on sloth reads nothing.

	alice := srv.Login("alice")
	bob := srv.Login("bob")
	alice.Expect("bob's arrival", System("bob joined general"))

	// alice sends a few messages at a time, so that filling the buffers
	// takes fewer round trips; each is answered, and bob gets each.
	const window = 8
	text := string(bytes.Repeat([]byte("z"), proto.MaxTextBytes))
	left := System("sloth left general")
	cut, aliceSaw, bobSaw := -1, false, false // the first message sloth did not take
	for sent := 0; cut < 0; sent += window {
		// Far more than the socket buffers and the queue can hold.
		require.Less(t, sent*len(text), 64<<20, "sloth was never cut off (sent %d messages)", sent)
		for range window {
			alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: text})
		}
		for i := range window {
			ack := alice.Next() // never delayed by sloth
			if cut >= 0 && left(ack) {
				aliceSaw, ack = true, alice.Next()
			}
			require.Equal(t, proto.KindRoomMsgAck, ack.Kind, "got %s", Format(ack))
			m := bob.Next()
			if cut >= 0 && left(m) {
				bobSaw, m = true, bob.Next()
			}
			require.Equal(t, proto.KindRoomMsg, m.Kind, "bob keeps receiving (got %s)", Format(m))
			switch {
			case cut < 0 && ack.Recipients == 1:
				cut = sent + i // sloth no longer took the message
			case cut < 0:
				require.EqualValues(t, 2, ack.Recipients)
			default:
				require.EqualValues(t, 1, ack.Recipients, "sloth is gone")
			}
		}
	}
	if !aliceSaw {
		alice.Expect("sloth being cut off", left)
	}
	if !bobSaw {
		bob.Expect("sloth being cut off", left)
	}
	alice.Send(proto.Message{Kind: proto.KindListUsers})
	assert.Equal(t, []string{"alice", "bob"}, alice.Next().Users)
}

// partial returns the bytes of a ROOM_MSG of n bytes of text but its last
// 100: a message begun and not finished. (The text is over the limit of
// §1.7, which the server can only know once it has read the message.)
func partial(t *testing.T, env Env, n int) []byte {
	t.Helper()
	b, err := Codec(env.Codec).Encode(proto.Message{Kind: proto.KindRoomMsg, Text: strings.Repeat("m", n)})
	require.NoError(t, err)
	return b[:len(b)-100]
}

// A client that stops in the middle of a message is closed once the frame
// timeout has passed; one idle between messages for longer is not.
func testStallInsideAMessage(t *testing.T, env Env) {
	const timeout = 300 * time.Millisecond
	log := chattest.NewOutput()
	srv := env.StartServer(t, chatserver.Config{
		FrameTimeout: timeout, FrameMinRate: 1 << 20, Logger: logging.New(log, false),
	})
	bob := srv.Login("bob")
	mallory := srv.Login("mallory")
	bob.Expect("mallory's arrival", System("mallory joined general"))
	Sync(t, bob)

	begun := time.Now()
	mallory.SendRaw(partial(t, env, 60000))
	assert.Empty(t, mallory.ExpectClosed())
	assert.GreaterOrEqual(t, time.Since(begun), timeout-timeout/10, "closed before the frame timeout")
	bob.Expect("mallory's departure", System("mallory left general"))
	log.WaitFor(t, "message not finished in time")
	// bob has been idle for longer than the frame timeout, and is still
	// here.
	Sync(t, bob)
	assert.NotContains(t, log.String(), "user=bob reason=")
}

// A client that sends most of a message at once and stops is closed once
// it has not moved for the frame timeout: what it sent earns it no time
// in advance, however low the minimum rate.
func testBurstThenStall(t *testing.T, env Env) {
	const timeout = 300 * time.Millisecond
	log := chattest.NewOutput()
	// 60 KB at an average of 100 bytes a second would be ten minutes.
	srv := env.StartServer(t, chatserver.Config{
		FrameTimeout: timeout, FrameMinRate: 100, Logger: logging.New(log, false),
	})
	mallory := srv.Login("mallory")
	begun := time.Now()
	mallory.SendRaw(partial(t, env, 60000))
	assert.Empty(t, mallory.ExpectClosed())
	assert.GreaterOrEqual(t, time.Since(begun), timeout, "closed before the frame timeout")
	log.WaitFor(t, "message not finished in time (--frame-timeout 300ms without progress, or below 100 bytes a second)")
}

// Partly read messages share a server-wide budget: a client whose message
// would go past it is closed, while others, whose messages are whole, go
// on.
func testReadBudget(t *testing.T, env Env) {
	log := chattest.NewOutput()
	srv := env.StartServer(t, chatserver.Config{
		ReadBudget: 100 << 10, FrameTimeout: time.Hour, Logger: logging.New(log, false),
	})
	bob := srv.Login("bob")
	// Four messages of 40 KB, the first 4 KiB of each free: about 144 KiB
	// held, more than the budget, whatever the order they are read in.
	for i := range 4 {
		c := srv.Login(fmt.Sprintf("mallory%d", i))
		c.SendRaw(partial(t, env, 40000))
	}
	bob.Expect("a mallory cut off", func(m proto.Message) bool {
		return m.Kind == proto.KindSystemMsg && strings.HasPrefix(m.Text, "mallory") && strings.HasSuffix(m.Text, " left general")
	})
	log.WaitFor(t, "server busy: read budget spent")
	// bob's messages are whole: the spent budget does not touch them.
	text := strings.Repeat("b", proto.MaxTextBytes)
	for range 3 {
		bob.Send(proto.Message{Kind: proto.KindRoomMsg, Text: text})
		ack := bob.Expect("the ack of bob's message", func(m proto.Message) bool { return m.Kind == proto.KindRoomMsgAck })
		assert.Equal(t, "general", ack.Room)
	}
	carol := srv.Login("carol")
	carol.Send(proto.Message{Kind: proto.KindRoomMsg, Text: text})
	assert.Equal(t, proto.KindRoomMsgAck, carol.Expect("carol's ack", func(m proto.Message) bool { return m.Kind == proto.KindRoomMsgAck }).Kind)
}
