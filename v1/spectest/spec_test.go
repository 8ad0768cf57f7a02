package spectest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/shared/chattest"
)

// Limits stated in §1 of the specification.
const (
	maxTextBytes = 4096  // message text, in bytes of UTF-8
	maxLineBytes = 65536 // one JSON line, including its newline
	maxNameRunes = 20    // username, in code points
	maxRoomRunes = 32    // room name, in code points
	lobby        = "general"
)

// Timings of this test, not of the protocol.
const (
	ioTimeout    = 20 * time.Second // longest wait for a line or a close
	loginTimeout = time.Second      // LoginTimeout knob, instead of 10 s: long enough for a log-in on a busy machine
)

// ---------------------------------------------------------------------------
// Starting the server

// startServer starts the v1 server in-process on 127.0.0.1 and returns its
// address. cfg carries the optional test knobs (MaxUsers, LoginTimeout).
func startServer(t *testing.T, cfg chatserver.Config) string {
	t.Helper()
	cfg.Codec = jsonwire.Codec{}
	return chattest.Start(t, chatserver.New(cfg))
}

// ---------------------------------------------------------------------------
// The shape of every server→client object (§3)

// obj is one JSON object on the wire.
type obj = map[string]any

// kind is a JSON type as §3 names it.
type kind struct {
	name string
	ok   func(any) bool
}

var (
	jsonString = kind{"string", func(v any) bool { _, ok := v.(string); return ok }}
	jsonBool   = kind{"bool", func(v any) bool { _, ok := v.(bool); return ok }}
	jsonCount  = kind{"non-negative integer", isCount}
	jsonNames  = kind{"array of strings", func(v any) bool {
		a, ok := v.([]any)
		return ok && !slices.ContainsFunc(a, func(e any) bool { return !jsonString.ok(e) })
	}}
	jsonRooms = kind{`array of {"name", "members"}`, func(v any) bool {
		a, ok := v.([]any)
		return ok && !slices.ContainsFunc(a, func(e any) bool {
			r, ok := e.(map[string]any)
			return !ok || len(r) != 2 || !jsonString.ok(r["name"]) || !isCount(r["members"])
		})
	}}
)

func isCount(v any) bool {
	f, ok := v.(float64)
	return ok && f >= 0 && f == math.Trunc(f)
}

// serverKeys is the S→C column of the table in §3: for each type, the keys
// besides "type" and their JSON types. Nothing else may appear.
var serverKeys = map[string]map[string]kind{
	"login_ack":            {"username": jsonString, "room": jsonString},
	"login_reject":         {"reason": jsonString, "text": jsonString},
	"room_msg":             {"room": jsonString, "from": jsonString, "text": jsonString},
	"private_msg":          {"from": jsonString, "text": jsonString},
	"private_msg_delivery": {"status": jsonString, "to": jsonString},
	"join_room":            {"room": jsonString, "created": jsonBool},
	"list_users":           {"room": jsonString, "users": jsonNames},
	"list_rooms":           {"rooms": jsonRooms},
	"system_msg":           {"text": jsonString},
	"error_msg":            {"code": jsonString, "text": jsonString},
	"room_msg_ack":         {"room": jsonString, "recipients": jsonCount},
}

// shapeError says how m breaks §3, or returns nil.
func shapeError(m obj) error {
	typ, ok := m["type"].(string)
	if !ok {
		return errors.New(`no string "type" key`)
	}
	want, ok := serverKeys[typ]
	if !ok {
		return fmt.Errorf("type %q is not a server→client type of §3", typ)
	}
	var problems []string
	for key, k := range want {
		v, present := m[key]
		switch {
		case !present:
			problems = append(problems, fmt.Sprintf("missing key %q", key))
		case !k.ok(v):
			problems = append(problems, fmt.Sprintf("key %q is %T %v, want %s", key, v, v, k.name))
		}
	}
	for key := range m {
		if _, listed := want[key]; !listed && key != "type" {
			problems = append(problems, fmt.Sprintf("extra key %q", key))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%s: %s", typ, strings.Join(problems, "; "))
	}
	return nil
}

// ---------------------------------------------------------------------------
// A raw JSON-lines client

// client is one TCP connection to the server. Its methods fail the test
// that owns it; call them only from that test's goroutine.
type client struct {
	t     *testing.T
	label string
	conn  net.Conn
	r     *bufio.Reader
	// system holds SYSTEM_MSG texts that arrived while the client waited
	// for something else, oldest first. Announcements are asynchronous,
	// so waits skip them; expectSystem looks here first.
	system []string
	// seen counts the types received, for the §3 coverage test.
	seen map[string]int
}

// dialConn connects to addr; the caller closes the connection.
func dialConn(t *testing.T, addr, label string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	require.NoError(t, err, "%s: dial", label)
	return &client{t: t, label: label, conn: conn, r: bufio.NewReader(conn), seen: map[string]int{}}
}

// dial connects to addr and closes the connection at cleanup.
func dial(t *testing.T, addr, label string) *client {
	t.Helper()
	c := dialConn(t, addr, label)
	t.Cleanup(func() { _ = c.conn.Close() })
	return c
}

// login dials, logs in as name and checks rule 2's LOGIN_ACK.
func login(t *testing.T, addr, name string) *client {
	t.Helper()
	c := dial(t, addr, name)
	c.login(name)
	return c
}

func (c *client) login(name string) {
	c.t.Helper()
	c.send(obj{"type": "login", "username": name})
	ack := c.expect("login_ack")
	require.Equal(c.t, obj{"type": "login_ack", "username": name, "room": lobby}, ack,
		"%s: rule 2: LOGIN_ACK names the user and room general", c.label)
}

// send writes m as one line ended by "\n".
func (c *client) send(m obj) {
	c.t.Helper()
	b, err := json.Marshal(m)
	require.NoError(c.t, err)
	c.write(string(b) + "\n")
}

// write writes raw bytes; the caller supplies the line ending.
func (c *client) write(s string) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetWriteDeadline(time.Now().Add(ioTimeout)))
	_, err := io.WriteString(c.conn, s)
	require.NoError(c.t, err, "%s: write", c.label)
}

// errBadLine marks a line that is not a well-formed §3 object.
var errBadLine = errors.New("bad line from server")

// read returns the next object within ioTimeout. It returns an error
// wrapping errBadLine for a line that breaks §3, and the connection's
// error (io.EOF, a timeout, ...) when no complete line arrives. It never
// fails the test itself, so it may be used in a cleanup.
func (c *client) read() (obj, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(ioTimeout)); err != nil {
		return nil, err
	}
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		if len(line) > 0 {
			return nil, fmt.Errorf("%w: %q without a newline, then %w", errBadLine, line, err)
		}
		return nil, err
	}
	var m obj
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, fmt.Errorf("%w: %q is not one JSON object: %w", errBadLine, line, err)
	}
	if err := shapeError(m); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", errBadLine, line, err)
	}
	if typ, _ := m["type"].(string); typ != "" {
		c.seen[typ]++
	}
	return m, nil
}

// next returns the next object, failing on a timeout, a close or a line
// that breaks §3.
func (c *client) next() obj {
	c.t.Helper()
	m, err := c.read()
	require.NoError(c.t, err, "%s: waiting for a line", c.label)
	return m
}

// expect returns the next object of type typ. SYSTEM_MSG objects on the
// way are kept for expectSystem; any other type fails the test.
func (c *client) expect(typ string) obj {
	c.t.Helper()
	for {
		m := c.next()
		switch m["type"] {
		case typ:
			return m
		case "system_msg":
			c.system = append(c.system, m["text"].(string))
		default:
			require.Failf(c.t, "unexpected message", "%s: waiting for %s, got %v", c.label, typ, m)
		}
	}
}

// expectEach returns one object of each of types, in any order.
func (c *client) expectEach(types ...string) map[string]obj {
	c.t.Helper()
	got := map[string]obj{}
	for len(got) < len(types) {
		m := c.next()
		typ := m["type"].(string)
		switch {
		case slices.Contains(types, typ) && got[typ] == nil:
			got[typ] = m
		case typ == "system_msg":
			c.system = append(c.system, m["text"].(string))
		default:
			require.Failf(c.t, "unexpected message", "%s: waiting for %v, got %v", c.label, types, m)
		}
	}
	return got
}

// expectSystem waits for a SYSTEM_MSG with exactly text.
func (c *client) expectSystem(text string) {
	c.t.Helper()
	for {
		if i := slices.Index(c.system, text); i >= 0 {
			c.system = slices.Delete(c.system, i, i+1)
			return
		}
		c.system = append(c.system, c.expect("system_msg")["text"].(string))
	}
}

// expectError waits for an ERROR_MSG and checks its code.
func (c *client) expectError(code string) {
	c.t.Helper()
	m := c.expect("error_msg")
	require.Equal(c.t, code, m["code"], "%s: error code (text %q)", c.label, m["text"])
}

// sync makes a round trip (LIST_USERS). Everything the server queued for
// this client before it handled the request arrives first, so a message
// that should not have been sent fails here. It returns the reply.
func (c *client) sync() obj {
	c.t.Helper()
	c.send(obj{"type": "list_users"})
	return c.expect("list_users")
}

// closed reports whether err means the server closed the connection.
func closed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// expectClosed requires the server to close the connection within
// ioTimeout, sending nothing more.
func (c *client) expectClosed() {
	c.t.Helper()
	m, err := c.read()
	require.Error(c.t, err, "%s: want the server to close, got %v", c.label, m)
	require.True(c.t, closed(err), "%s: want the server to close, got %v", c.label, err)
}

// expectSilence requires that nothing arrives and the connection stays
// open for d.
func (c *client) expectSilence(d time.Duration) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(d)))
	b, err := c.r.Peek(1)
	var ne net.Error
	require.True(c.t, errors.As(err, &ne) && ne.Timeout(),
		"%s: want silence for %v, got %q, %v", c.label, d, b, err)
}

func (c *client) join(room string) obj {
	c.t.Helper()
	c.send(obj{"type": "join_room", "room": room})
	return c.expect("join_room")
}

func (c *client) say(text string) obj {
	c.t.Helper()
	c.send(obj{"type": "room_msg", "text": text})
	return c.expect("room_msg_ack")
}

func (c *client) whisper(to, text string) obj {
	c.t.Helper()
	c.send(obj{"type": "private_msg", "to": to, "text": text})
	return c.expect("private_msg_delivery")
}

// room is one entry of a LIST_ROOMS reply.
type room struct {
	Name    string
	Members int
}

func (c *client) listRooms() []room {
	c.t.Helper()
	c.send(obj{"type": "list_rooms"})
	var rooms []room
	for _, e := range c.expect("list_rooms")["rooms"].([]any) {
		r := e.(map[string]any)
		rooms = append(rooms, room{r["name"].(string), int(r["members"].(float64))})
	}
	return rooms
}

func (c *client) listUsers() (string, []string) {
	c.t.Helper()
	m := c.sync()
	users := []string{}
	for _, u := range m["users"].([]any) {
		users = append(users, u.(string))
	}
	return m["room"].(string), users
}

func hasRoom(rooms []room, name string) bool {
	return slices.ContainsFunc(rooms, func(r room) bool { return r.Name == name })
}

// ---------------------------------------------------------------------------
// Rules 1–3: logging in

func TestLogin(t *testing.T) {
	t.Run("rule 2: LOGIN is answered with LOGIN_ACK and the user is in room general", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice") // checks {"type":"login_ack","username":"alice","room":"general"}
		room, users := alice.listUsers()
		assert.Equal(t, lobby, room)
		assert.Equal(t, []string{"alice"}, users)
	})

	t.Run("rule 3: an invalid username gets LOGIN_REJECT name_invalid, then a close", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		tests := []struct {
			name     string
			username string
		}{
			{name: "empty", username: ""},
			{name: "21 ASCII characters", username: strings.Repeat("a", maxNameRunes+1)},
			{name: "21 two-byte letters", username: strings.Repeat("é", maxNameRunes+1)},
			{name: "inner space", username: "al ice"},
			{name: "trailing space", username: "alice "},
			{name: "tab", username: "al\tice"},
			{name: "exclamation mark", username: "alice!"},
			{name: "at sign", username: "al@ce"},
			{name: "slash", username: "a/b"},
			{name: "plus", username: "a+b"},
			{name: "comma", username: "a,b"},
			{name: "emoji", username: "ali😀"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, addr, fmt.Sprintf("login %q", tt.username))
				c.send(obj{"type": "login", "username": tt.username})
				reject := c.expect("login_reject")
				assert.Equal(t, "name_invalid", reject["reason"], "text %q", reject["text"])
				c.expectClosed()
			})
		}
	})

	t.Run("rule 3: a username of 1-20 letters, digits, _ - . is accepted, in any script", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
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

	t.Run("rule 3: usernames are unique ignoring case", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
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
				c.send(obj{"type": "login", "username": tt.username})
				reject := c.expect("login_reject")
				assert.Equal(t, "name_taken", reject["reason"], "text %q", reject["text"])
				c.expectClosed()
			})
		}

		t.Run("only among the users online: ALICE may log in once alice left", func(t *testing.T) {
			require.NoError(t, alice.conn.Close())
			bob.expectSystem("alice left general")
			login(t, addr, "ALICE")
		})
	})

	t.Run("rule 2: a full server answers LOGIN_REJECT server_full, then closes", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{MaxUsers: 2})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")

		carol := dial(t, addr, "carol")
		carol.send(obj{"type": "login", "username": "carol"})
		reject := carol.expect("login_reject")
		assert.Equal(t, "server_full", reject["reason"], "text %q", reject["text"])
		carol.expectClosed()

		// A place frees up when a user leaves.
		require.NoError(t, bob.conn.Close())
		alice.expectSystem("bob left general")
		login(t, addr, "carol")
	})

	t.Run("rule 2: a connection that never logs in is closed", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{LoginTimeout: loginTimeout})
		c := dial(t, addr, "silent")
		c.expectClosed()
	})

	t.Run("rule 2: the login timeout no longer applies once logged in", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{LoginTimeout: loginTimeout})
		alice := login(t, addr, "alice")
		alice.expectSilence(3 * loginTimeout)
		alice.sync()
	})

	t.Run("rule 1: a message before LOGIN gets not_logged_in or a close", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{LoginTimeout: 10 * ioTimeout})
		tests := []struct {
			name string
			msg  obj
		}{
			{name: "room_msg", msg: obj{"type": "room_msg", "text": "hi"}},
			{name: "private_msg", msg: obj{"type": "private_msg", "to": "bob", "text": "hi"}},
			{name: "join_room", msg: obj{"type": "join_room", "room": "tech"}},
			{name: "list_users", msg: obj{"type": "list_users"}},
			{name: "list_rooms", msg: obj{"type": "list_rooms"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, addr, "anonymous")
				c.send(tt.msg)
				m, err := c.read()
				if err != nil {
					require.True(t, closed(err), "want ERROR_MSG not_logged_in or a close, got %v", err)
					t.Log("the server closed without an answer (allowed in v1)")
					return
				}
				require.Equal(t, "error_msg", m["type"], "want ERROR_MSG not_logged_in or a close, got %v", m)
				assert.Equal(t, "not_logged_in", m["code"])
				// The v2+ answer: the error is not fatal (rule 10), so the
				// client may still log in. Closing right after is v1's
				// other choice.
				late := "late_" + tt.name // one name per case: an earlier case's user may still be online
				if _, err := io.WriteString(c.conn, `{"type":"login","username":"`+late+`"}`+"\n"); err != nil {
					return
				}
				m, err = c.read()
				if err != nil {
					require.True(t, closed(err), "after not_logged_in: want LOGIN_ACK or a close, got %v", err)
					t.Log("the server answered not_logged_in, then closed")
					return
				}
				require.Equal(t, obj{"type": "login_ack", "username": late, "room": lobby}, m)
				t.Log("the server answered not_logged_in and kept the connection")
				require.NoError(t, c.conn.Close())
			})
		}
	})

	// The error table of §2 lists already_logged_in as not fatal; rule 10
	// says errors other than oversized lines keep the connection.
	t.Run("rule 10: a second LOGIN gets ERROR_MSG already_logged_in and the session goes on", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		alice.send(obj{"type": "login", "username": "alice2"})
		alice.expectError("already_logged_in")
		_, users := alice.listUsers()
		assert.Equal(t, []string{"alice"}, users)
	})
}

// ---------------------------------------------------------------------------
// Rules 4 and 6: rooms

func TestRooms(t *testing.T) {
	t.Run("rule 4: JOIN_ROOM creates a missing room (created true) and joins an existing one (created false)", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")

		assert.Equal(t, obj{"type": "join_room", "room": "tech", "created": true}, alice.join("tech"))
		assert.Equal(t, obj{"type": "join_room", "room": "tech", "created": false}, bob.join("tech"))
		room, users := alice.listUsers()
		assert.Equal(t, "tech", room, "rule 4: a user is in exactly one room")
		assert.Equal(t, []string{"alice", "bob"}, users)
		assert.Equal(t, obj{"type": "join_room", "room": lobby, "created": false}, alice.join(lobby),
			"general always exists, so joining it never creates it")
	})

	t.Run("rule 4: a room disappears when its last member leaves; general never does", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		alice.join("tech")
		bob.join("tech")
		// Reading "general always exists" as: it is listed even when empty.
		assert.Equal(t, []room{{lobby, 0}, {"tech", 2}}, alice.listRooms())

		bob.join(lobby)
		assert.Equal(t, []room{{lobby, 1}, {"tech", 1}}, alice.listRooms())
		alice.join(lobby)
		assert.Equal(t, []room{{lobby, 2}}, alice.listRooms())
		assert.Equal(t, true, alice.join("tech")["created"], "tech is created anew")
	})

	t.Run("rule 4: a room disappears when its last member disconnects", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		bob.join("tech")
		require.True(t, hasRoom(alice.listRooms(), "tech"))
		require.NoError(t, bob.conn.Close())

		// Nobody is left in tech to see an announcement: ask again (each
		// answer is a round trip, the event waited for) until a deadline.
		deadline := time.Now().Add(ioTimeout)
		for hasRoom(alice.listRooms(), "tech") {
			require.True(t, time.Now().Before(deadline), "tech still listed %v after its last member left", ioTimeout)
		}
		assert.Equal(t, []room{{lobby, 1}}, alice.listRooms())
	})

	t.Run("rule 6: a room switch is announced in both rooms", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
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

	t.Run("rule 4: a room name of 1-32 letters, digits, _ - . is accepted", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
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
				assert.Equal(t, obj{"type": "join_room", "room": tt.room, "created": true}, alice.join(tt.room))
			})
		}
	})

	// §1 does not name the error for a bad room name; name_invalid is the
	// only fitting code of the error table, and rule 10 makes it not fatal.
	t.Run("rule 4: an invalid room name gets ERROR_MSG name_invalid and the user stays put", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
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
				alice.send(obj{"type": "join_room", "room": tt.room})
				alice.expectError("name_invalid")
				room, _ := alice.listUsers()
				assert.Equal(t, lobby, room)
			})
		}
		assert.Equal(t, []room{{lobby, 1}}, alice.listRooms(), "no room was created")
	})

	t.Run("LIST_ROOMS lists every room sorted by name, with its member count", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		login(t, addr, "bob")
		login(t, addr, "carol").join("zeta")
		login(t, addr, "dave").join("alpha")
		login(t, addr, "erin").join("mid")
		login(t, addr, "frank").join("mid")
		assert.Equal(t, []room{{"alpha", 1}, {lobby, 2}, {"mid", 2}, {"zeta", 1}}, alice.listRooms())
	})

	t.Run("LIST_USERS lists the caller's room, sorted", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
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
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		dave := login(t, addr, "dave")
		carol := login(t, addr, "carol")
		carol.join("tech")

		ack := alice.say("hello")
		assert.Equal(t, obj{"type": "room_msg_ack", "room": lobby, "recipients": float64(2)}, ack)
		want := obj{"type": "room_msg", "room": lobby, "from": "alice", "text": "hello"}
		assert.Equal(t, want, bob.expect("room_msg"))
		assert.Equal(t, want, dave.expect("room_msg"))

		// sync fails if a ROOM_MSG is queued for the sender or for tech.
		alice.sync()
		carol.sync()
	})

	t.Run("rule 5: a lone member's message has 0 recipients", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		login(t, addr, "bob")
		alice.join("tech")
		assert.Equal(t, obj{"type": "room_msg_ack", "room": "tech", "recipients": float64(0)}, alice.say("anyone?"))
	})

	t.Run("rule 5: messages follow the sender's current room", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		carol := login(t, addr, "carol")
		carol.join("tech")
		alice.join("tech")

		assert.Equal(t, obj{"type": "room_msg_ack", "room": "tech", "recipients": float64(1)}, alice.say("hi tech"))
		assert.Equal(t, obj{"type": "room_msg", "room": "tech", "from": "alice", "text": "hi tech"}, carol.expect("room_msg"))
		bob.sync()
	})
}

// ---------------------------------------------------------------------------
// Rule 7: message text

func TestTextRules(t *testing.T) {
	maxASCII := strings.Repeat("a", maxTextBytes)
	maxTwoByte := strings.Repeat("é", maxTextBytes/2) // 2048 code points, 4096 bytes
	texts := []struct {
		name    string
		text    string
		wantErr string // "" when the text is delivered
	}{
		{name: "empty text gets empty", text: "", wantErr: "empty"},
		{name: "one byte is delivered", text: "x"},
		{name: "4096 ASCII bytes are delivered", text: maxASCII},
		{name: "4096 bytes of two-byte letters are delivered", text: maxTwoByte},
		{name: "4097 bytes get too_long", text: maxASCII + "a", wantErr: "too_long"},
		{name: "4097 bytes in 2049 code points get too_long", text: maxTwoByte + "a", wantErr: "too_long"},
	}
	kinds := []struct {
		name     string
		send     func(from *client, text string)
		ack      string // the sender's reply when delivered
		delivery string // what the recipient gets
	}{
		{
			name:     "room_msg",
			send:     func(c *client, text string) { c.send(obj{"type": "room_msg", "text": text}) },
			ack:      "room_msg_ack",
			delivery: "room_msg",
		},
		{
			name:     "private_msg",
			send:     func(c *client, text string) { c.send(obj{"type": "private_msg", "to": "bob", "text": text}) },
			ack:      "private_msg_delivery",
			delivery: "private_msg",
		},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			addr := startServer(t, chatserver.Config{})
			alice := login(t, addr, "alice")
			bob := login(t, addr, "bob")
			for _, tt := range texts {
				t.Run("rule 7: "+tt.name, func(t *testing.T) {
					k.send(alice, tt.text)
					if tt.wantErr != "" {
						alice.expectError(tt.wantErr)
						alice.sync() // rule 10: not fatal, the connection stays open
						bob.sync()   // and nothing was delivered
						return
					}
					alice.expect(k.ack)
					got := bob.expect(k.delivery)
					assert.Equal(t, "alice", got["from"])
					assert.Equal(t, tt.text, got["text"])
				})
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Rule 8: private messages

func TestPrivateMessages(t *testing.T) {
	t.Run("rule 8: a private message is delivered to the user, whatever their room", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		carol := login(t, addr, "carol")
		bob.join("tech")

		assert.Equal(t, obj{"type": "private_msg_delivery", "status": "delivered", "to": "bob"}, alice.whisper("bob", "psst"))
		assert.Equal(t, obj{"type": "private_msg", "from": "alice", "text": "psst"}, bob.expect("private_msg"))
		carol.sync() // carol, in alice's room, sees nothing
		alice.sync()
	})

	t.Run("rule 8: a private message to a user not online gets no_such_user", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		assert.Equal(t, obj{"type": "private_msg_delivery", "status": "no_such_user", "to": "nobody"}, alice.whisper("nobody", "hello?"))

		require.NoError(t, bob.conn.Close())
		alice.expectSystem("bob left general")
		assert.Equal(t, obj{"type": "private_msg_delivery", "status": "no_such_user", "to": "bob"}, alice.whisper("bob", "still there?"))
	})

	t.Run("rule 8: a private message to oneself is delivered", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		alice.send(obj{"type": "private_msg", "to": "alice", "text": "note to self"})
		got := alice.expectEach("private_msg_delivery", "private_msg")
		assert.Equal(t, obj{"type": "private_msg_delivery", "status": "delivered", "to": "alice"}, got["private_msg_delivery"])
		assert.Equal(t, obj{"type": "private_msg", "from": "alice", "text": "note to self"}, got["private_msg"])
	})
}

// ---------------------------------------------------------------------------
// Rules 6 and 9: leaving

func TestLeaving(t *testing.T) {
	t.Run("rules 6, 9: closing the connection is announced to the user's room", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		carol := login(t, addr, "carol")
		dave := login(t, addr, "dave")
		carol.join("tech")
		dave.join("tech")

		require.NoError(t, bob.conn.Close())
		alice.expectSystem("bob left general")
		require.NoError(t, dave.conn.Close())
		carol.expectSystem("dave left tech")

		_, users := alice.listUsers()
		assert.Equal(t, []string{"alice"}, users)
		alice.sync()
		assert.NotContains(t, alice.system, "dave left tech", "announced only in dave's room")
	})

	t.Run("rule 9: on shutdown every user gets SYSTEM_MSG server shutting down, then a close", func(t *testing.T) {
		t.Parallel()
		var users []*client
		// Registered before the server starts, so it runs after the
		// server's own cleanup has shut it down. Cleanups may not stop the
		// test, so this uses assert only.
		t.Cleanup(func() {
			for _, c := range users {
				assertShutdown(t, c)
				_ = c.conn.Close()
			}
		})
		addr := startServer(t, chatserver.Config{})
		for _, name := range []string{"alice", "bob"} {
			c := dialConn(t, addr, name)
			users = append(users, c)
			c.login(name)
		}
		users[1].join("tech")
		users[0].sync()
	})
}

// assertShutdown checks that c reads SYSTEM_MSG "server shutting down"
// (after any other announcements) and then a close.
func assertShutdown(t *testing.T, c *client) {
	t.Helper()
	for {
		m, err := c.read()
		if !assert.NoError(t, err, "%s: want SYSTEM_MSG server shutting down", c.label) {
			return
		}
		if !assert.Equal(t, "system_msg", m["type"], "%s: want SYSTEM_MSG server shutting down", c.label) {
			return
		}
		if m["text"] == "server shutting down" {
			break
		}
	}
	m, err := c.read()
	assert.True(t, closed(err), "%s: want a close after server shutting down, got %v, %v", c.label, m, err)
}

// ---------------------------------------------------------------------------
// §3 and rule 10: JSON lines

// paddedLine returns a ROOM_MSG line of exactly n bytes including its
// "\n", padded with an unknown key so that only the line limit matters.
func paddedLine(n int) string {
	const prefix, suffix = `{"type":"room_msg","text":"hi","pad":"`, `"}` + "\n"
	return prefix + strings.Repeat("x", n-len(prefix)-len(suffix)) + suffix
}

func TestJSONLines(t *testing.T) {
	t.Run("§1 limits: a line of exactly 65536 bytes including the newline is accepted", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		line := paddedLine(maxLineBytes)
		require.Len(t, line, maxLineBytes)
		alice.write(line)
		assert.Equal(t, obj{"type": "room_msg_ack", "room": lobby, "recipients": float64(0)}, alice.expect("room_msg_ack"))
	})

	t.Run("rule 10: a longer line gets ERROR_MSG too_long, then a close", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		alice := login(t, addr, "alice")
		bob := login(t, addr, "bob")
		alice.write(paddedLine(maxLineBytes + 1))
		alice.expectError("too_long")
		alice.expectClosed()
		bob.expectSystem("alice left general")
		bob.sync() // the oversized line was not delivered as a message
	})

	t.Run("§3: a line ended by \\r\\n is accepted and the \\r is not part of the text", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		bob := login(t, addr, "bob")
		alice := dial(t, addr, "alice")
		alice.write(`{"type":"login","username":"alice"}` + "\r\n")
		assert.Equal(t, obj{"type": "login_ack", "username": "alice", "room": lobby}, alice.expect("login_ack"))
		alice.write(`{"type":"room_msg","text":"hi"}` + "\r\n")
		alice.expect("room_msg_ack")
		assert.Equal(t, obj{"type": "room_msg", "room": lobby, "from": "alice", "text": "hi"}, bob.expect("room_msg"))
	})

	t.Run("§3: unknown keys are ignored", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		bob := login(t, addr, "bob")
		alice := dial(t, addr, "alice")
		alice.send(obj{"type": "login", "username": "alice", "colour": "blue", "version": 2})
		assert.Equal(t, obj{"type": "login_ack", "username": "alice", "room": lobby}, alice.expect("login_ack"))
		alice.send(obj{"type": "room_msg", "text": "hi", "room": "elsewhere", "extra": []int{1, 2}})
		assert.Equal(t, lobby, alice.expect("room_msg_ack")["room"])
		assert.Equal(t, obj{"type": "room_msg", "room": lobby, "from": "alice", "text": "hi"}, bob.expect("room_msg"))
	})

	t.Run("§3: a line that is not a JSON object gets malformed or (v1) a close", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, chatserver.Config{})
		tests := []struct {
			name string
			line string
		}{
			{name: "not JSON", line: "hello\n"},
			{name: "JSON array", line: `["login","alice"]` + "\n"},
			{name: "missing key", line: `{"type":"room_msg"}` + "\n"},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := login(t, addr, fmt.Sprintf("user%d", i))
				c.write(tt.line)
				m, err := c.read()
				if err != nil {
					require.True(t, closed(err), "want ERROR_MSG malformed or a close, got %v", err)
					t.Log("the server closed without an answer (allowed in v1)")
					return
				}
				require.Equal(t, "error_msg", m["type"], "want ERROR_MSG malformed or a close, got %v", m)
				assert.Equal(t, "malformed", m["code"])
				t.Log("the server answered malformed")
				require.NoError(t, c.conn.Close())
			})
		}
	})
}

// TestEveryServerMessageKind drives a session that provokes each of the
// eleven server→client kinds, so that the §3 key check in read has
// looked at every row of the table.
func TestEveryServerMessageKind(t *testing.T) {
	addr := startServer(t, chatserver.Config{MaxUsers: 2})
	alice := login(t, addr, "alice") // login_ack
	bob := login(t, addr, "bob")
	rejected := dial(t, addr, "carol")
	rejected.send(obj{"type": "login", "username": "carol"})
	rejected.expect("login_reject")        // login_reject
	alice.say("hi")                        // room_msg_ack
	bob.expect("room_msg")                 // room_msg
	alice.whisper("bob", "psst")           // private_msg_delivery
	bob.expect("private_msg")              // private_msg
	alice.join("tech")                     // join_room
	bob.expectSystem("alice left general") // system_msg
	alice.listRooms()                      // list_rooms
	alice.sync()                           // list_users
	alice.send(obj{"type": "room_msg", "text": ""})
	alice.expectError("empty") // error_msg
	seen := map[string]int{}
	for _, c := range []*client{alice, bob, rejected} {
		for typ, n := range c.seen {
			seen[typ] += n
		}
	}
	for typ := range serverKeys {
		assert.Positive(t, seen[typ], "no %s was received, so its keys were not checked", typ)
	}
}
