package chatclient_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/chattest"
)

var clock = func() time.Time { return time.Date(2026, 11, 21, 12, 1, 5, 0, time.Local) }

// screen collects what the client shows, line by line, and lets a test
// wait for a line.
type screen struct {
	mu     sync.Mutex
	lines  []string
	prompt string
	grew   chan struct{}
}

func newScreen() *screen { return &screen{grew: make(chan struct{}, 1)} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.lines = append(s.lines, strings.Split(strings.TrimSuffix(string(p), "\n"), "\n")...)
	s.mu.Unlock()
	select {
	case s.grew <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (s *screen) SetPrompt(p string) {
	s.mu.Lock()
	s.prompt = p
	s.mu.Unlock()
}

func (s *screen) currentPrompt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prompt
}

func (s *screen) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// waitLine waits until a line equal to want has been shown.
func (s *screen) waitLine(t *testing.T, want string) {
	t.Helper()
	s.waitLineN(t, want, 1)
}

// waitLineN waits until a line equal to want has been shown n times.
func (s *screen) waitLineN(t *testing.T, want string, n int) {
	t.Helper()
	deadline := time.After(chattest.Timeout)
	for {
		seen := 0
		for _, l := range s.snapshot() {
			if l == want {
				seen++
			}
		}
		if seen >= n {
			return
		}
		select {
		case <-s.grew:
		case <-deadline:
			t.Fatalf("never showed %q; screen:\n%s", want, strings.Join(s.snapshot(), "\n"))
		}
	}
}

type session struct {
	input  *promptReader
	t      *testing.T
	client *chatclient.Client
	typing *io.PipeWriter
	screen *screen
	done   chan error
}

// promptReader notes the prompt each time the client asks for input, as a
// line editor would show it.
type promptReader struct {
	r       io.Reader
	screen  *screen
	mu      sync.Mutex
	prompts []string
}

func (p *promptReader) Read(b []byte) (int, error) {
	prompt := p.screen.currentPrompt()
	n, err := p.r.Read(b)
	p.mu.Lock()
	p.prompts = append(p.prompts, prompt+string(b[:n]))
	p.mu.Unlock()
	return n, err
}

// promptOf returns the prompt that was showing when line was typed.
func (p *promptReader) promptOf(line string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pl := range p.prompts {
		if prompt, ok := strings.CutSuffix(pl, line+"\n"); ok {
			return prompt
		}
	}
	return "(never read)"
}

// start runs a client as name against srv; lines written to typing are
// what the user types.
func start(t *testing.T, srv *wiretest.Server, name string, askName bool) *session {
	pipe, typing := io.Pipe()
	s := &session{t: t, typing: typing, screen: newScreen(), done: make(chan error, 1)}
	in := &promptReader{r: pipe, screen: s.screen}
	s.input = in
	c := chatclient.New(chatclient.Config{
		Username: name,
		Codec:    jsonwire.Codec{},
		Dial: func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
		},
		In: in, Out: s.screen, AskName: askName, Now: clock,
	})
	s.client = c
	go func() { s.done <- c.Run(t.Context()) }()
	t.Cleanup(func() { typing.Close() })
	return s
}

func (s *session) typeLine(line string) {
	s.t.Helper()
	_, err := io.WriteString(s.typing, line+"\n")
	require.NoError(s.t, err)
}

func (s *session) wait() error {
	s.t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(chattest.Timeout):
		s.t.Fatal("the client did not end")
		return nil
	}
}

func startServer(t *testing.T) *wiretest.Server {
	return wiretest.Env{Codec: jsonwire.Codec{}}.StartServer(t, chatserver.Config{})
}

func TestChat(t *testing.T) {
	srv := startServer(t)
	bob := srv.Login("bob")
	alice := start(t, srv, "alice", false)
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	assert.Equal(t, "alice@general> ", alice.screen.currentPrompt())

	alice.typeLine("hello, bob")
	assert.Equal(t, proto.Message{Kind: proto.KindRoomMsg, Room: "general", From: "alice", Text: "hello, bob"}, bob.Next())
	alice.screen.waitLine(t, "[12:01:05] [general] alice: hello, bob  (to 1 user)")

	bob.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "hi alice"})
	alice.screen.waitLine(t, "[12:01:05] [general] bob: hi alice")
	assert.Equal(t, proto.KindRoomMsgAck, bob.Next().Kind)

	alice.typeLine("/msg bob a secret, with spaces")
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsg, From: "alice", Text: "a secret, with spaces"}, bob.Next())
	alice.screen.waitLine(t, "[12:01:05] [PM to bob] a secret, with spaces")

	bob.Send(proto.Message{Kind: proto.KindPrivateMsg, To: "alice", Text: "got it"})
	alice.screen.waitLine(t, "[12:01:05] [PM from bob] got it")
	assert.Equal(t, proto.StatusDelivered, bob.Next().Status)

	alice.typeLine("/whisper carol are you there?")
	alice.screen.waitLine(t, "[12:01:05] !!! carol is not online; your message was not delivered")

	alice.typeLine("/who")
	alice.screen.waitLine(t, "[12:01:05] *** 2 users in general: alice, bob")

	alice.typeLine("/j tech")
	alice.screen.waitLine(t, "[12:01:05] *** you are now in tech (a new room)")
	bob.Expect("alice leaving", wiretest.System("alice left general"))
	alice.typeLine("/r")
	alice.screen.waitLine(t, "[12:01:05] *** 2 rooms: general (1), tech (1)")
	assert.Equal(t, "alice@tech> ", alice.input.promptOf("/r"),
		"the line after /join is already read under the new room's prompt")

	alice.typeLine("//join is not a command here")
	alice.screen.waitLine(t, "[12:01:05] [tech] alice: /join is not a command here  (to 0 users)")

	alice.typeLine("/dance")
	alice.screen.waitLine(t, "[12:01:05] !!! unknown command /dance; type /help for the list")
	alice.typeLine("/msg bob")
	alice.screen.waitLine(t, "[12:01:05] !!! /msg needs <text>; usage: /msg <user> <text>")
	alice.typeLine("/?")
	alice.screen.waitLine(t, "  /msg <user> <text>     send a private message (also /m, /pm, /dm, /whisper)")

	alice.typeLine("/quit")
	assert.NoError(t, alice.wait())
}

func TestEveryAliasWorks(t *testing.T) {
	srv := startServer(t)
	srv.Login("bob")
	alice := start(t, srv, "alice", false)
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	steps := []struct{ typed, shown string }{
		{"/join a", "[12:01:05] *** you are now in a (a new room)"},
		{"/j b", "[12:01:05] *** you are now in b (a new room)"},
		{"/msg bob 1", "[12:01:05] [PM to bob] 1"},
		{"/m bob 2", "[12:01:05] [PM to bob] 2"},
		{"/pm bob 3", "[12:01:05] [PM to bob] 3"},
		{"/dm bob 4", "[12:01:05] [PM to bob] 4"},
		{"/whisper bob 5", "[12:01:05] [PM to bob] 5"},
		{"/users", "[12:01:05] *** 1 user in b: alice"},
		{"/list", "[12:01:05] *** 1 user in b: alice"},
		{"/rooms", "[12:01:05] *** 2 rooms: b (1), general (1)"},
		{"/help", "Type a message and press Enter to send it to your room. Commands:"},
		{"/h", "Start a message with // to send a text that begins with /."},
	}
	for _, s := range steps {
		alice.typeLine(s.typed)
		alice.screen.waitLine(t, s.shown)
	}
	alice.typeLine("/exit")
	assert.NoError(t, alice.wait())
	for _, quit := range []string{"/q", "/QUIT"} {
		c := start(t, srv, "carol", false)
		c.screen.waitLine(t, "[12:01:05] *** logged in as carol, in room general. Type /help for commands.")
		c.typeLine(quit)
		assert.NoError(t, c.wait(), quit)
	}
}

// A taken name makes an interactive client ask for another.
func TestTakenNameAsksForAnother(t *testing.T) {
	srv := startServer(t)
	srv.Login("alice")
	c := start(t, srv, "ALICE", true)
	c.screen.waitLine(t, "[12:01:05] !!! the name alice is taken (name_taken). Type another name:")
	assert.Equal(t, "name> ", c.screen.currentPrompt())
	c.typeLine("bad name!")
	c.screen.waitLine(t, "[12:01:05] !!! a username is 1 to 20 letters, digits, '_', '-' or '.' (name_invalid). Type another name:")
	c.typeLine("alice2")
	c.screen.waitLine(t, "[12:01:05] *** logged in as alice2, in room general. Type /help for commands.")
	assert.Equal(t, "alice2@general> ", c.screen.currentPrompt())
}

// Without a person to ask, a refused log-in ends the run with the reason.
func TestTakenNameEndsAScript(t *testing.T) {
	srv := startServer(t)
	srv.Login("alice")
	c := start(t, srv, "alice", false)
	var rej *chatclient.RejectError
	require.ErrorAs(t, c.wait(), &rej)
	assert.Equal(t, proto.ReasonNameTaken, rej.Reason)
}

// Input that ends sends what was typed, shows the answers, and ends well.
func TestEndOfInput(t *testing.T) {
	srv := startServer(t)
	bob := srv.Login("bob")
	out := newScreen()
	c := chatclient.New(chatclient.Config{
		Username: "alice", Codec: jsonwire.Codec{}, Now: clock,
		Dial: func(ctx context.Context) (net.Conn, error) { return net.Dial("tcp", srv.Addr) },
		In:   strings.NewReader("hi\n/users\nno newline at the end"), Out: out,
	})
	require.NoError(t, c.Run(t.Context()))
	assert.Equal(t, []string{
		"[12:01:05] *** logged in as alice, in room general. Type /help for commands.",
		"[12:01:05] [general] alice: hi  (to 1 user)",
		"[12:01:05] *** 2 users in general: alice, bob",
		"[12:01:05] [general] alice: no newline at the end  (to 1 user)",
	}, out.snapshot())
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	assert.Equal(t, "hi", bob.Next().Text)
	assert.Equal(t, "no newline at the end", bob.Next().Text)
}

func TestServerShutdownEndsTheRun(t *testing.T) {
	srv := chatserver.New(chatserver.Config{Codec: jsonwire.Codec{}})
	addr := chattest.Start(t, srv)
	c := start(t, &wiretest.Server{Addr: addr}, "alice", false)
	c.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	require.NoError(t, srv.Shutdown(t.Context()))
	assert.ErrorIs(t, c.wait(), chatclient.ErrServerClosed)
	c.screen.waitLine(t, "[12:01:05] *** server shutting down")
	c.screen.waitLine(t, "[12:01:05] *** the server closed the connection")
}

// Text from others cannot drive the terminal.
func TestControlCharactersAreDefused(t *testing.T) {
	srv := startServer(t)
	bob := srv.Login("bob")
	alice := start(t, srv, "alice", false)
	alice.screen.waitLine(t, "[12:01:05] *** logged in as alice, in room general. Type /help for commands.")
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))
	bob.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "clear\x1b[2J\x07two\nlines"})
	alice.screen.waitLine(t, "[12:01:05] [general] bob: clear\uFFFD[2J\uFFFDtwo↵lines")
	// Nor reorder or hide itself: bidirectional overrides and zero widths
	// are shown.
	bob.Send(proto.Message{Kind: proto.KindRoomMsg, Text: "invoice\u202etxt.exe a\u200bb \u2066x\u2069"})
	alice.screen.waitLine(t, "[12:01:05] [general] bob: invoice\uFFFDtxt.exe a\uFFFDb \uFFFDx\uFFFD")
}

func TestDialFailure(t *testing.T) {
	boom := errors.New("no route")
	c := chatclient.New(chatclient.Config{
		Username: "alice", Codec: jsonwire.Codec{},
		Dial: func(context.Context) (net.Conn, error) { return nil, boom },
		In:   strings.NewReader(""), Out: io.Discard,
	})
	assert.ErrorIs(t, c.Run(t.Context()), boom)
}
