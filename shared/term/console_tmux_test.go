package term_test

// These tests run the demo program (internal/demo) in a real terminal, a
// tmux pane (see package tmuxtest). They type while the demo prints
// messages and read the screen back, checking every snapshot for garbling.

import (
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/shared/tmuxtest"
)

const (
	prompt     = "> "                  // the demo's prompt
	keyPause   = 15 * time.Millisecond // between keystrokes, to interleave with messages
	afterLines = 20                    // lines the pane's script prints after the demo
)

// TestConsoleInTmux runs the demo in tmux: typing while messages arrive,
// then quitting with Ctrl-D or Ctrl-C, and resizing while typing.
func TestConsoleInTmux(t *testing.T) {
	demo := buildDemo(t)
	tests := []struct {
		name string
		run  func(t *testing.T, demo string)
	}{
		{name: "typing/screen/ctrl-d", run: func(t *testing.T, demo string) { typing(t, demo, "screen", "C-d") }},
		{name: "typing/xterm/ctrl-c", run: func(t *testing.T, demo string) { typing(t, demo, "xterm-256color", "C-c") }},
		{name: "resize", run: resizing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, demo)
		})
	}
}

// typing types a line while messages arrive, then quits with the key quit,
// and checks that the terminal is restored. TERM in the pane is term: liner
// moves the cursor with CHA for xterm*, with CR and CUF otherwise.
func typing(t *testing.T, demo, term, quit string) {
	const (
		width, height = 80, 12
		messages      = 30
		line          = "hello world"
	)
	// A message stays on the screen for height-1 messages' time: the
	// snapshots, each a tmux command, must come more often than that
	// even on a busy machine.
	p := startDemo(t, demo, term, width, height, messages, 60*time.Millisecond)
	w := &watcher{t: t, messages: messages, line: line, strict: true, ordered: true}

	t.Log("Test: the prompt is on the bottom row, messages scroll above it")
	p.WaitFor("the prompt and message 1", func(s tmuxtest.Screen) bool {
		// The first messages may scroll away before typing starts:
		// this screen counts too.
		return s.Bottom() == strings.TrimSpace(prompt) && slices.Contains(s.Rows, "message 1") && w.problem(s) == ""
	})

	t.Log("Test: typing while messages arrive keeps both intact")
	p.TypeSlowly(line, keyPause, func(typed string) {
		w.sent = len(typed)
		w.check(p.Screen())
	})
	p.WaitFor("all typed keys on the prompt row", func(s tmuxtest.Screen) bool {
		w.check(s)
		return s.Bottom() == prompt+line
	})

	t.Log("Test: Enter returns the line; the prompt row is cleared")
	p.Keys("Enter")
	w.strict = false // liner's "\n" moves the cursor to column 0 until the row is cleared
	w.entered = true
	p.WaitFor("the echoed line, the last message and an empty prompt", func(s tmuxtest.Screen) bool {
		w.check(s)
		return w.sawGot && w.seen[messages] && s.Bottom() == strings.TrimSpace(prompt) && s.X == len(prompt)
	})
	for k := 1; k <= messages; k++ {
		assert.True(t, w.seen[k], "message %d never seen intact", k)
	}

	t.Logf("Test: %s ends the demo and restores the terminal", quit)
	p.Keys(quit)
	checkRestored(t, p)
}

// resizing resizes the window while a line is being typed and messages
// arrive: the screen is repainted, and the prompt follows the bottom row
// and keeps its text.
func resizing(t *testing.T, demo string) {
	const line = "abcdefgh"
	p := startDemo(t, demo, "xterm-256color", 80, 12, 1000, 25*time.Millisecond)
	w := &watcher{t: t, messages: 1000, line: line, strict: true, ordered: true}
	// Which messages are on the screen by then depends on the machine's
	// speed; that some are, intact, does not.
	p.WaitFor("the prompt and messages", func(s tmuxtest.Screen) bool {
		return s.Bottom() == strings.TrimSpace(prompt) && s.Rows[0] != "" && w.problem(s) == ""
	})

	steps := []struct {
		width, height int
		keys          string // typed after the resize
	}{
		{width: 80, height: 12, keys: "abc"},
		{width: 70, height: 16, keys: "def"},
		{width: 50, height: 8, keys: "gh"},
	}
	for i, step := range steps {
		if i > 0 {
			t.Logf("Test: resize to %dx%d keeps the prompt and its text on the bottom row", step.width, step.height)
			p.Resize(step.width, step.height)
			// Until the demo has handled SIGWINCH the screen is tmux's
			// reflow of the old one. Then the console repaints it, and
			// liner redraws its line, maybe twice (see the package doc), so
			// the cursor may still jump within the row afterwards.
			w.redraw = true
			p.WaitFor(fmt.Sprintf("the repainted %d-row screen with %q on its bottom row", step.height, prompt+line[:w.sent]),
				func(s tmuxtest.Screen) bool {
					return len(s.Rows) == step.height && s.Bottom() == prompt+line[:w.sent] &&
						s.X == len(prompt)+w.sent && w.problem(s) == ""
				})
		}
		p.TypeSlowly(step.keys, keyPause, func(string) {
			w.sent++
			w.check(p.Screen())
		})
	}
	p.WaitFor("all typed keys on the prompt row", func(s tmuxtest.Screen) bool {
		w.check(s)
		return s.Bottom() == prompt+line
	})

	t.Log("Test: Enter on the resized screen returns the line")
	p.Keys("Enter")
	w.strict, w.entered = false, true
	p.WaitFor("the echoed line and an empty prompt", func(s tmuxtest.Screen) bool {
		w.check(s)
		return w.sawGot && s.Bottom() == strings.TrimSpace(prompt) && s.X == len(prompt)
	})
	p.Keys("C-d")
	checkRestored(t, p)
}

// watcher checks each screen it is shown for garbling and remembers what it
// saw intact.
type watcher struct {
	t        *testing.T
	messages int    // the demo prints "message 1" … "message <messages>"
	line     string // the line being typed
	sent     int    // bytes of line sent so far
	strict   bool   // the cursor must sit right after the shown text
	redraw   bool   // liner may be redrawing its line: the cursor may also be at its start or after the prompt
	entered  bool   // Enter was sent: the prompt row may be empty for a moment
	ordered  bool   // no lines lost: messages consecutive, no gaps below the first line

	seen   map[int]bool // messages seen as whole lines
	sawGot bool         // "got: <line>" seen as a whole line
}

// check fails the test if s is garbled.
func (w *watcher) check(s tmuxtest.Screen) {
	w.t.Helper()
	if msg := w.problem(s); msg != "" {
		w.t.Fatalf("%s\n%s", msg, s)
	}
}

// problem describes what is wrong with s, or returns "". It records the
// whole lines it sees.
func (w *watcher) problem(s tmuxtest.Screen) string {
	last := len(s.Rows) - 1
	if msg := s.PinnedPromptProblem(); msg != "" {
		return msg
	}
	if !w.promptRowOK(s) {
		return fmt.Sprintf("the prompt row is %q (cursor at column %d), not the prompt and a prefix of %q typed so far",
			s.Bottom(), s.X, w.line[:w.sent])
	}
	if w.seen == nil {
		w.seen = make(map[int]bool)
	}
	prev, content := 0, false
	for i, row := range s.Rows[:last] {
		switch {
		case row == "":
			if w.ordered && content {
				return fmt.Sprintf("row %d is empty, below printed lines", i)
			}
			continue
		case row == "got: "+w.line:
			w.sawGot = true
		default:
			k, ok := messageNumber(row, w.messages)
			if !ok {
				return fmt.Sprintf("row %d is garbled: %q", i, row)
			}
			if w.ordered && prev != 0 && k != prev+1 {
				return fmt.Sprintf("row %d shows message %d after message %d", i, k, prev)
			}
			prev = k
			w.seen[k] = true
		}
		content = true
	}
	return ""
}

// promptRowOK reports whether the bottom row shows the prompt and a prefix
// of what was typed, with the cursor after it if strict.
func (w *watcher) promptRowOK(s tmuxtest.Screen) bool {
	if w.entered && s.Bottom() == "" {
		return true // cleared, the next prompt not yet printed
	}
	for k := 0; k <= w.sent; k++ {
		if s.Bottom() != strings.TrimRight(prompt+w.line[:k], " ") {
			continue
		}
		if !w.strict || s.X == len(prompt)+k || w.redraw && (s.X == 0 || s.X == len(prompt)) {
			return true
		}
	}
	return false
}

// messageNumber parses "message <k>" with 1 <= k <= n.
func messageNumber(row string, n int) (int, bool) {
	digits, ok := strings.CutPrefix(row, "message ")
	if !ok {
		return 0, false
	}
	k, err := strconv.Atoi(digits)
	if err != nil || k < 1 || k > n || strconv.Itoa(k) != digits {
		return 0, false
	}
	return k, true
}

// buildDemo builds the demo, with -race if the test has it. It skips the
// test without tmux.
func buildDemo(t *testing.T) string {
	t.Helper()
	tmuxtest.Require(t)
	bin := t.TempDir() + "/demo"
	args := []string{"build", "-o", bin}
	if tmuxtest.RaceEnabled() {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "./internal/demo")...).CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// startDemo starts a width×height pane running the demo under TERM=term.
// After the demo, the pane's script prints the exit status, the terminal's
// line discipline flags and afterLines numbered lines, so that
// checkRestored can see how the demo left the terminal.
func startDemo(t *testing.T, demo, term string, width, height, messages int, every time.Duration) *tmuxtest.Pane {
	t.Helper()
	const script = `"$1" -n "$2" -every "$3"
echo "exit=$?"
echo "stty: $(stty -a | tr ' ;' '\n\n' | grep -Ex -- '-?(isig|icanon|echo)' | tr '\n' ' ')"
i=1; while [ $i -le "$4" ]; do echo "after $i"; i=$((i+1)); done
exec sleep 600`
	return tmuxtest.Start(t, tmuxtest.Options{Width: width, Height: height, Term: term},
		"sh", "-c", script, "sh", demo, strconv.Itoa(messages), every.String(), strconv.Itoa(afterLines))
}

// checkRestored waits for the demo to exit and checks that it said bye,
// exited 0, left the terminal in cooked mode, and left no scroll region: the
// lines printed after it scroll the whole screen.
func checkRestored(t *testing.T, p *tmuxtest.Pane) {
	t.Helper()
	last := fmt.Sprintf("after %d", afterLines)
	s := p.WaitFor("the demo to exit and the pane's script to finish", func(s tmuxtest.Screen) bool {
		return slices.Contains(s.Rows, last)
	})
	history := p.History()
	dump := strings.Join(history, "\n")

	bye := slices.Index(history, "bye")
	exit := slices.Index(history, "exit=0")
	assert.True(t, bye >= 0 && exit == bye+1, "want a whole line %q, then %q; history:\n%s", "bye", "exit=0", dump)

	stty := slices.IndexFunc(history, func(l string) bool { return strings.HasPrefix(l, "stty:") })
	if assert.GreaterOrEqual(t, stty, 0, "no stty line; history:\n%s", dump) {
		flags := strings.Fields(strings.TrimPrefix(history[stty], "stty:"))
		slices.Sort(flags)
		assert.Equal(t, []string{"echo", "icanon", "isig"}, flags, "line discipline after the demo")
	}

	// With a region left on rows 1..H-1 and the cursor on row H, these lines
	// would all overwrite row H.
	h := len(s.Rows)
	assert.Equal(t, []int{0, h - 1}, []int{s.Upper, s.Lower}, "scroll region after the demo")
	for i := range h - 1 {
		assert.Equal(t, fmt.Sprintf("after %d", afterLines-(h-2)+i), s.Rows[i], "row %d; the screen:\n%s", i, s)
	}
	assert.Equal(t, "", s.Bottom(), "the last row after the script; the screen:\n%s", s)
	assert.Equal(t, h-1, s.Y, "cursor row after the script")
}
