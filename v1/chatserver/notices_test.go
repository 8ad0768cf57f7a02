package chatserver_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/chattest"
)

// never is an interval no test waits for: what a big room gathers goes
// out only before a room message (or when the room becomes small).
const never = time.Hour

func startNotices(t *testing.T, batch int, interval time.Duration) *wiretest.Server {
	return wiretest.Env{Codec: jsonwire.Codec{}}.StartServer(t, chatserver.Config{NoticeBatch: batch, NoticeInterval: interval})
}

func system(text string) proto.Message {
	return proto.Message{Kind: proto.KindSystemMsg, Text: text}
}

func roomMsg(room, from, text string) proto.Message {
	return proto.Message{Kind: proto.KindRoomMsg, Room: room, From: from, Text: text}
}

func join(t *testing.T, c *wiretest.Client, room string) {
	t.Helper()
	c.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
	m := c.Expect("the JOIN_ROOM reply", func(m proto.Message) bool { return m.Kind == proto.KindJoinRoom })
	require.Equal(t, room, m.Room)
}

func jname(i int) string { return fmt.Sprintf("j%02d", i) }

// Up to the threshold every join and leave is announced alone, with the
// text of the specification; with the default threshold that holds for
// rooms of up to 50 members.
func TestSmallRoomAnnouncesEachAlone(t *testing.T) {
	srv := startNotices(t, 0, never)
	w := srv.Login("w")
	others := make([]*wiretest.Client, 0, chatserver.DefaultNoticeBatch)
	for i := 1; i < chatserver.DefaultNoticeBatch; i++ {
		others = append(others, srv.Login(jname(i)))
		assert.Equal(t, system(jname(i)+" joined general"), w.Next())
	}
	// The room holds 50 now: a departure is announced alone, and so is
	// the arrival that makes 50 again.
	join(t, others[0], "side")
	assert.Equal(t, system(jname(1)+" left general"), w.Next())
	join(t, others[0], "general")
	assert.Equal(t, system(jname(1)+" joined general"), w.Next())
	others[1].Raw.Close()
	assert.Equal(t, system(jname(2)+" left general"), w.Next())
	wiretest.Sync(t, w)
}

// Above the threshold, the joins of an interval reach each member as one
// notice, before any later message to the room: here the message of one
// who just joined. Those it names do not get it.
func TestBigRoomGathersJoins(t *testing.T) {
	srv := startNotices(t, 3, never)
	w := srv.Login("w")
	a := srv.Login("a")
	b := srv.Login("b")
	assert.Equal(t, system("a joined general"), w.Next())
	assert.Equal(t, system("b joined general"), w.Next())
	assert.Equal(t, system("b joined general"), a.Next())

	const n = 40 // the room holds 4 to 43: more than 3
	joiners := make([]*wiretest.Client, n+1)
	for i := 1; i <= n; i++ {
		joiners[i] = srv.Login(jname(i))
	}
	wiretest.Sync(t, w) // nothing yet

	joiners[n].Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi"})
	notice := system("j01, j02 and 38 others joined general")
	for _, c := range []*wiretest.Client{w, a, b} {
		assert.Equal(t, notice, c.Next())
		assert.Equal(t, roomMsg("general", jname(n), "hi"), c.Next())
	}
	assert.Equal(t, roomMsg("general", jname(n), "hi"), joiners[1].Next(), "j01 is not told of itself")
	ack := joiners[n].Next()
	assert.Equal(t, proto.KindRoomMsgAck, ack.Kind)
	assert.EqualValues(t, n+2, ack.Recipients)
	wiretest.Sync(t, w)
	wiretest.Sync(t, joiners[1])
}

// Leaves are gathered the same way, in the order they happened.
func TestBigRoomGathersLeaves(t *testing.T) {
	srv := startNotices(t, 3, never)
	w := srv.Login("w")
	joiners := make([]*wiretest.Client, 11)
	for i := 1; i <= 10; i++ {
		joiners[i] = srv.Login(jname(i))
	}
	// j01 and j02 make 2 and 3: announced alone; j03 to j10 gathered.
	assert.Equal(t, system("j01 joined general"), w.Next())
	assert.Equal(t, system("j02 joined general"), w.Next())
	w.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "welcome"})
	assert.Equal(t, system("j03, j04 and 6 others joined general"), w.Next())
	require.Equal(t, proto.KindRoomMsgAck, w.Next().Kind)

	for i := 1; i <= 6; i++ { // general goes from 11 to 5: more than 3
		join(t, joiners[i], "side")
	}
	w.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "bye"})
	assert.Equal(t, system("j01, j02 and 4 others left general"), w.Next())
	require.Equal(t, proto.KindRoomMsgAck, w.Next().Kind)
	joiners[7].Expect("the welcome", func(m proto.Message) bool { return m.Text == "welcome" })
	assert.Equal(t, system("j01, j02 and 4 others left general"), joiners[7].Next())
	assert.Equal(t, roomMsg("general", "w", "bye"), joiners[7].Next())
}

// Who joins and leaves within an interval is not announced, nor is who
// leaves and comes back; a notice with two or three names spells them out.
func TestBigRoomComeAndGo(t *testing.T) {
	srv := startNotices(t, 1, never)
	w := srv.Login("w")
	a := srv.Login("a") // the room holds 2: gathered from here
	w.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi"})
	assert.Equal(t, system("a joined general"), w.Next(), "one alone: the text of the specification")
	require.Equal(t, proto.KindRoomMsgAck, w.Next().Kind)
	assert.Equal(t, roomMsg("general", "w", "hi"), a.Next())

	x := srv.Login("x")
	join(t, x, "side")
	y := srv.Login("y")
	join(t, a, "side")
	join(t, a, "general")
	z := srv.Login("z")
	v := srv.Login("v")
	z.Raw.Close()
	// z is gone once the server has taken it out of the room.
	require.Eventually(t, func() bool {
		w.Send(proto.Message{Kind: proto.KindListUsers})
		return !slices.Contains(w.Next().Users, "z")
	}, chattest.Timeout, time.Millisecond)

	w.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi"})
	assert.Equal(t, system("y and v joined general"), w.Next())
	require.Equal(t, proto.KindRoomMsgAck, w.Next().Kind)
	assert.Equal(t, system("y and v joined general"), a.Next(), "a came back: it is not named")
	assert.Equal(t, roomMsg("general", "w", "hi"), a.Next())
	assert.Equal(t, roomMsg("general", "w", "hi"), y.Next())
	assert.Equal(t, roomMsg("general", "w", "hi"), v.Next())
	wiretest.Sync(t, w)
	wiretest.Sync(t, x)

	for _, name := range []string{"b", "c", "d"} {
		srv.Login(name)
	}
	w.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi"})
	assert.Equal(t, system("b, c and d joined general"), w.Next())
	require.Equal(t, proto.KindRoomMsgAck, w.Next().Kind)
}

// A room that becomes small announces at once again: what it had gathered
// goes out first, together with the change that made it small, so that a
// departure is never announced whose arrival was not. A room removed
// leaves nothing behind for the next room of that name.
func TestRoomBecomingSmall(t *testing.T) {
	srv := startNotices(t, 2, never)
	a := srv.Login("a")
	b := srv.Login("b")
	join(t, a, "tech")
	join(t, b, "tech")
	assert.Equal(t, system("b joined tech"), a.Next())
	c := srv.Login("c")
	d := srv.Login("d")
	join(t, c, "tech") // tech holds 3: gathered
	join(t, d, "tech")
	join(t, c, "general")
	join(t, d, "general") // tech holds 2 again; d came and went: nothing to say
	wiretest.Sync(t, a)

	e := srv.Login("e")
	join(t, e, "tech")
	join(t, b, "general")
	assert.Equal(t, system("e joined tech"), a.Next())
	assert.Equal(t, system("b left tech"), a.Next())
	assert.Equal(t, system("b left tech"), e.Next(), "e is not told of itself")
	wiretest.Sync(t, a)
	wiretest.Sync(t, e)

	join(t, a, "general")
	join(t, e, "general") // tech is removed
	c.Send(proto.Message{Kind: proto.KindJoinRoom, Room: "tech"})
	assert.Equal(t, proto.Message{Kind: proto.KindJoinRoom, Room: "tech", Created: true}, c.Expect("the JOIN_ROOM reply", func(m proto.Message) bool { return m.Kind == proto.KindJoinRoom }))
	wiretest.Sync(t, c)
}

// noticeCount parses a notice of joins to general and returns its names
// spelled out and how many it announces.
func noticeCount(t *testing.T, text string) ([]string, int) {
	t.Helper()
	m := regexp.MustCompile(`^(?:(\w+)|(\w+) and (\w+)|(\w+), (\w+) and (\w+)|(\w+), (\w+) and (\d+) others) joined general$`).FindStringSubmatch(text)
	require.NotNil(t, m, "not a notice of joins: %q", text)
	switch {
	case m[1] != "":
		return m[1:2], 1
	case m[2] != "":
		return m[2:4], 2
	case m[4] != "":
		return m[4:7], 3
	}
	k, err := strconv.Atoi(m[9])
	require.NoError(t, err)
	require.Greater(t, k, 1, "%q", text)
	return m[7:9], 2 + k
}

// With nothing else happening, what an interval gathered goes out at its
// end. (How many intervals the joins span depends on the machine: the
// notices together announce each once, in order.)
func TestBigRoomNoticeAtTheEndOfTheInterval(t *testing.T) {
	srv := startNotices(t, 1, 20*time.Millisecond)
	w := srv.Login("w")
	const n = 30
	for i := 1; i <= n; i++ {
		srv.Login(jname(i))
	}
	var named []string
	for total := 0; total < n; {
		m := w.Next()
		require.Equal(t, proto.KindSystemMsg, m.Kind, wiretest.Format(m))
		names, k := noticeCount(t, m.Text)
		require.Equal(t, jname(total+1), names[0], "the first named is the first not yet announced")
		named = append(named, names...)
		total += k
		require.LessOrEqual(t, total, n, "announced more than joined")
	}
	assert.True(t, slices.IsSorted(named), "in the order of arrival: %v", named)
	wiretest.Sync(t, w)
}

// What a big room gathered is not announced once the server shuts down:
// "server shutting down" stays the last word.
func TestShutdownWithNoticesGathered(t *testing.T) {
	srv := chatserver.New(chatserver.Config{Codec: jsonwire.Codec{}, NoticeBatch: 1, NoticeInterval: never})
	addr := chattest.Start(t, srv)
	login := func(name string) *wiretest.Client {
		c := chattest.Dial(t, addr, wiretest.Codec(jsonwire.Codec{}))
		c.Send(proto.Message{Kind: proto.KindLogin, Username: name})
		require.Equal(t, proto.KindLoginAck, c.Next().Kind)
		return c
	}
	w := login("w")
	for i := 1; i <= 5; i++ {
		login(jname(i))
	}
	wiretest.Sync(t, w)
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(t.Context()) }()
	assert.Equal(t, []proto.Message{system(proto.ShutdownMessage)}, w.ExpectClosed())
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(chattest.Timeout):
		t.Fatal("shutdown did not finish")
	}
}

// Members leave a room from anywhere in it, and the room stays exact:
// 100 log in, every other one leaves, then all but ten; the list and the
// recipients of a message are those left, each once.
func TestMembersLeaveFromAnywhere(t *testing.T) {
	srv := startNotices(t, 0, never)
	const n = 100
	clients := make([]*wiretest.Client, n)
	for i := range n {
		clients[i] = srv.Login(jname(i))
	}
	stay := func(i int) bool { return i%2 == 0 && i < 20 || i == n-1 }
	for _, i := range oddThenEven(n) {
		if !stay(i) {
			join(t, clients[i], "side")
		}
	}
	var want []string
	for i := range n {
		if stay(i) {
			want = append(want, jname(i))
		}
	}
	last := clients[n-1]
	last.Send(proto.Message{Kind: proto.KindListUsers})
	users := last.Expect("the user list", func(m proto.Message) bool { return m.Kind == proto.KindListUsers })
	assert.Equal(t, want, users.Users)

	last.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "who is here"})
	ack := last.Expect("the ack", func(m proto.Message) bool { return m.Kind == proto.KindRoomMsgAck })
	assert.EqualValues(t, len(want)-1, ack.Recipients)
	for i := range n - 1 {
		if stay(i) {
			clients[i].Expect("the message", func(m proto.Message) bool { return m.Kind == proto.KindRoomMsg && m.Text == "who is here" })
		}
	}
}

// oddThenEven is 1, 3, 5, … then 0, 2, 4, … below n.
func oddThenEven(n int) []int {
	var out []int
	for _, start := range []int{1, 0} {
		for i := start; i < n; i += 2 {
			out = append(out, i)
		}
	}
	return out
}
