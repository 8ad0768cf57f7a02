package spectest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v3/stage"
)

// ---------------------------------------------------------------------------
// Rules 1–3: logging in

func TestLogin(t *testing.T) {
	t.Run("rule 2: the LOGIN vector of §2 is answered by LOGIN_ACK alice general, byte for byte", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := dial(t, addr, "alice")
		alice.write(unhex(t, "43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65")) // §2: LOGIN alice
		_, raw := alice.expectFrame(typeLoginAck)
		// magic 43 50, version 01, type 02, flags 00, body_len 14;
		// str8 "alice", str8 "general".
		want := unhex(t, "43 50 01 02 00 00 00 00 0e 05 61 6c 69 63 65 07 67 65 6e 65 72 61 6c")
		assert.Equal(t, want, raw, "want % x\n got % x", want, raw)

		room, users := alice.listUsers()
		assert.Equal(t, lobby, room, "rule 2: the user is put in room general")
		assert.Equal(t, []string{"alice"}, users)
	})

	// Rule 6 gives "alice joined general" as its example; a log-in puts the
	// user in general (rule 2), so it is read as a join to announce there.
	t.Run("rule 6: a log-in is announced in general: alice joined general", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		bob := login(t, addr, "bob")
		login(t, addr, "alice")
		bob.expectSystem("alice joined general")
	})

	t.Run("rule 3: a username of 1-20 letters, digits, _ - . is accepted, in any script", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		tests := []struct {
			name     string
			username string
		}{
			{name: "one character", username: "a"},
			{name: "20 ASCII characters", username: "abcdefghij0123456789"},
			{name: "all punctuation allowed", username: "A_b-c.d"},
			{name: "digits only", username: "42"},
			{name: "accented letters", username: "Émilie"},
			{name: "Greek", username: "Δημήτρης"},
			{name: "CJK", username: "日本語"},
			{name: "20 two-byte letters (40 bytes)", username: strings.Repeat("é", maxNameRunes)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				login(t, addr, tt.username)
			})
		}
	})

	t.Run("rule 3: an invalid username gets LOGIN_REJECT name_invalid (2), then a close", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		tests := []struct {
			name     string
			username string
		}{
			{name: "empty", username: ""},
			{name: "21 ASCII characters", username: "abcdefghij0123456789x"},
			{name: "21 two-byte letters", username: strings.Repeat("é", maxNameRunes+1)},
			{name: "inner space", username: "al ice"},
			{name: "tab", username: "al\tice"},
			{name: "NUL byte", username: "al\x00ice"},
			{name: "exclamation mark", username: "alice!"},
			{name: "at sign", username: "al@ce"},
			{name: "slash", username: "a/b"},
			{name: "emoji", username: "ali😀"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, addr, fmt.Sprintf("login %q", tt.username))
				c.send(message{Type: typeLogin, Username: tt.username})
				reject := c.expect(typeLoginReject)
				assert.Equal(t, reasonNameInvalid, reject.Reason, "text %q", reject.Text)
				c.expectClosed()
			})
		}
	})

	t.Run("rule 3: usernames are unique ignoring case: LOGIN_REJECT name_taken (1), then a close", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		login(t, addr, "Émilie")
		tests := []struct {
			name     string
			username string
		}{
			{name: "same name", username: "alice"},
			{name: "upper case", username: "ALICE"},
			{name: "mixed case", username: "aLiCe"},
			// §1 counts names in Unicode code points, so "case" is read
			// as Unicode case, not only ASCII.
			{name: "non-ASCII upper case", username: "ÉMILIE"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, addr, "login "+tt.username)
				c.send(message{Type: typeLogin, Username: tt.username})
				reject := c.expect(typeLoginReject)
				assert.Equal(t, reasonNameTaken, reject.Reason, "text %q", reject.Text)
				c.expectClosed()
			})
		}

		// Only among the users online: ALICE may log in once alice left.
		alice.close()
		bob.expectSystem("alice left general")
		login(t, addr, "ALICE")
	})

	t.Run("rule 2: a full server answers LOGIN_REJECT server_full (3), then closes", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, maxUsers(2))
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")

		carol := dial(t, addr, "carol")
		carol.send(message{Type: typeLogin, Username: "carol"})
		reject := carol.expect(typeLoginReject)
		assert.Equal(t, reasonServerFull, reject.Reason, "text %q", reject.Text)
		carol.expectClosed()

		// A place frees up when a user leaves.
		bob.close()
		alice.expectSystem("bob left general")
		login(t, addr, "carol")
	})

	// Rule 2 does not say whether anything is sent before the close, so
	// well-formed frames are allowed (and logged); the close is required.
	t.Run("rule 2: a connection that does not log in in time is closed", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, loginWithin(loginTimeout))
		c := dial(t, addr, "silent")
		start := time.Now()
		for {
			m, raw, err := c.read()
			if err != nil {
				require.True(t, closedErr(err), "want a close, got %v", err)
				break
			}
			t.Logf("before the close the server sent %+v (% x)", m, raw)
		}
		t.Logf("closed after %v (LoginTimeout %v)", time.Since(start).Round(time.Millisecond), loginTimeout)
	})

	t.Run("rule 2: frames other than LOGIN do not postpone the log-in deadline", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, loginWithin(loginTimeout))
		c := dial(t, addr, "busy")
		deadline := time.Now().Add(ioTimeout)
		for {
			require.True(t, time.Now().Before(deadline), "still open after %v of frames without LOGIN", ioTimeout)
			b, err := encodeFrame(clientToServer, message{Type: typeListRooms})
			require.NoError(t, err)
			require.NoError(t, c.conn.SetWriteDeadline(time.Now().Add(ioTimeout)))
			if _, err := c.conn.Write(b); err != nil {
				break // closed
			}
			m, raw, err := c.read()
			if err != nil {
				require.True(t, closedErr(err), "want ERROR_MSG not_logged_in or a close, got %v", err)
				break
			}
			require.Equal(t, typeErrorMsg, m.Type, "got % x", raw)
			require.Equal(t, codeNotLoggedIn, m.Code)
		}
	})

	t.Run("rule 2: the log-in deadline no longer applies once logged in", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, loginWithin(loginTimeout))
		alice := login(t, addr, "alice")
		alice.expectSilence(3 * loginTimeout)
		alice.sync()
	})

	// §1 rule 1: "ERROR_MSG not_logged_in (v2+; v1 may simply close)".
	// This server is v3: the error is required, and it is not fatal.
	t.Run("rule 1: any message before LOGIN gets ERROR_MSG not_logged_in (3) and the connection stays", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			msg  message
		}{
			{name: "ROOM_MSG", msg: message{Type: typeRoomMsg, Text: "hi"}},
			{name: "PRIVATE_MSG", msg: message{Type: typePrivateMsg, To: "bob", Text: "hi"}},
			{name: "JOIN_ROOM", msg: message{Type: typeJoinRoom, Room: "tech"}},
			{name: "LIST_USERS", msg: message{Type: typeListUsers}},
			{name: "LIST_ROOMS", msg: message{Type: typeListRooms}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				addr := startServer(t) // one server per case: nothing left over from another
				c := dial(t, addr, "anonymous")
				c.send(tt.msg)
				c.expectError(codeNotLoggedIn)
				c.login("alice")
				assert.Equal(t, []roomEntry{{lobby, 1}}, c.listRooms(), "nothing was done for the anonymous client")
			})
		}
	})

	t.Run("rule 10: a second LOGIN gets ERROR_MSG already_logged_in (4) and the session goes on", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		alice.send(message{Type: typeLogin, Username: "alice2"})
		alice.expectError(codeAlreadyLoggedIn)
		alice.send(message{Type: typeLogin, Username: "alice"})
		alice.expectError(codeAlreadyLoggedIn)

		room, users := alice.listUsers()
		assert.Equal(t, lobby, room)
		assert.Equal(t, []string{"alice"}, users, "the second LOGIN changed nothing")
		assert.Equal(t, []roomEntry{{lobby, 1}}, alice.listRooms())
		login(t, addr, "alice2") // and did not take the name
	})
}

// ---------------------------------------------------------------------------
// Rules 4 and 6: rooms

func TestRooms(t *testing.T) {
	t.Run("rule 4: JOIN_ROOM creates a missing room (created 1) and joins an existing one (created 0)", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")

		assert.Equal(t, message{Type: typeJoinRoom, Room: "tech", Created: true}, alice.join("tech"))
		assert.Equal(t, message{Type: typeJoinRoom, Room: "tech", Created: false}, bob.join("tech"))
		room, users := alice.listUsers()
		assert.Equal(t, "tech", room, "rule 4: a user is in exactly one room")
		assert.Equal(t, []string{"alice", "bob"}, users)
		assert.Equal(t, message{Type: typeJoinRoom, Room: lobby, Created: false}, alice.join(lobby),
			"general always exists, so joining it never creates it")
	})

	t.Run("rule 6: a room switch is announced in both rooms: alice joined tech, alice left general", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		carol := login(t, addr, "carol")
		carol.join("tech")

		alice.join("tech")
		carol.expectSystem("alice joined tech")
		bob.expectSystem("alice left general")

		// Each announcement goes only to the room concerned.
		carol.sync()
		bob.sync()
		assert.NotContains(t, carol.system, "alice left general")
		assert.NotContains(t, bob.system, "alice joined tech")
	})

	// "general always exists" is read as: LIST_ROOMS lists it even when
	// nobody is in it, with 0 members.
	t.Run("rule 4: a room disappears when its last member leaves; general is always listed", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		alice.join("tech")
		bob.join("tech")
		assert.Equal(t, []roomEntry{{lobby, 0}, {"tech", 2}}, alice.listRooms())

		bob.join(lobby)
		assert.Equal(t, []roomEntry{{lobby, 1}, {"tech", 1}}, alice.listRooms())
		alice.join(lobby)
		assert.Equal(t, []roomEntry{{lobby, 2}}, alice.listRooms())
		assert.True(t, alice.join("tech").Created, "tech is created anew")
	})

	t.Run("rule 4: a room disappears when its last member disconnects", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		bob.join("tech")
		require.True(t, hasRoom(alice.listRooms(), "tech"))
		bob.close()

		// Nobody is left in tech to see an announcement: ask again (each
		// answer is a round trip, the event waited for) until a deadline.
		deadline := time.Now().Add(ioTimeout)
		for hasRoom(alice.listRooms(), "tech") {
			require.True(t, time.Now().Before(deadline), "tech still listed %v after its last member left", ioTimeout)
		}
		assert.Equal(t, []roomEntry{{lobby, 1}}, alice.listRooms())
	})

	t.Run("rule 4: a room name of 1-32 letters, digits, _ - . is accepted", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			room string
		}{
			{name: "one character", room: "x"},
			{name: "32 characters", room: strings.Repeat("r", maxRoomRunes)},
			{name: "32 two-byte letters (64 bytes)", room: strings.Repeat("é", maxRoomRunes)},
			{name: "all punctuation allowed", room: "go_lang-v1.26"},
			{name: "non-ASCII letters", room: "café"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				addr := startServer(t)
				alice := login(t, addr, "alice")
				assert.Equal(t, message{Type: typeJoinRoom, Room: tt.room, Created: true}, alice.join(tt.room))
			})
		}
	})

	// §1 does not name the error for a bad room name; name_invalid (5) is
	// the only fitting code of the error table, and it is not fatal.
	t.Run("rule 4: an invalid room name gets ERROR_MSG name_invalid (5) and the user stays put", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			room string
		}{
			{name: "empty", room: ""},
			{name: "33 characters", room: strings.Repeat("r", maxRoomRunes+1)},
			{name: "space", room: "my room"},
			{name: "exclamation mark", room: "tech!"},
			{name: "slash", room: "a/b"},
			{name: "hash", room: "#tech"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				addr := startServer(t)
				alice := login(t, addr, "alice")
				alice.send(message{Type: typeJoinRoom, Room: tt.room})
				alice.expectError(codeNameInvalid)
				room, _ := alice.listUsers()
				assert.Equal(t, lobby, room)
				assert.Equal(t, []roomEntry{{lobby, 1}}, alice.listRooms(), "no room was created")
			})
		}
	})

	t.Run("LIST_ROOMS lists every room sorted by name, with its member count", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		login(t, addr, "bob")
		login(t, addr, "carol").join("zeta")
		login(t, addr, "dave").join("alpha")
		login(t, addr, "erin").join("mid")
		login(t, addr, "frank").join("mid")
		assert.Equal(t, []roomEntry{{"alpha", 1}, {lobby, 2}, {"mid", 2}, {"zeta", 1}}, alice.listRooms())
	})

	t.Run("LIST_USERS lists the caller's room and its users, sorted", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		dave := login(t, addr, "dave")
		login(t, addr, "bob")
		login(t, addr, "carol").join("tech")
		login(t, addr, "alice")
		erin := login(t, addr, "erin")
		erin.join("tech")

		room, users := dave.listUsers()
		assert.Equal(t, lobby, room)
		assert.Equal(t, []string{"alice", "bob", "dave"}, users)
		room, users = erin.listUsers()
		assert.Equal(t, "tech", room)
		assert.Equal(t, []string{"carol", "erin"}, users)
	})
}

// ---------------------------------------------------------------------------
// Rule 5: room messages

func TestRoomMessages(t *testing.T) {
	t.Run("rule 5: room text reaches the other members, not the sender, not other rooms", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		dave := login(t, addr, "dave")
		carol := login(t, addr, "carol")
		carol.join("tech")

		assert.Equal(t, message{Type: typeRoomMsgAck, Room: lobby, Recipients: 2}, alice.say("hello"))
		want := message{Type: typeRoomMsg, Room: lobby, From: "alice", Text: "hello"}
		assert.Equal(t, want, bob.expect(typeRoomMsg))
		assert.Equal(t, want, dave.expect(typeRoomMsg))

		// sync fails if a ROOM_MSG is queued for the sender or for tech.
		alice.sync()
		carol.sync()
	})

	t.Run("rule 5: a message to an empty room gets ROOM_MSG_ACK with 0 recipients, byte for byte", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		login(t, addr, "bob")
		alice.join("tech")
		alice.send(message{Type: typeRoomMsg, Text: "anyone?"})
		_, raw := alice.expectFrame(typeRoomMsgAck)
		// type 0c, body_len 9: str8 "tech", u32 0.
		want := unhex(t, "43 50 01 0c 00 00 00 00 09 04 74 65 63 68 00 00 00 00")
		assert.Equal(t, want, raw, "want % x\n got % x", want, raw)
	})

	t.Run("rule 5: messages follow the sender's current room", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		carol := login(t, addr, "carol")
		carol.join("tech")
		alice.join("tech")

		assert.Equal(t, message{Type: typeRoomMsgAck, Room: "tech", Recipients: 1}, alice.say("hi tech"))
		assert.Equal(t, message{Type: typeRoomMsg, Room: "tech", From: "alice", Text: "hi tech"}, carol.expect(typeRoomMsg))
		bob.sync()
	})
}

// ---------------------------------------------------------------------------
// Rule 8: private messages

func TestPrivateMessages(t *testing.T) {
	t.Run("rule 8: a private message is delivered to the user, whatever their room", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		carol := login(t, addr, "carol")
		bob.join("tech")

		assert.Equal(t, message{Type: typeDelivery, Status: statusDelivered, To: "bob"}, alice.whisper("bob", "psst"))
		assert.Equal(t, message{Type: typePrivateMsg, From: "alice", Text: "psst"}, bob.expect(typePrivateMsg))
		carol.sync() // carol, in alice's room, sees nothing
		alice.sync()
	})

	t.Run("rule 8: a private message to a user not online gets no_such_user (1)", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		assert.Equal(t, message{Type: typeDelivery, Status: statusNoSuchUser, To: "nobody"}, alice.whisper("nobody", "hello?"))

		bob.close()
		alice.expectSystem("bob left general")
		assert.Equal(t, message{Type: typeDelivery, Status: statusNoSuchUser, To: "bob"}, alice.whisper("bob", "still there?"))
	})

	t.Run("rule 8: a private message to oneself is delivered", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		alice.send(message{Type: typePrivateMsg, To: "alice", Text: "note to self"})
		got := alice.expectEach(typeDelivery, typePrivateMsg)
		assert.Equal(t, message{Type: typeDelivery, Status: statusDelivered, To: "alice"}, got[typeDelivery])
		assert.Equal(t, message{Type: typePrivateMsg, From: "alice", Text: "note to self"}, got[typePrivateMsg])
	})
}

// ---------------------------------------------------------------------------
// Rule 7: message text

func TestTextLimits(t *testing.T) {
	maxASCII := strings.Repeat("a", maxTextBytes)
	maxTwoByte := strings.Repeat("é", maxTextBytes/2) // 2048 code points, 4096 bytes
	texts := []struct {
		name    string
		text    string
		wantErr errorCode // 0 when the text is delivered
	}{
		{name: "empty text gets ERROR_MSG empty (7)", text: "", wantErr: codeEmpty},
		{name: "one byte is delivered", text: "x"},
		{name: "4096 ASCII bytes are delivered", text: maxASCII},
		{name: "4096 bytes of two-byte letters are delivered", text: maxTwoByte},
		{name: "4097 bytes get ERROR_MSG too_long (6), not fatal", text: maxASCII + "a", wantErr: codeTooLong},
		{name: "4097 bytes in 2049 code points get too_long (6)", text: maxTwoByte + "a", wantErr: codeTooLong},
		{name: "65535 bytes, the most a str16 holds, get too_long (6)", text: strings.Repeat("z", 0xFFFF), wantErr: codeTooLong},
	}
	kinds := []struct {
		name     string
		msg      func(text string) message
		ack      msgType // the sender's reply when delivered
		delivery msgType // what the recipient gets
	}{
		{
			name:     "ROOM_MSG",
			msg:      func(text string) message { return message{Type: typeRoomMsg, Text: text} },
			ack:      typeRoomMsgAck,
			delivery: typeRoomMsg,
		},
		{
			name:     "PRIVATE_MSG",
			msg:      func(text string) message { return message{Type: typePrivateMsg, To: "bob", Text: text} },
			ack:      typeDelivery,
			delivery: typePrivateMsg,
		},
	}
	for _, k := range kinds {
		for _, tt := range texts {
			t.Run(k.name+": rule 7: "+tt.name, func(t *testing.T) {
				t.Parallel()
				addr := startServer(t)
				alice := login(t, addr, "alice")
				bob := login(t, addr, "bob")
				alice.send(k.msg(tt.text))
				if tt.wantErr != 0 {
					alice.expectError(tt.wantErr)
					// Rule 10: not fatal, the connection stays open ...
					assert.Equal(t, []roomEntry{{lobby, 2}}, alice.listRooms())
					bob.sync() // ... and nothing was delivered.
					return
				}
				alice.expect(k.ack)
				got := bob.expect(k.delivery)
				assert.Equal(t, "alice", got.From)
				assert.Equal(t, tt.text, got.Text)
			})
		}
	}
}

// ---------------------------------------------------------------------------
// Rules 6 and 9: leaving

func TestLeaving(t *testing.T) {
	t.Run("rules 6, 9: closing the connection is announced to the user's room only", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		carol := login(t, addr, "carol")
		dave := login(t, addr, "dave")
		carol.join("tech")
		dave.join("tech")

		bob.close()
		alice.expectSystem("bob left general")
		dave.close()
		carol.expectSystem("dave left tech")

		_, users := alice.listUsers()
		assert.Equal(t, []string{"alice"}, users)
		alice.sync()
		assert.NotContains(t, alice.system, "dave left tech", "announced only in dave's room")
	})

	t.Run("rule 9: on shutdown every user gets SYSTEM_MSG server shutting down, then a close", func(t *testing.T) {
		t.Parallel()
		srv := chatserver.New(stage.V3.ServerConfig())
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(l) }()

		shutdownErr := make(chan error, 1)
		var once sync.Once
		shutdown := func() {
			once.Do(func() {
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
					defer cancel()
					shutdownErr <- srv.Shutdown(ctx)
				}()
			})
		}
		t.Cleanup(func() {
			shutdown() // if the test stopped early
			select {
			case <-served:
			case <-time.After(2 * ioTimeout):
				t.Errorf("Serve did not return within %v of Shutdown", 2*ioTimeout)
			}
		})

		addr := l.Addr().String()
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		bob.join("tech")
		alice.sync()

		shutdown()
		assertShutdown(t, alice)
		assertShutdown(t, bob)
		select {
		case err := <-shutdownErr:
			assert.NoError(t, err, "Shutdown")
		case <-time.After(2 * ioTimeout):
			t.Errorf("Shutdown did not return within %v", 2*ioTimeout)
		}
	})
}

// ---------------------------------------------------------------------------
// §2: errors of the binary encoding

func TestFrameErrors(t *testing.T) {
	// "A wrong magic or version, or a body_len over the limit, is fatal
	// (ERROR_MSG malformed / unsupported / too_long, then close)."
	// Only the 9-byte header is sent, so the server has nothing left
	// unread when it closes; for body_len it must answer without waiting
	// for a body that never comes.
	t.Run("fatal header errors: ERROR_MSG, then the server closes", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name     string
			loggedIn bool
			header   []byte
			code     errorCode
		}{
			{name: "wrong magic 0x4351 gets malformed (1)", loggedIn: true,
				header: frameWithHeader(0x4351, protoVersion, typeListRooms, 0, 0, nil), code: codeMalformed},
			{name: "byte-swapped magic 0x5043 gets malformed (1)", loggedIn: true,
				header: frameWithHeader(0x5043, protoVersion, typeListRooms, 0, 0, nil), code: codeMalformed},
			{name: "magic 0x0000 gets malformed (1)", loggedIn: true,
				header: frameWithHeader(0x0000, protoVersion, typeListRooms, 0, 0, nil), code: codeMalformed},
			{name: "wrong magic before LOGIN gets malformed (1)", loggedIn: false,
				header: frameWithHeader(0x4351, protoVersion, typeLogin, 0, 0, nil), code: codeMalformed},
			{name: "version 2 gets unsupported (2)", loggedIn: true,
				header: frameWithHeader(protoMagic, 2, typeListRooms, 0, 0, nil), code: codeUnsupported},
			{name: "version 0 gets unsupported (2)", loggedIn: true,
				header: frameWithHeader(protoMagic, 0, typeListRooms, 0, 0, nil), code: codeUnsupported},
			{name: "version 255 gets unsupported (2)", loggedIn: true,
				header: frameWithHeader(protoMagic, 0xFF, typeListRooms, 0, 0, nil), code: codeUnsupported},
			{name: "version 2 before LOGIN gets unsupported (2)", loggedIn: false,
				header: frameWithHeader(protoMagic, 2, typeLogin, 0, 0, nil), code: codeUnsupported},
			{name: "body_len 1 048 577 gets too_long (6) without waiting for the body", loggedIn: true,
				header: frameWithHeader(protoMagic, protoVersion, typeRoomMsg, 0, maxBodyLen+1, nil), code: codeTooLong},
			{name: "body_len 0xffffffff gets too_long (6) without waiting for the body", loggedIn: true,
				header: frameWithHeader(protoMagic, protoVersion, typeRoomMsg, 0, 0xFFFFFFFF, nil), code: codeTooLong},
			{name: "body_len 1 048 577 before LOGIN gets too_long (6)", loggedIn: false,
				header: frameWithHeader(protoMagic, protoVersion, typeLogin, 0, maxBodyLen+1, nil), code: codeTooLong},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				addr := startServer(t)
				bob := login(t, addr, "bob")
				eve := dial(t, addr, "eve")
				if tt.loggedIn {
					eve.login("eve")
				}
				eve.write(tt.header)
				eve.expectError(tt.code)
				eve.expectClosed()
				if tt.loggedIn {
					bob.expectSystem("eve left general") // rule 6: a disconnect like any other
				}
			})
		}
	})

	t.Run("§1 limits: a body of exactly 1 048 576 bytes is not too long", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := login(t, addr, "alice")
		// LIST_ROOMS has an empty body, so these bytes are left over: the
		// answer is malformed (1), which is not fatal — not too_long.
		alice.write(rawFrame(typeListRooms, make([]byte, maxBodyLen)))
		alice.expectError(codeMalformed)
		assert.Equal(t, []roomEntry{{lobby, 1}}, alice.listRooms())
	})

	// "A body that does not parse as its type's layout, has bytes left
	// over, or holds invalid UTF-8 gets ERROR_MSG malformed and is not
	// fatal." Each case then proves the connection still works with a
	// LIST_ROOMS round trip, and that nothing was done: no room was
	// created and bob received nothing.
	t.Run("a body that breaks its layout gets ERROR_MSG malformed (1) and the connection stays", func(t *testing.T) {
		t.Parallel()
		bob := []byte{0x03, 'b', 'o', 'b'}
		tests := []struct {
			name  string
			frame []byte
		}{
			// body_len is right; the str8 length points past the body.
			{name: "truncated: JOIN_ROOM str8 of length 5 with 3 bytes",
				frame: rawFrame(typeJoinRoom, []byte{0x05, 't', 'e', 'c'})},
			{name: "truncated: ROOM_MSG str16 of length 16 with 2 bytes",
				frame: rawFrame(typeRoomMsg, []byte{0x00, 0x10, 'h', 'i'})},
			{name: "truncated: ROOM_MSG with an empty body",
				frame: rawFrame(typeRoomMsg, nil)},
			{name: "truncated: ROOM_MSG with half a str16 length",
				frame: rawFrame(typeRoomMsg, []byte{0x00})},
			{name: "truncated: PRIVATE_MSG without its text",
				frame: rawFrame(typePrivateMsg, bob)},
			{name: "truncated: PRIVATE_MSG str8 to of length 200",
				frame: rawFrame(typePrivateMsg, []byte{200, 'b', 'o', 'b', 0x00, 0x02, 'h', 'i'})},
			{name: "left over: LIST_ROOMS with a 1-byte body",
				frame: rawFrame(typeListRooms, []byte{0x00})},
			{name: "left over: LIST_USERS with a 1-byte body",
				frame: rawFrame(typeListUsers, []byte{0x00})},
			{name: "left over: JOIN_ROOM tech and 1 byte",
				frame: rawFrame(typeJoinRoom, []byte{0x04, 't', 'e', 'c', 'h', 0x00})},
			{name: "left over: ROOM_MSG hi and 1 byte",
				frame: rawFrame(typeRoomMsg, []byte{0x00, 0x02, 'h', 'i', 0x00})},
			{name: "left over: PRIVATE_MSG to bob hi and 1 byte",
				frame: rawFrame(typePrivateMsg, append(bob, 0x00, 0x02, 'h', 'i', 'x'))},
			{name: "invalid UTF-8: ROOM_MSG text 0xff",
				frame: rawFrame(typeRoomMsg, []byte{0x00, 0x01, 0xFF})},
			{name: "invalid UTF-8: ROOM_MSG text ending inside a sequence",
				frame: rawFrame(typeRoomMsg, []byte{0x00, 0x02, 'h', 0xC3})},
			{name: "invalid UTF-8: ROOM_MSG text with an overlong /",
				frame: rawFrame(typeRoomMsg, []byte{0x00, 0x02, 0xC0, 0xAF})},
			{name: "invalid UTF-8: ROOM_MSG text with a UTF-16 surrogate",
				frame: rawFrame(typeRoomMsg, []byte{0x00, 0x03, 0xED, 0xA0, 0x80})},
			{name: "invalid UTF-8: JOIN_ROOM room",
				frame: rawFrame(typeJoinRoom, []byte{0x04, 't', 'e', 0xFF, 'h'})},
			{name: "invalid UTF-8: PRIVATE_MSG to",
				frame: rawFrame(typePrivateMsg, []byte{0x03, 'b', 0xFF, 'b', 0x00, 0x02, 'h', 'i'})},
			{name: "invalid UTF-8: PRIVATE_MSG text",
				frame: rawFrame(typePrivateMsg, append(bob, 0x00, 0x02, 0xC3, 0x28))},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				addr := startServer(t)
				alice := login(t, addr, "alice")
				bob := login(t, addr, "bob")
				alice.write(tt.frame)
				alice.expectError(codeMalformed)
				assert.Equal(t, []roomEntry{{lobby, 2}}, alice.listRooms(), "the connection stays; nothing changed")
				bob.sync() // nothing was delivered to bob
			})
		}
	})

	t.Run("a malformed LOGIN gets ERROR_MSG malformed (1), and a LOGIN afterwards succeeds", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			body []byte
		}{
			{name: "str8 past the end of the body", body: []byte{0x05, 'a', 'l'}},
			{name: "empty body", body: nil},
			{name: "byte left over", body: []byte{0x05, 'a', 'l', 'i', 'c', 'e', 0x00}},
			{name: "invalid UTF-8", body: []byte{0x05, 'a', 'l', 0xFF, 'c', 'e'}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				addr := startServer(t)
				alice := dial(t, addr, "alice")
				alice.write(rawFrame(typeLogin, tt.body))
				alice.expectError(codeMalformed)
				alice.login("alice")
			})
		}
	})

	// "An unknown type gets ERROR_MSG unsupported and is not fatal." The
	// body of the 0x0d frame is itself a valid JOIN_ROOM frame: a server
	// that did not skip body_len bytes would read it and create "trap".
	t.Run("an unknown type gets ERROR_MSG unsupported (2), its body is skipped and the connection stays", func(t *testing.T) {
		t.Parallel()
		trap, err := encodeFrame(clientToServer, message{Type: typeJoinRoom, Room: "trap"})
		require.NoError(t, err)
		tests := []struct {
			name  string
			frame []byte
		}{
			{name: "type 0x0d whose body is a JOIN_ROOM frame", frame: rawFrame(typeUnknownProbe, trap)},
			{name: "type 0x0d with an empty body", frame: rawFrame(typeUnknownProbe, nil)},
			{name: "type 0x00 with a body", frame: rawFrame(0x00, trap)},
			{name: "type 0xff with a body", frame: rawFrame(0xFF, trap)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				addr := startServer(t)
				alice := login(t, addr, "alice")
				alice.write(tt.frame)
				alice.expectError(codeUnsupported)
				assert.Equal(t, []roomEntry{{lobby, 1}}, alice.listRooms(), "the body was skipped, not read as a frame")
				room, _ := alice.listUsers()
				assert.Equal(t, lobby, room)
			})
		}
	})

	// §2 does not say what a server answers to a type that only the server
	// sends (LOGIN_ACK, SYSTEM_MSG, ...). It is read as an error that is
	// not fatal (rule 10), either unsupported (no C→S layout: "unknown" to
	// a server) or malformed (no layout to parse the body as).
	t.Run("a server-only type from a client gets ERROR_MSG malformed or unsupported and the connection stays", func(t *testing.T) {
		t.Parallel()
		for _, typ := range []msgType{typeLoginAck, typeLoginReject, typeDelivery, typeSystemMsg, typeErrorMsg, typeRoomMsgAck} {
			t.Run(typ.String(), func(t *testing.T) {
				t.Parallel()
				var example message
				for _, tt := range layoutCases {
					if tt.dir == serverToClient && tt.msg.Type == typ {
						example = tt.msg
						break
					}
				}
				frame, err := encodeFrame(serverToClient, example)
				require.NoError(t, err)
				addr := startServer(t)
				alice := login(t, addr, "alice")
				alice.write(frame)
				e := alice.expect(typeErrorMsg)
				assert.Contains(t, []errorCode{codeMalformed, codeUnsupported}, e.Code, "text %q", e.Text)
				t.Logf("%v from a client: ERROR_MSG %v %q", typ, e.Code, e.Text)
				assert.Equal(t, []roomEntry{{lobby, 1}}, alice.listRooms())
			})
		}
	})

	// "flags: 0x00 when sent; bits are reserved and ignored on receipt".
	t.Run("flags that are not 0 are ignored on receipt", func(t *testing.T) {
		t.Parallel()
		for _, flags := range []uint8{0x01, 0x80, 0xFF} {
			t.Run(fmt.Sprintf("flags 0x%02x", flags), func(t *testing.T) {
				t.Parallel()
				addr := startServer(t)
				bob := login(t, addr, "bob")
				alice := dial(t, addr, "alice")
				with := func(m message) []byte {
					b, err := encodeFrame(clientToServer, m)
					require.NoError(t, err)
					b[4] = flags
					return b
				}
				alice.write(with(message{Type: typeLogin, Username: "alice"}))
				assert.Equal(t, message{Type: typeLoginAck, Username: "alice", Room: lobby}, alice.expect(typeLoginAck))
				alice.write(with(message{Type: typeRoomMsg, Text: "hi"}))
				assert.Equal(t, message{Type: typeRoomMsgAck, Room: lobby, Recipients: 1}, alice.expect(typeRoomMsgAck))
				assert.Equal(t, message{Type: typeRoomMsg, Room: lobby, From: "alice", Text: "hi"}, bob.expect(typeRoomMsg))
				alice.write(with(message{Type: typeListRooms}))
				assert.Equal(t, []roomEntry{{lobby, 2}}, alice.expect(typeListRooms).Rooms)
			})
		}
	})
}

// ---------------------------------------------------------------------------
// §2: frames on a TCP stream

func TestFraming(t *testing.T) {
	t.Run("a frame written one byte at a time is read as one frame", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := dial(t, addr, "alice")
		for _, m := range []message{{Type: typeLogin, Username: "alice"}, {Type: typeJoinRoom, Room: "tech"}} {
			b, err := encodeFrame(clientToServer, m)
			require.NoError(t, err)
			for i := range b {
				alice.write(b[i : i+1])
			}
		}
		assert.Equal(t, message{Type: typeLoginAck, Username: "alice", Room: lobby}, alice.expect(typeLoginAck))
		assert.Equal(t, message{Type: typeJoinRoom, Room: "tech", Created: true}, alice.expect(typeJoinRoom))
	})

	t.Run("several frames in one write are all answered, in order", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t)
		alice := dial(t, addr, "alice")
		var batch []byte
		for _, m := range []message{
			{Type: typeLogin, Username: "alice"},
			{Type: typeJoinRoom, Room: "tech"},
			{Type: typeRoomMsg, Text: "hi"},
			{Type: typeListUsers},
			{Type: typeListRooms},
		} {
			b, err := encodeFrame(clientToServer, m)
			require.NoError(t, err)
			batch = append(batch, b...)
		}
		alice.write(batch)
		assert.Equal(t, message{Type: typeLoginAck, Username: "alice", Room: lobby}, alice.expect(typeLoginAck))
		assert.Equal(t, message{Type: typeJoinRoom, Room: "tech", Created: true}, alice.expect(typeJoinRoom))
		assert.Equal(t, message{Type: typeRoomMsgAck, Room: "tech", Recipients: 0}, alice.expect(typeRoomMsgAck))
		assert.Equal(t, message{Type: typeListUsers, Room: "tech", Users: []string{"alice"}}, alice.expect(typeListUsers))
		assert.Equal(t, []roomEntry{{lobby, 0}, {"tech", 1}}, alice.expect(typeListRooms).Rooms)
	})
}

// ---------------------------------------------------------------------------
// §2: replies byte for byte

// TestExactReplies walks through a session and compares the server's
// frames with frames computed by hand from the tables of §2.
func TestExactReplies(t *testing.T) {
	addr := startServer(t)
	bob := login(t, addr, "bob")
	carol := login(t, addr, "carol")
	carol.join("tech")
	carol.sync()
	carol.system = nil // whatever was announced so far

	exact := func(what, wantHex string, raw []byte) {
		t.Helper()
		want := unhex(t, wantHex)
		assert.Equal(t, want, raw, "%s:\nwant % x\n got % x", what, want, raw)
	}
	// nextSystem returns the bytes of the next SYSTEM_MSG with text.
	nextSystem := func(c *client, text string) []byte {
		t.Helper()
		for {
			m, raw := c.expectFrame(typeSystemMsg)
			if m.Text == text {
				return raw
			}
			c.system = append(c.system, m.Text)
		}
	}

	alice := dial(t, addr, "alice")
	alice.send(message{Type: typeLogin, Username: "alice"})
	_, raw := alice.expectFrame(typeLoginAck)
	exact("LOGIN_ACK alice general", "43 50 01 02 00 00 00 00 0e 05 61 6c 69 63 65 07 67 65 6e 65 72 61 6c", raw)

	alice.send(message{Type: typeJoinRoom, Room: "tech"})
	_, raw = alice.expectFrame(typeJoinRoom)
	exact("JOIN_ROOM tech, not created", "43 50 01 07 00 00 00 00 06 04 74 65 63 68 00", raw)
	exact("SYSTEM_MSG alice joined tech (to carol)",
		"43 50 01 0a 00 00 00 00 13 00 11 61 6c 69 63 65 20 6a 6f 69 6e 65 64 20 74 65 63 68",
		nextSystem(carol, "alice joined tech"))
	exact("SYSTEM_MSG alice left general (to bob)",
		"43 50 01 0a 00 00 00 00 14 00 12 61 6c 69 63 65 20 6c 65 66 74 20 67 65 6e 65 72 61 6c",
		nextSystem(bob, "alice left general"))

	alice.send(message{Type: typeRoomMsg, Text: "hi"})
	_, raw = alice.expectFrame(typeRoomMsgAck)
	exact("ROOM_MSG_ACK tech 1", "43 50 01 0c 00 00 00 00 09 04 74 65 63 68 00 00 00 01", raw)
	_, raw = carol.expectFrame(typeRoomMsg)
	exact("ROOM_MSG tech alice hi", "43 50 01 04 00 00 00 00 0f 04 74 65 63 68 05 61 6c 69 63 65 00 02 68 69", raw)

	alice.send(message{Type: typeListUsers})
	_, raw = alice.expectFrame(typeListUsers)
	exact("LIST_USERS tech alice carol",
		"43 50 01 08 00 00 00 00 13 04 74 65 63 68 00 02 05 61 6c 69 63 65 05 63 61 72 6f 6c", raw)

	alice.send(message{Type: typeListRooms})
	_, raw = alice.expectFrame(typeListRooms)
	exact("LIST_ROOMS general 1, tech 2",
		"43 50 01 09 00 00 00 00 13 00 02 07 67 65 6e 65 72 61 6c 00 01 04 74 65 63 68 00 02", raw)

	alice.send(message{Type: typePrivateMsg, To: "bob", Text: "hi"})
	_, raw = alice.expectFrame(typeDelivery)
	exact("PRIVATE_MSG_DELIVERY delivered bob", "43 50 01 06 00 00 00 00 05 00 03 62 6f 62", raw)
	_, raw = bob.expectFrame(typePrivateMsg)
	exact("PRIVATE_MSG from alice hi", "43 50 01 05 00 00 00 00 0a 05 61 6c 69 63 65 00 02 68 69", raw)

	alice.send(message{Type: typePrivateMsg, To: "nobody", Text: "hi"})
	_, raw = alice.expectFrame(typeDelivery)
	exact("PRIVATE_MSG_DELIVERY no_such_user nobody", "43 50 01 06 00 00 00 00 08 01 06 6e 6f 62 6f 64 79", raw)

	alice.send(message{Type: typeJoinRoom, Room: "quiet"})
	_, raw = alice.expectFrame(typeJoinRoom)
	exact("JOIN_ROOM quiet, created", "43 50 01 07 00 00 00 00 07 05 71 75 69 65 74 01", raw)
	alice.send(message{Type: typeRoomMsg, Text: "anyone?"})
	_, raw = alice.expectFrame(typeRoomMsgAck)
	exact("ROOM_MSG_ACK quiet 0 (an empty room)", "43 50 01 0c 00 00 00 00 0a 05 71 75 69 65 74 00 00 00 00", raw)
}

// TestEveryServerMessageType drives a session that provokes each of the
// eleven S→C types, so that the strict decoder has checked a real frame
// of every row of the table.
func TestEveryServerMessageType(t *testing.T) {
	addr := startServer(t, maxUsers(2))
	alice := login(t, addr, "alice") // LOGIN_ACK
	bob := login(t, addr, "bob")
	rejected := dial(t, addr, "carol")
	rejected.send(message{Type: typeLogin, Username: "carol"})
	rejected.expect(typeLoginReject)       // LOGIN_REJECT
	alice.say("hi")                        // ROOM_MSG_ACK
	bob.expect(typeRoomMsg)                // ROOM_MSG
	alice.whisper("bob", "psst")           // PRIVATE_MSG_DELIVERY
	bob.expect(typePrivateMsg)             // PRIVATE_MSG
	alice.join("tech")                     // JOIN_ROOM
	bob.expectSystem("alice left general") // SYSTEM_MSG
	alice.listRooms()                      // LIST_ROOMS
	alice.sync()                           // LIST_USERS
	alice.send(message{Type: typeRoomMsg, Text: ""})
	alice.expectError(codeEmpty) // ERROR_MSG
	seen := map[msgType]int{}
	for _, c := range []*client{alice, bob, rejected} {
		for typ, n := range c.seen {
			seen[typ] += n
		}
	}
	for _, typ := range serverTypes {
		assert.Positive(t, seen[typ], "no %v was received, so its layout was not checked on a real frame", typ)
	}
}
