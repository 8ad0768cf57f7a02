package chatproto

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/lab/grade"
	"chatlab/lab/rubric"
	"chatlab/shared/chattest"
)

// The checks of spec §1 and §4, which every stage passes in its own
// encoding and transport. Each uses names of its own, so they can share
// one server with each other and with anyone else.

func (w *wire) sessionChecks(lenient bool) []rubric.Check {
	return []rubric.Check{
		{Name: "the server prints its two start-up lines", Rule: "§4", Points: 2, Run: w.startupLines},
		{Name: "LOGIN is answered with LOGIN_ACK, in room general", Rule: "§1.2", Points: 8, Run: w.loginAck},
		{Name: "valid user names are accepted (1–20 letters, digits, _ - .)", Rule: "§1.3", Points: 4, Run: w.validNames},
		{Name: "invalid user names get LOGIN_REJECT name_invalid and the connection closes", Rule: "§1.2, §1.3", Points: 5, Run: w.invalidNames},
		{Name: "user names are unique ignoring case; the first session is not disturbed", Rule: "§1.3", Points: 6, Run: w.uniqueNames},
		{Name: "a message before LOGIN gets ERROR_MSG not_logged_in" + map[bool]string{true: " (or the connection closes)"}[lenient], Rule: "§1.1", Points: 4, Run: w.beforeLogin(lenient)},
		{Name: "a second LOGIN gets ERROR_MSG already_logged_in; the session goes on", Rule: "§2 error codes", Points: 3, Run: w.secondLogin},
		{Name: "a connection that does not log in is closed after 10 seconds", Rule: "§1.2", Points: 3, Slow: true, Run: w.loginTimeout},
		{Name: "room text reaches every other member of the room, and not the sender", Rule: "§1.5", Points: 8, Run: w.roomText},
		{Name: "the sender gets ROOM_MSG_ACK with the room and the number of recipients", Rule: "§1.5", Points: 4, Run: w.roomAck},
		{Name: "JOIN_ROOM creates a missing room and says whether it did", Rule: "§1.4", Points: 5, Run: w.joinCreates},
		{Name: "joins and room switches are announced to the rooms concerned", Rule: "§1.6", Points: 5, Run: w.joinAnnounced},
		{Name: "a user is in one room at a time: text stays in its room", Rule: "§1.4", Points: 4, Run: w.oneRoom},
		{Name: "a room disappears with its last member; general always exists", Rule: "§1.4", Points: 4, Run: w.roomsComeAndGo},
		{Name: "invalid room names get ERROR_MSG name_invalid; the session goes on", Rule: "§1.4", Points: 3, Run: w.invalidRooms},
		{Name: "PRIVATE_MSG reaches its user in any room; the sender gets status delivered", Rule: "§1.8", Points: 6, Run: w.privateMsg},
		{Name: "a private message to nobody online gets no_such_user; one to oneself is delivered", Rule: "§1.8", Points: 4, Run: w.privateEdge},
		{Name: "LIST_USERS lists the users of the sender's room, sorted", Rule: "§2, §3", Points: 4, Run: w.listUsers},
		{Name: "LIST_ROOMS lists the rooms with their member counts, sorted by name", Rule: "§2, §3", Points: 4, Run: w.listRooms},
		{Name: "a disconnect is announced to the room", Rule: "§1.6, §1.9", Points: 4, Run: w.disconnect},
		{Name: "text of 4096 bytes passes whole; 4097 gets too_long, empty gets empty", Rule: "§1.7", Points: 5, Run: w.textLimits},
		{Name: "messages split over many writes, or several in one write, are all read", Rule: "§2, §3", Points: 3, Run: w.framing},
	}
}

// shutdownCheck stops the server, so it comes last.
func (w *wire) shutdownCheck() rubric.Check {
	return rubric.Check{Name: "on shutdown everyone gets SYSTEM_MSG \"server shutting down\"", Rule: "§1.9", Points: 3, Final: true, Run: w.shutdown}
}

var (
	startLine   = regexp.MustCompile(`^\[INFO\] Server started on 0\.0\.0\.0:(\d+)$`)
	waitingLine = regexp.MustCompile(`^\[INFO\] Waiting for connections\.\.\.$`)
)

func (w *wire) startupLines(c *rubric.C) {
	srv := w.env.NeedServer(c, "its output")
	if _, err := srv.Output().WaitFor(waitingLine, time.Now().Add(chattest.Timeout), srv.Exited()); err != nil {
		c.Fatalf("no line %q among its output %q", "[INFO] Server started on 0.0.0.0:PORT", srv.Output().Lines())
	}
	lines := srv.Output().Lines()
	i := slices.IndexFunc(lines, startLine.MatchString)
	if got := startLine.FindStringSubmatch(lines[i])[1]; got != fmt.Sprint(srv.Port) {
		c.Fatalf("it says port %s, but was started on %d", got, srv.Port)
	}
	if i+1 >= len(lines) || lines[i+1] != "[INFO] Waiting for connections..." {
		c.Fatalf("the line after %q should be %q", lines[i], "[INFO] Waiting for connections...")
	}
}

func (w *wire) loginAck(c *rubric.C) {
	name := w.name("alice")
	w.login(c, name)
}

func (w *wire) validNames(c *rubric.C) {
	tag := w.name("")[1:] // "qx7"
	for _, name := range []string{
		"a" + tag,
		strings.Repeat("x", 20-len(tag)) + tag,
		"user_1-x.y" + tag,
		"Zoë" + tag,
		"日本語" + tag,
		strings.Repeat("é", 20-len(tag)) + tag, // 20 code points, more bytes
	} {
		cl := w.login(c, name)
		cl.Raw.Close()
	}
}

func (w *wire) invalidNames(c *rubric.C) {
	tag := w.name("")[1:]
	for _, name := range []string{
		"",
		strings.Repeat("x", 21-len(tag)) + tag,
		strings.Repeat("é", 21-len(tag)) + tag,
		"a b" + tag,
		"a@b" + tag,
		"slash/" + tag,
		"emoji🙂" + tag,
	} {
		cl := w.dial(c)
		cl.Send(proto.Message{Kind: proto.KindLogin, Username: name})
		m, err := cl.TryNext()
		if err != nil || m.Kind != proto.KindLoginReject || m.Reason != proto.ReasonNameInvalid {
			c.Fatalf("LOGIN %q: expected LOGIN_REJECT name_invalid, got %s", name, showResult(m, err))
		}
		if rest := closed(c, cl); rest != "" {
			c.Fatalf("LOGIN %q: after LOGIN_REJECT the connection should close, but %s", name, rest)
		}
	}
}

// closed waits for the server to close cl and says what went wrong if it
// did not ("" if it closed). Notices of others may come first.
func closed(c *rubric.C, cl *Client) string {
	for {
		m, err := cl.TryNext()
		if err == nil && m.Kind == proto.KindSystemMsg {
			continue
		}
		if err == nil {
			return "it sent " + show(m)
		}
		if isEnd(err) {
			return ""
		}
		return err.Error()
	}
}

func (w *wire) uniqueNames(c *rubric.C) {
	name := w.name("alice")
	first := w.login(c, name)
	for _, other := range []string{name, strings.ToUpper(name), strings.ToUpper(name[:1]) + name[1:]} {
		cl := w.dial(c)
		cl.Send(proto.Message{Kind: proto.KindLogin, Username: other})
		m, err := cl.TryNext()
		if err != nil || m.Kind != proto.KindLoginReject || m.Reason != proto.ReasonNameTaken {
			c.Fatalf("LOGIN %q while %q is online: expected LOGIN_REJECT name_taken, got %s", other, name, showResult(m, err))
		}
		if rest := closed(c, cl); rest != "" {
			c.Fatalf("LOGIN %q: after LOGIN_REJECT the connection should close, but %s", other, rest)
		}
	}
	// The first session still works and heard of no one of its name
	// coming or going (others' checks' users may come and go).
	for _, m := range until(c, first) {
		if m.Kind == proto.KindSystemMsg && slices.ContainsFunc(strings.Fields(m.Text), func(word string) bool { return strings.EqualFold(word, name) }) {
			c.Fatalf("the first %s was told %q about the rejected log-ins", name, m.Text)
		}
	}
}

func (w *wire) beforeLogin(lenient bool) func(*rubric.C) {
	return func(c *rubric.C) {
		cl := w.dial(c)
		cl.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hello?"})
		m, err := cl.TryNext()
		if lenient && err != nil && isEnd(err) {
			return // v1 may simply close
		}
		if err != nil || m.Kind != proto.KindErrorMsg || m.Code != proto.CodeNotLoggedIn {
			c.Fatalf("ROOM_MSG before LOGIN: expected ERROR_MSG not_logged_in, got %s", showResult(m, err))
		}
		if lenient {
			return
		}
		// The connection stays usable: the log-in that follows works.
		name := w.name("alice")
		cl.Send(proto.Message{Kind: proto.KindLogin, Username: name})
		if m, err := cl.TryNext(); err != nil || m.Kind != proto.KindLoginAck {
			c.Fatalf("after not_logged_in, LOGIN should still work on the same connection; got %s", showResult(m, err))
		}
	}
}

func (w *wire) secondLogin(c *rubric.C) {
	name := w.name("alice")
	cl := w.login(c, name)
	cl.Send(proto.Message{Kind: proto.KindLogin, Username: w.name("bob")})
	expectError(c, cl, proto.CodeAlreadyLoggedIn, "a second LOGIN")
	stillOpen(c, cl, "after already_logged_in")
}

func (w *wire) loginTimeout(c *rubric.C) {
	// The server's 10 seconds may begin before the connection is ready
	// here (a TLS handshake on a busy machine): count from before the dial.
	start := time.Now()
	conn := w.conn(c)
	conn.SetReadDeadline(start.Add(13 * time.Second))
	buf := make([]byte, 512)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue // an ERROR_MSG or notice before the close is fine
		}
		took := time.Since(start)
		switch {
		case isTimeout(err):
			c.Fatalf("still open after %v without a LOGIN", took.Round(time.Second))
		case took < 9*time.Second:
			c.Fatalf("closed after %v: a client has 10 seconds to log in", took.Round(100*time.Millisecond))
		}
		return
	}
}

func (w *wire) roomText(c *rubric.C) {
	room, aliceName := w.name("room"), w.name("alice")
	alice, bob, carol := w.login(c, aliceName), w.login(c, w.name("bob")), w.login(c, w.name("carol"))
	for _, cl := range []*Client{alice, bob, carol} {
		join(c, cl, room)
	}
	alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hello, room"})
	want := proto.Message{Kind: proto.KindRoomMsg, Room: room, From: aliceName, Text: "hello, room"}
	for _, cl := range []*Client{bob, carol} {
		m := expectKind(c, cl, proto.KindRoomMsg, "alice's ROOM_MSG")
		if m.Room != want.Room || m.From != want.From || m.Text != want.Text {
			c.Fatalf("expected %s, got %s", show(want), show(m))
		}
	}
	for _, m := range until(c, alice) {
		if m.Kind == proto.KindRoomMsg {
			c.Fatalf("the sender got her own text back: %s", show(m))
		}
	}
}

func (w *wire) roomAck(c *rubric.C) {
	room := w.name("room")
	members := []*Client{w.login(c, w.name("alice")), w.login(c, w.name("bob")), w.login(c, w.name("carol"))}
	for _, cl := range members {
		join(c, cl, room)
	}
	for i, text := range []string{"one", "two"} {
		members[0].Send(proto.Message{Kind: proto.KindRoomMsg, Text: text})
		m := next(c, members[0], "the ROOM_MSG_ACK")
		if m.Kind != proto.KindRoomMsgAck || m.Room != room || m.Recipients != 2 {
			c.Fatalf("room text #%d to a room of three: expected ROOM_MSG_ACK room=%q recipients=2, got %s", i+1, room, show(m))
		}
	}
	// Alone in a room: no recipients.
	alone := w.name("room")
	join(c, members[1], alone)
	members[1].Send(proto.Message{Kind: proto.KindRoomMsg, Text: "anyone?"})
	if m := next(c, members[1], "the ROOM_MSG_ACK"); m.Kind != proto.KindRoomMsgAck || m.Recipients != 0 || m.Room != alone {
		c.Fatalf("room text to an empty room: expected ROOM_MSG_ACK room=%q recipients=0, got %s", alone, show(m))
	}
}

func (w *wire) joinCreates(c *rubric.C) {
	room := w.name("room")
	alice, bob := w.login(c, w.name("alice")), w.login(c, w.name("bob"))
	alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
	if m := next(c, alice, "the JOIN_ROOM reply"); m.Kind != proto.KindJoinRoom || m.Room != room || !m.Created {
		c.Fatalf("JOIN_ROOM of a new room: expected JOIN_ROOM room=%q created=true, got %s", room, show(m))
	}
	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
	if m := next(c, bob, "the JOIN_ROOM reply"); m.Kind != proto.KindJoinRoom || m.Room != room || m.Created {
		c.Fatalf("JOIN_ROOM of an existing room: expected JOIN_ROOM room=%q created=false, got %s", room, show(m))
	}
	// Rooms are told apart by their exact name.
	upper := strings.ToUpper(room)
	bob.Send(proto.Message{Kind: proto.KindJoinRoom, Room: upper})
	if m := next(c, bob, "the JOIN_ROOM reply"); m.Kind != proto.KindJoinRoom || m.Room != upper || !m.Created {
		c.Fatalf("JOIN_ROOM %q after %q exists: expected created=true (room names are case-sensitive), got %s", upper, room, show(m))
	}
}

func (w *wire) joinAnnounced(c *rubric.C) {
	from, to := w.name("room"), w.name("room")
	aliceName, bobName, carolName := w.name("alice"), w.name("bob"), w.name("carol")
	alice, bob, carol := w.login(c, aliceName), w.login(c, bobName), w.login(c, carolName)
	join(c, alice, from)
	join(c, bob, from)
	expectSystem(c, alice, bobName+" joined "+from)
	join(c, carol, to)
	join(c, bob, to)
	expectSystem(c, alice, bobName+" left "+from)
	expectSystem(c, carol, bobName+" joined "+to)
}

func (w *wire) oneRoom(c *rubric.C) {
	a, b := w.name("room"), w.name("room")
	alice, bob, carol := w.login(c, w.name("alice")), w.login(c, w.name("bob")), w.login(c, w.name("carol"))
	join(c, alice, a)
	join(c, bob, a)
	join(c, carol, b)
	join(c, bob, b) // bob leaves a for b
	alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "only for room a"})
	if m := next(c, alice, "the ROOM_MSG_ACK"); m.Kind != proto.KindRoomMsgAck || m.Recipients != 0 {
		c.Fatalf("alice is alone in %s after bob moved on, but the ack says %s", a, show(m))
	}
	for _, cl := range []*Client{bob, carol} {
		for _, m := range until(c, cl) {
			if m.Kind == proto.KindRoomMsg {
				c.Fatalf("text sent in %s reached a member of %s: %s", a, b, show(m))
			}
		}
	}
}

func (w *wire) roomsComeAndGo(c *rubric.C) {
	room := w.name("room")
	alice := w.login(c, w.name("alice"))
	join(c, alice, room)
	if rooms := listRooms(c, alice); !hasRoom(rooms, room, 1) || !hasRoom(rooms, proto.GeneralRoom, -1) {
		c.Fatalf("LIST_ROOMS should hold %s (1 member) and general, got %v", room, rooms)
	}
	join(c, alice, w.name("room"))
	// The room goes as its last member leaves: ask until it has (the
	// server may take a moment), and fail if it stays.
	deadline := time.Now().Add(5 * time.Second)
	for {
		rooms := listRooms(c, alice)
		if !hasRoom(rooms, room, -1) {
			if !hasRoom(rooms, proto.GeneralRoom, -1) {
				c.Fatalf("general is missing from LIST_ROOMS %v", rooms)
			}
			return
		}
		if time.Now().After(deadline) {
			c.Fatalf("%s is still listed after its last member left: %v", room, rooms)
		}
	}
}

func listRooms(c *rubric.C, cl *Client) []proto.RoomInfo {
	cl.Send(proto.Message{Kind: proto.KindListRooms})
	return expectKind(c, cl, proto.KindListRooms, "the LIST_ROOMS reply").Rooms
}

// hasRoom reports whether rooms lists name with members members (any
// count if members < 0).
func hasRoom(rooms []proto.RoomInfo, name string, members int) bool {
	for _, r := range rooms {
		if r.Name == name {
			return members < 0 || r.Members == members
		}
	}
	return false
}

func (w *wire) invalidRooms(c *rubric.C) {
	alice := w.login(c, w.name("alice"))
	for _, room := range []string{"", strings.Repeat("r", 33), "two words", "#hash", "a/b"} {
		alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
		expectError(c, alice, proto.CodeNameInvalid, fmt.Sprintf("JOIN_ROOM %q", room))
	}
	alice.Send(proto.Message{Kind: proto.KindListUsers})
	if m := expectKind(c, alice, proto.KindListUsers, "the LIST_USERS reply"); m.Room != proto.GeneralRoom {
		c.Fatalf("after refused joins alice should still be in general, LIST_USERS says %q", m.Room)
	}
	long := strings.Repeat("r", 32-len(w.run)-4) + w.name("")[1:]
	for _, room := range []string{long, "Café_1-2.3" + w.name("")} {
		alice.Send(proto.Message{Kind: proto.KindJoinRoom, Room: room})
		if m := next(c, alice, "the JOIN_ROOM reply"); m.Kind != proto.KindJoinRoom || m.Room != room {
			c.Fatalf("JOIN_ROOM %q is a valid name, but got %s", room, show(m))
		}
	}
}

func (w *wire) privateMsg(c *rubric.C) {
	aliceName, bobName := w.name("alice"), w.name("bob")
	alice, bob := w.login(c, aliceName), w.login(c, bobName)
	join(c, bob, w.name("room"))
	alice.Send(proto.Message{Kind: proto.KindPrivateMsg, To: bobName, Text: "psst"})
	if m := next(c, alice, "the PRIVATE_MSG_DELIVERY"); m.Kind != proto.KindPrivateMsgDelivery || m.Status != proto.StatusDelivered || m.To != bobName {
		c.Fatalf("expected PRIVATE_MSG_DELIVERY status=delivered to=%q, got %s", bobName, show(m))
	}
	m := expectKind(c, bob, proto.KindPrivateMsg, "alice's PRIVATE_MSG")
	if m.From != aliceName || m.Text != "psst" {
		c.Fatalf("expected PRIVATE_MSG from=%q text=\"psst\", got %s", aliceName, show(m))
	}
}

func (w *wire) privateEdge(c *rubric.C) {
	aliceName := w.name("alice")
	alice := w.login(c, aliceName)
	nobody := w.name("nobody")
	alice.Send(proto.Message{Kind: proto.KindPrivateMsg, To: nobody, Text: "hello?"})
	if m := next(c, alice, "the PRIVATE_MSG_DELIVERY"); m.Kind != proto.KindPrivateMsgDelivery || m.Status != proto.StatusNoSuchUser || m.To != nobody {
		c.Fatalf("to a user not online: expected PRIVATE_MSG_DELIVERY status=no_such_user to=%q, got %s", nobody, show(m))
	}
	alice.Send(proto.Message{Kind: proto.KindPrivateMsg, To: aliceName, Text: "note to self"})
	got := until(c, alice)
	var delivered, received bool
	for _, m := range got {
		delivered = delivered || (m.Kind == proto.KindPrivateMsgDelivery && m.Status == proto.StatusDelivered)
		received = received || (m.Kind == proto.KindPrivateMsg && m.From == aliceName && m.Text == "note to self")
	}
	if !delivered || !received {
		c.Fatalf("a message to oneself should be delivered (PRIVATE_MSG and status delivered), got %v", formatAll(got))
	}
}

func formatAll(ms []proto.Message) []string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = show(m)
	}
	return s
}

func (w *wire) listUsers(c *rubric.C) {
	room := w.name("room")
	names := []string{w.name("carol"), w.name("alice"), w.name("Bob")}
	var clients []*Client
	for _, n := range names {
		cl := w.login(c, n)
		join(c, cl, room)
		clients = append(clients, cl)
	}
	clients[0].Send(proto.Message{Kind: proto.KindListUsers})
	m := expectKind(c, clients[0], proto.KindListUsers, "the LIST_USERS reply")
	want := slices.Clone(names)
	slices.Sort(want)
	if m.Room != room || !slices.Equal(m.Users, want) {
		c.Fatalf("expected LIST_USERS room=%q users=[%s], got %s", room, quote(want), show(m))
	}
}

func (w *wire) listRooms(c *rubric.C) {
	rooms := []string{w.name("zed"), w.name("Alpha"), w.name("mid")}
	for i, room := range rooms {
		for range i + 1 {
			join(c, w.login(c, w.name("u")), room)
		}
	}
	got := listRooms(c, w.login(c, w.name("alice")))
	if !slices.IsSortedFunc(got, func(a, b proto.RoomInfo) int { return strings.Compare(a.Name, b.Name) }) {
		c.Fatalf("LIST_ROOMS is not sorted by name: %v", got)
	}
	for i, room := range rooms {
		if !hasRoom(got, room, i+1) {
			c.Fatalf("LIST_ROOMS should list %s with %d members: %v", room, i+1, got)
		}
	}
}

func (w *wire) disconnect(c *rubric.C) {
	room := w.name("room")
	aliceName := w.name("alice")
	alice, bob := w.login(c, aliceName), w.login(c, w.name("bob"))
	join(c, alice, room)
	join(c, bob, room)
	alice.Raw.Close()
	expectSystem(c, bob, aliceName+" left "+room)
	waitOffline(c, bob, aliceName)
}

func (w *wire) textLimits(c *rubric.C) {
	room := w.name("room")
	alice, bob := w.login(c, w.name("alice")), w.login(c, w.name("bob"))
	join(c, alice, room)
	join(c, bob, room)
	maxText := strings.Repeat("€", proto.MaxTextBytes/3) + "x" // 4096 bytes
	alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: maxText})
	if m := next(c, alice, "the ROOM_MSG_ACK"); m.Kind != proto.KindRoomMsgAck {
		c.Fatalf("text of exactly 4096 bytes: expected ROOM_MSG_ACK, got %s", show(m))
	}
	if m := expectKind(c, bob, proto.KindRoomMsg, "the 4096-byte text"); m.Text != maxText {
		c.Fatalf("the 4096-byte text arrived as %d bytes", len(m.Text))
	}
	alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: maxText + "x"})
	expectError(c, alice, proto.CodeTooLong, "text of 4097 bytes")
	alice.Send(proto.Message{Kind: proto.KindRoomMsg, Text: ""})
	expectError(c, alice, proto.CodeEmpty, "empty text")
	stillOpen(c, alice, "after too_long and empty")
	for _, m := range until(c, bob) {
		if m.Kind == proto.KindRoomMsg {
			c.Fatalf("refused text reached the room: %d bytes", len(m.Text))
		}
	}
}

func (w *wire) framing(c *rubric.C) {
	room := w.name("room")
	aliceName := w.name("alice")
	enc := func(m proto.Message) []byte {
		b, err := w.codec.Append(nil, &m, proto.ClientToServer)
		if err != nil {
			c.Fatalf("encode %s: %v", show(m), err)
		}
		return b
	}
	alice := w.dial(c)
	// The log-in one byte per write.
	for _, b := range enc(proto.Message{Kind: proto.KindLogin, Username: aliceName}) {
		alice.SendRaw([]byte{b})
	}
	if m, err := alice.TryNext(); err != nil || m.Kind != proto.KindLoginAck {
		c.Fatalf("LOGIN written a byte at a time: expected LOGIN_ACK, got %s", showResult(m, err))
	}
	// Three messages in one write.
	var batch []byte
	batch = append(batch, enc(proto.Message{Kind: proto.KindJoinRoom, Room: room})...)
	batch = append(batch, enc(proto.Message{Kind: proto.KindRoomMsg, Text: "first"})...)
	batch = append(batch, enc(proto.Message{Kind: proto.KindListUsers})...)
	alice.SendRaw(batch)
	for _, k := range []proto.Kind{proto.KindJoinRoom, proto.KindRoomMsgAck, proto.KindListUsers} {
		if m := next(c, alice, k.String()); m.Kind != k {
			c.Fatalf("three messages in one write: expected %s next, got %s", k, show(m))
		}
	}
}

func (w *wire) shutdown(c *rubric.C) {
	srv := w.env.NeedServer(c, "a signal to stop it")
	alice, bob := w.login(c, w.name("alice")), w.login(c, w.name("bob"))
	join(c, bob, w.name("room"))
	if err := srv.Interrupt(); err != nil {
		c.Fatalf("interrupt the server: %v", err)
	}
	for _, cl := range []*Client{alice, bob} {
		expectSystem(c, cl, proto.ShutdownMessage)
		if rest := closed(c, cl); rest != "" {
			c.Fatalf("after %q the server should close, but %s", proto.ShutdownMessage, rest)
		}
	}
	var exit *exec.ExitError
	if err := srv.Wait(10 * time.Second); err != nil && !errors.As(err, &exit) {
		c.Fatalf("the server did not exit after SIGINT: %v", err)
	}
}

// ---- the client program (§4) ------------------------------------------------

// The client checks run alone: the client logs in to general, where
// other checks' clients sit, and talks there.
func (w *wire) clientChecks() []rubric.Check {
	checks := []rubric.Check{
		{Name: "the client logs in with the name it is given and shows others' room text", Rule: "§4", Points: 4, Run: w.clientLogsIn},
		{Name: "a line typed into the client goes to the room", Rule: "§4", Points: 3, Run: w.clientTypes},
		{Name: "the client's /join, /msg, /users and /rooms do what §4 says", Rule: "§4", Points: 4, Run: w.clientCommands},
		{Name: "/quit closes the client's connection and ends it", Rule: "§1.9, §4", Points: 2, Run: w.clientQuits},
	}
	for i := range checks {
		checks[i].Alone = true
	}
	return checks
}

// startClient runs the client program logged in as name, with bob
// watching from general, and waits until bob sees it arrive.
func (w *wire) startClient(c *rubric.C) (prog *grade.Program, name, bobName string, bob *Client) {
	argv := w.env.NeedClient(c)
	if w.tls && w.env.CA == "" {
		c.Skipf("the client needs the server's certificate: give it with CA=file")
	}
	host, port, err := net.SplitHostPort(w.env.Addr)
	if err != nil {
		c.Fatalf("server address %q: %v", w.env.Addr, err)
	}
	name, bobName = w.name("alice"), w.name("bob")
	bob = w.login(c, bobName)
	prog = grade.StartProgram(c, "the client", argv, w.env.CA, name, host, port)
	bob.Expect(fmt.Sprintf("the client to log in as %s (SYSTEM_MSG %q)", name, name+" joined general"), wiretest.System(name+" joined general"))
	return prog, name, bobName, bob
}

func (w *wire) clientLogsIn(c *rubric.C) {
	prog, _, _, bob := w.startClient(c)
	bob.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hello from the grader"})
	prog.WaitFor("hello from the grader", "bob's room text")
}

func (w *wire) clientTypes(c *rubric.C) {
	prog, name, _, bob := w.startClient(c)
	prog.Type("typed into the client\n")
	m := expectKind(c, bob, proto.KindRoomMsg, "the typed line as ROOM_MSG")
	if m.From != name || m.Text != "typed into the client" {
		c.Fatalf("expected ROOM_MSG from=%q text=%q, got %s", name, "typed into the client", show(m))
	}
}

func (w *wire) clientCommands(c *rubric.C) {
	prog, name, bobName, bob := w.startClient(c)
	prog.Type("/msg " + bobName + " a private word\n")
	if m := expectKind(c, bob, proto.KindPrivateMsg, "the PRIVATE_MSG of /msg"); m.From != name || m.Text != "a private word" {
		c.Fatalf("/msg %s a private word: bob got %s", bobName, show(m))
	}
	prog.Type("/users\n")
	prog.WaitFor(bobName, "the users of general, after /users")
	room := w.name("room")
	join(c, bob, room)
	prog.Type("/join " + room + "\n")
	expectSystem(c, bob, name+" joined "+room)
	prog.Type("/rooms\n")
	prog.WaitFor(room, "the rooms, after /rooms")
}

func (w *wire) clientQuits(c *rubric.C) {
	prog, name, _, bob := w.startClient(c)
	prog.Type("/quit\n")
	prog.WaitExit("/quit", true)
	expectSystem(c, bob, name+" left general")
}
