package app_test

// The client binary in a real terminal, a tmux pane (see
// chatlab/shared/tmuxtest), against an in-process server and a scripted
// peer: what a person sees while typing as messages arrive.

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/chattest"
	"chatlab/shared/tmuxtest"
)

const (
	termWidth, termHeight = 80, 15
	bobMessages           = 20                    // bob says "from bob 1" … "from bob 20"
	bobPause              = 25 * time.Millisecond // between bob's messages
	typingPause           = 20 * time.Millisecond // between keystrokes
)

// stamp matches a display line's time stamp.
const stamp = `\[\d\d:\d\d:\d\d\] `

var (
	bobLine   = regexp.MustCompile(`^` + stamp + `\[general\] bob: from bob (\d+)$`)
	aliceIn   = regexp.MustCompile(`^` + stamp + `\*\*\* logged in as alice, in room general\. Type /help for commands\.$`)
	aliceSent = regexp.MustCompile(`^` + stamp + `\[general\] alice: hello from alice  \(to 1 user\)$`)
	pmSent    = regexp.MustCompile(`^` + stamp + `\[PM to bob\] hi$`)
)

// TestClientInTerminal runs the client binary in tmux: chatting while a
// peer talks, tab completion and /quit; and asking for another name when
// the one given is taken.
func TestClientInTerminal(t *testing.T) {
	tmuxtest.Require(t)
	_, client := binaries(t)
	tests := []struct {
		name string
		run  func(t *testing.T, client string)
	}{
		{name: "chat", run: chatInTerminal},
		{name: "name taken", run: nameTakenInTerminal},
		{name: "long lines", run: longLinesInTerminal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, client)
		})
	}
}

// startClient runs `client <name> 127.0.0.1 <port>` in a pane under a shell
// that prints the client's exit status and keeps the pane open.
func startClient(t *testing.T, client, name, addr string) *tmuxtest.Pane {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return tmuxtest.Start(t, tmuxtest.Options{Width: termWidth, Height: termHeight},
		"sh", "-c", `"$@"; echo "exit=$?"; exec sleep 600`, "sh", client, name, "127.0.0.1", port)
}

// startPeer starts an in-process v1 server and logs a scripted peer in
// as name.
func startPeer(t *testing.T, name string) (addr string, peer *wiretest.Client) {
	t.Helper()
	addr = chattest.Start(t, chatserver.New(chatserver.Config{Codec: jsonwire.Codec{}}))
	peer = chattest.Dial(t, addr, wiretest.Codec(jsonwire.Codec{}))
	peer.Send(proto.Message{Kind: proto.KindLogin, Username: name})
	require.Equal(t, proto.KindLoginAck, peer.Next().Kind)
	return addr, peer
}

func chatInTerminal(t *testing.T, client string) {
	addr, bob := startPeer(t, "bob")
	p := startClient(t, client, "alice", addr)
	const prompt, line = "alice@general> ", "hello from alice"

	t.Log("Test: the log-in line, and the prompt on the bottom row")
	p.WaitFor("the log-in line and the prompt", func(s tmuxtest.Screen) bool {
		return s.Bottom() == strings.TrimSpace(prompt) && s.X == len(prompt) && matchRow(s, aliceIn) >= 0
	})
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))

	t.Log("Test: typing while bob talks keeps the prompt row and bob's lines intact")
	sent := bobTalks(t, bob)
	w := &chatWatcher{t: t, prompt: prompt, line: line}
	p.TypeSlowly(line, typingPause, func(typed string) {
		w.sent = len(typed)
		w.check(p.Screen())
	})
	require.NoError(t, <-sent, "bob's messages")
	p.WaitFor("all of bob's messages and the typed line", func(s tmuxtest.Screen) bool {
		w.check(s)
		return w.seen[bobMessages] && s.Bottom() == prompt+line
	})
	for k := 1; k <= bobMessages; k++ {
		assert.True(t, w.seen[k], "bob's message %d never seen whole", k)
	}

	t.Log("Test: Enter sends the line to the room; the prompt row is cleared")
	p.Keys("Enter")
	w.entered = true
	bob.Expect("alice's room message", func(m proto.Message) bool {
		return m.Kind == proto.KindRoomMsg && m.Room == "general" && m.From == "alice" && m.Text == line
	})
	p.WaitFor("alice's line and an empty prompt", func(s tmuxtest.Screen) bool {
		w.check(s)
		return matchRow(s, aliceSent) >= 0 && s.Bottom() == strings.TrimSpace(prompt) && s.X == len(prompt)
	})

	t.Log("Test: Tab completes a name the client has seen")
	p.Type("/msg b")
	p.WaitFor("the typed command", func(s tmuxtest.Screen) bool { return s.Bottom() == prompt+"/msg b" })
	p.Keys("Tab")
	p.WaitFor("bob's name completed", func(s tmuxtest.Screen) bool {
		return s.Bottom() == prompt+"/msg bob" && s.X == len(prompt+"/msg bob ")
	})
	p.Type("hi")
	p.Keys("Enter")
	assert.Equal(t, proto.Message{Kind: proto.KindPrivateMsg, From: "alice", Text: "hi"},
		bob.Expect("alice's private message", func(m proto.Message) bool { return m.Kind == proto.KindPrivateMsg }))
	p.WaitFor("the private message shown and an empty prompt", func(s tmuxtest.Screen) bool {
		return matchRow(s, pmSent) >= 0 && s.Bottom() == strings.TrimSpace(prompt) && s.X == len(prompt)
	})

	t.Log("Test: /quit ends the client with status 0 and restores the terminal")
	quit(t, p)
	bob.Expect("alice's departure", wiretest.System("alice left general"))
}

func nameTakenInTerminal(t *testing.T, client string) {
	addr, carol := startPeer(t, "carol")
	p := startClient(t, client, "CAROL", addr)

	t.Log("Test: a taken name is refused; the client asks for another")
	taken := regexp.MustCompile(`^` + stamp + `!!! the name carol is taken \(name_taken\)\. Type another name:$`)
	p.WaitFor("the refusal and the name prompt", func(s tmuxtest.Screen) bool {
		return matchRow(s, taken) >= 0 && s.Bottom() == "name>" && s.X == len("name> ")
	})

	t.Log("Test: the new name logs in")
	p.Type("dave")
	p.Keys("Enter")
	daveIn := regexp.MustCompile(`^` + stamp + `\*\*\* logged in as dave, in room general\. Type /help for commands\.$`)
	s := p.WaitFor("the log-in line and dave's prompt", func(s tmuxtest.Screen) bool {
		return matchRow(s, daveIn) >= 0 && s.Bottom() == "dave@general>" && s.X == len("dave@general> ")
	})
	assert.Less(t, matchRow(s, taken), matchRow(s, daveIn), "the refusal, then the log-in:\n%s", s)
	carol.Expect("dave's arrival", wiretest.System("dave joined general"))

	quit(t, p)
}

// longLinesInTerminal: a line longer than the screen is wide goes on in
// rows indented to its text, not under the time stamp and the nick.
func longLinesInTerminal(t *testing.T, client string) {
	addr, bob := startPeer(t, "bob")
	p := startClient(t, client, "alice", addr)
	p.WaitFor("the log-in line", func(s tmuxtest.Screen) bool { return matchRow(s, aliceIn) >= 0 })
	bob.Expect("alice's arrival", wiretest.System("alice joined general"))

	words := make([]string, 40)
	for i := range words {
		words[i] = fmt.Sprintf("word%02d", i+1)
	}
	bob.Send(proto.Message{Kind: proto.KindRoomMsg, Text: strings.Join(words, " ")})
	first := regexp.MustCompile(`^` + stamp + `\[general\] bob: word01 word02 `)
	const textColumn = len("[12:00:00] [general] bob: ")
	indent := strings.Repeat(" ", textColumn)
	t.Log("Test: bob's long line wraps at a space, its rows indented to the text column")
	end := func(s tmuxtest.Screen) int {
		for k := max(matchRow(s, first), 0); k < len(s.Rows); k++ {
			if strings.HasSuffix(s.Rows[k], "word40") {
				return k
			}
		}
		return -1
	}
	s := p.WaitFor("bob's line in rows, ending with word40", func(s tmuxtest.Screen) bool {
		return matchRow(s, first) >= 0 && end(s) > matchRow(s, first)
	})
	var text []string
	for k, row := range s.Rows[matchRow(s, first) : end(s)+1] {
		assert.LessOrEqual(t, len(row), termWidth, "row %d fits the screen", k)
		if k > 0 {
			require.True(t, strings.HasPrefix(row, indent+"word"), "row %d starts at the text column:\n%s", k, s)
			row = strings.TrimPrefix(row, indent)
		} else {
			row = row[textColumn:]
		}
		text = append(text, row)
	}
	assert.Equal(t, strings.Join(words, " "), strings.Join(text, " "), "every word, broken only at spaces")
	quit(t, p)
}

// quit types /quit and checks that the client exited with status 0 and
// left no scroll region: the shell's line after it scrolled the whole
// screen, leaving the cursor on an empty bottom row.
func quit(t *testing.T, p *tmuxtest.Pane) {
	t.Helper()
	p.Type("/quit")
	p.Keys("Enter")
	s := p.WaitFor("the client's exit status", func(s tmuxtest.Screen) bool { return slices.Contains(s.Rows, "exit=0") })
	assert.True(t, s.FullRegion(), "no scroll region after the client:\n%s", s)
	last := len(s.Rows) - 1
	assert.Equal(t, "exit=0", s.Rows[last-1], "the exit line above the bottom row:\n%s", s)
	assert.Equal(t, "", s.Bottom(), "an empty bottom row after the exit line:\n%s", s)
	assert.Equal(t, []int{0, last}, []int{s.X, s.Y}, "the cursor at the start of the bottom row")
	assert.Contains(t, p.History(), "exit=0")
}

// bobTalks has bob send his room messages from a goroutine, pausing between
// them, and returns the channel that reports the end: nil, or the first
// write error. The goroutine only writes: failing the test is left to the
// test's goroutine.
func bobTalks(t *testing.T, bob *wiretest.Client) <-chan error {
	t.Helper()
	frames := make([][]byte, bobMessages)
	for k := range frames {
		m := proto.Message{Kind: proto.KindRoomMsg, Text: fmt.Sprintf("from bob %d", k+1)}
		b, err := jsonwire.Codec{}.Append(nil, &m, proto.ClientToServer)
		require.NoError(t, err)
		frames[k] = b
	}
	done := make(chan error, 1)
	go func() {
		for _, f := range frames {
			if _, err := bob.Raw.Write(f); err != nil {
				done <- err
				return
			}
			time.Sleep(bobPause)
		}
		done <- nil
	}()
	return done
}

// matchRow returns the index of the first row re matches, or -1.
func matchRow(s tmuxtest.Screen, re *regexp.Regexp) int {
	return slices.IndexFunc(s.Rows, re.MatchString)
}

// chatWatcher checks each screen of the chat for garbling and remembers
// bob's messages it saw whole.
type chatWatcher struct {
	t       *testing.T
	prompt  string
	line    string // the line being typed
	sent    int    // bytes of line typed so far
	entered bool   // Enter was pressed: the prompt row may be empty, the cursor anywhere on it

	seen map[int]bool // bob's messages seen as whole display lines
}

// check fails the test if s is garbled.
func (w *chatWatcher) check(s tmuxtest.Screen) {
	w.t.Helper()
	if msg := w.problem(s); msg != "" {
		w.t.Fatalf("%s\n%s", msg, s)
	}
}

// problem describes what is wrong with s, or returns "": the region is
// the rows above the prompt and the cursor on the prompt row, which holds
// the prompt and a prefix of the line typed so far, and nothing else; above
// it, after empty rows, only whole display lines, bob's in order.
func (w *chatWatcher) problem(s tmuxtest.Screen) string {
	last := len(s.Rows) - 1
	if msg := s.PinnedPromptProblem(); msg != "" {
		return msg
	}
	if !w.promptRowOK(s) {
		return fmt.Sprintf("the prompt row is %q (cursor at column %d), not %q and a prefix of %q",
			s.Bottom(), s.X, w.prompt, w.line[:w.sent])
	}
	if w.seen == nil {
		w.seen = make(map[int]bool)
	}
	prev, content := 0, false
	for i, row := range s.Rows[:last] {
		switch {
		case row == "":
			if content {
				return fmt.Sprintf("row %d is empty, below printed lines", i)
			}
			continue
		case strings.Contains(row, "from bob"):
			m := bobLine.FindStringSubmatch(row)
			if m == nil {
				return fmt.Sprintf("row %d is not a whole line from bob: %q", i, row)
			}
			k, _ := strconv.Atoi(m[1])
			if k < 1 || k > bobMessages || prev != 0 && k != prev+1 {
				return fmt.Sprintf("row %d shows bob's message %d after %d", i, k, prev)
			}
			prev = k
			w.seen[k] = true
		case aliceIn.MatchString(row), w.entered && aliceSent.MatchString(row):
		default:
			return fmt.Sprintf("row %d is garbled: %q", i, row)
		}
		content = true
	}
	return ""
}

// promptRowOK reports whether the bottom row shows the prompt and a prefix
// of what was typed, with the cursor after it (before Enter).
func (w *chatWatcher) promptRowOK(s tmuxtest.Screen) bool {
	if w.entered {
		// liner prints "\n" after the line, and the console then clears
		// the row for the next prompt.
		return s.Bottom() == "" || s.Bottom() == strings.TrimSpace(w.prompt) || s.Bottom() == w.prompt+w.line
	}
	for k := 0; k <= w.sent; k++ {
		if s.Bottom() == strings.TrimRight(w.prompt+w.line[:k], " ") && s.X == len(w.prompt)+k {
			return true
		}
	}
	return false
}
