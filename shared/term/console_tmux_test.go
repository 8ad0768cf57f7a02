package term_test

// These tests run the demo program (internal/demo) in a real terminal: a
// detached tmux session on a private server. They type while the demo prints
// messages and read the screen back with capture-pane, checking every
// snapshot for garbling.

import (
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	prompt     = "> "                  // the demo's prompt
	waitLimit  = 5 * time.Second       // for any one expected screen
	pollEvery  = 5 * time.Millisecond  // between captures while waiting
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
	p := startDemo(t, demo, term, width, height, messages, 30*time.Millisecond)
	w := &watcher{t: t, messages: messages, line: line, strict: true, ordered: true}

	t.Log("Test: the prompt is on the bottom row, messages scroll above it")
	p.waitFor("the prompt and message 1", func(s screen) bool {
		return s.bottom() == strings.TrimSpace(prompt) && slices.Contains(s.rows, "message 1")
	})

	t.Log("Test: typing while messages arrive keeps both intact")
	for i := range line {
		p.tmux("send-keys", "-t", "demo", "-l", line[i:i+1])
		w.sent = i + 1
		w.check(p.screen())
		time.Sleep(keyPause)
	}
	p.waitFor("all typed keys on the prompt row", func(s screen) bool {
		w.check(s)
		return s.bottom() == prompt+line
	})

	t.Log("Test: Enter returns the line; the prompt row is cleared")
	p.tmux("send-keys", "-t", "demo", "Enter")
	w.strict = false // liner's "\n" moves the cursor to column 0 until the row is cleared
	w.entered = true
	p.waitFor("the echoed line, the last message and an empty prompt", func(s screen) bool {
		w.check(s)
		return w.sawGot && w.seen[messages] && s.bottom() == strings.TrimSpace(prompt) && s.x == len(prompt)
	})
	for k := 1; k <= messages; k++ {
		assert.True(t, w.seen[k], "message %d never seen intact", k)
	}

	t.Logf("Test: %s ends the demo and restores the terminal", quit)
	p.tmux("send-keys", "-t", "demo", quit)
	p.checkRestored()
}

// resizing resizes the window while a line is being typed and messages
// arrive: the screen is repainted, and the prompt follows the bottom row
// and keeps its text.
func resizing(t *testing.T, demo string) {
	const line = "abcdefgh"
	p := startDemo(t, demo, "xterm-256color", 80, 12, 1000, 25*time.Millisecond)
	w := &watcher{t: t, messages: 1000, line: line, strict: true, ordered: true}
	p.waitFor("the prompt and message 1", func(s screen) bool {
		return s.bottom() == strings.TrimSpace(prompt) && slices.Contains(s.rows, "message 1")
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
			p.tmux("resize-window", "-t", "demo", "-x", strconv.Itoa(step.width), "-y", strconv.Itoa(step.height))
			// Until the demo has handled SIGWINCH the screen is tmux's
			// reflow of the old one. Then the console repaints it, and
			// liner redraws its line, maybe twice (see the package doc), so
			// the cursor may still jump within the row afterwards.
			w.redraw = true
			p.waitFor(fmt.Sprintf("the repainted %d-row screen with %q on its bottom row", step.height, prompt+line[:w.sent]),
				func(s screen) bool {
					return len(s.rows) == step.height && s.bottom() == prompt+line[:w.sent] &&
						s.x == len(prompt)+w.sent && w.problem(s) == ""
				})
		}
		for _, r := range step.keys {
			p.tmux("send-keys", "-t", "demo", "-l", string(r))
			w.sent++
			w.check(p.screen())
			time.Sleep(keyPause)
		}
	}
	p.waitFor("all typed keys on the prompt row", func(s screen) bool {
		w.check(s)
		return s.bottom() == prompt+line
	})

	t.Log("Test: Enter on the resized screen returns the line")
	p.tmux("send-keys", "-t", "demo", "Enter")
	w.strict, w.entered = false, true
	p.waitFor("the echoed line and an empty prompt", func(s screen) bool {
		w.check(s)
		return w.sawGot && s.bottom() == strings.TrimSpace(prompt) && s.x == len(prompt)
	})
	p.tmux("send-keys", "-t", "demo", "C-d")
	p.checkRestored()
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
func (w *watcher) check(s screen) {
	w.t.Helper()
	if msg := w.problem(s); msg != "" {
		w.t.Fatalf("%s\n%s", msg, s)
	}
}

// problem describes what is wrong with s, or returns "". It records the
// whole lines it sees.
func (w *watcher) problem(s screen) string {
	last := len(s.rows) - 1
	if s.upper != 0 || s.lower != last-1 {
		return fmt.Sprintf("the scroll region is rows %d-%d, not 0-%d", s.upper, s.lower, last-1)
	}
	if s.y != last {
		return fmt.Sprintf("the cursor is on row %d, not on the prompt row %d", s.y, last)
	}
	if !w.promptRowOK(s) {
		return fmt.Sprintf("the prompt row is %q (cursor at column %d), not the prompt and a prefix of %q typed so far",
			s.bottom(), s.x, w.line[:w.sent])
	}
	if w.seen == nil {
		w.seen = make(map[int]bool)
	}
	prev, content := 0, false
	for i, row := range s.rows[:last] {
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
func (w *watcher) promptRowOK(s screen) bool {
	if w.entered && s.bottom() == "" {
		return true // cleared, the next prompt not yet printed
	}
	for k := 0; k <= w.sent; k++ {
		if s.bottom() != strings.TrimRight(prompt+w.line[:k], " ") {
			continue
		}
		if !w.strict || s.x == len(prompt)+k || w.redraw && (s.x == 0 || s.x == len(prompt)) {
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

// screen is one capture of the pane.
type screen struct {
	rows         []string // every row, trailing spaces trimmed
	x, y         int      // the cursor, 0-based
	upper, lower int      // the scroll region, 0-based rows
}

// bottom returns the last row, where the prompt belongs.
func (s screen) bottom() string { return s.rows[len(s.rows)-1] }

// String numbers the rows and marks the cursor row, for failure messages.
func (s screen) String() string {
	var b strings.Builder
	for i, row := range s.rows {
		mark := " "
		if i == s.y {
			mark = ">"
		}
		fmt.Fprintf(&b, "%s%2d|%s\n", mark, i, row)
	}
	fmt.Fprintf(&b, "cursor at row %d, column %d; scroll region rows %d-%d", s.y, s.x, s.upper, s.lower)
	return b.String()
}

// pane is the single pane of a tmux server on a private socket.
type pane struct {
	t      *testing.T
	socket string // the -L name
}

var socketSeq atomic.Int64

// buildDemo skips the test without tmux (fails it if $CI is set: CI
// installs tmux) and builds the demo, with -race if the test has it.
func buildDemo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed, and CI is set: the CI image must install tmux")
		}
		t.Skip("tmux is not installed: skipping the terminal tests (install tmux to run them)")
	}
	bin := t.TempDir() + "/demo"
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "./internal/demo")...).CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// startDemo starts a tmux server with one width×height pane running the
// demo under TERM=term. After the demo, the pane's script prints the exit
// status, the terminal's line discipline flags and afterLines numbered lines,
// so that checkRestored can see how the demo left the terminal.
func startDemo(t *testing.T, demo, term string, width, height, messages int, every time.Duration) *pane {
	t.Helper()
	p := &pane{t: t, socket: fmt.Sprintf("chatlab-term-%d-%d", os.Getpid(), socketSeq.Add(1))}
	const script = `TERM="$1" "$2" -n "$3" -every "$4"
echo "exit=$?"
echo "stty: $(stty -a | tr ' ;' '\n\n' | grep -Ex -- '-?(isig|icanon|echo)' | tr '\n' ' ')"
i=1; while [ $i -le "$5" ]; do echo "after $i"; i=$((i+1)); done
exec sleep 600`
	p.tmux("new-session", "-d", "-s", "demo", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), "--",
		"sh", "-c", script, "sh", term, demo, strconv.Itoa(messages), every.String(), strconv.Itoa(afterLines))
	socketPath := strings.TrimSpace(p.tmux("display-message", "-p", "#{socket_path}"))
	t.Cleanup(func() {
		_ = p.command("kill-server").Run()
		_ = os.Remove(socketPath)
	})
	return p
}

// command returns the tmux command for args on the pane's server.
func (p *pane) command(args ...string) *exec.Cmd {
	cmd := exec.Command("tmux", append([]string{"-L", p.socket, "-f", "/dev/null"}, args...)...)
	// Outside any tmux the test may run in: TMUX would make tmux refuse or
	// target the wrong server.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// tmux runs a tmux command and returns its output.
func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	out, err := p.command(args...).CombinedOutput()
	require.NoError(p.t, err, "tmux %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// screen captures the pane. The rows and the cursor come from one tmux
// command list, which the server runs without reading the pane in between.
func (p *pane) screen() screen {
	p.t.Helper()
	out := p.tmux("capture-pane", "-p", "-t", "demo", ";",
		"display-message", "-p", "-t", "demo",
		"#{cursor_x} #{cursor_y} #{pane_height} #{scroll_region_upper} #{scroll_region_lower}")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var s screen
	var height int
	_, err := fmt.Sscan(lines[len(lines)-1], &s.x, &s.y, &height, &s.upper, &s.lower)
	require.NoError(p.t, err, "cursor of %q", out)
	lines = lines[:len(lines)-1]
	require.Len(p.t, lines, height, "captured rows")
	for _, l := range lines {
		s.rows = append(s.rows, strings.TrimRight(l, " "))
	}
	return s
}

// waitFor captures the screen until ok accepts it, failing the test after
// waitLimit.
func (p *pane) waitFor(what string, ok func(screen) bool) screen {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		s := p.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s)
		}
		time.Sleep(pollEvery)
	}
}

// checkRestored waits for the demo to exit and checks that it said bye,
// exited 0, left the terminal in cooked mode, and left no scroll region: the
// lines printed after it scroll the whole screen.
func (p *pane) checkRestored() {
	p.t.Helper()
	last := fmt.Sprintf("after %d", afterLines)
	s := p.waitFor("the demo to exit and the pane's script to finish", func(s screen) bool {
		return slices.Contains(s.rows, last)
	})
	history := strings.Split(p.tmux("capture-pane", "-p", "-S", "-", "-E", "-", "-t", "demo"), "\n")
	for i := range history {
		history[i] = strings.TrimRight(history[i], " ")
	}
	dump := strings.Join(history, "\n")

	bye := slices.Index(history, "bye")
	exit := slices.Index(history, "exit=0")
	assert.True(p.t, bye >= 0 && exit == bye+1, "want a whole line %q, then %q; history:\n%s", "bye", "exit=0", dump)

	stty := slices.IndexFunc(history, func(l string) bool { return strings.HasPrefix(l, "stty:") })
	if assert.GreaterOrEqual(p.t, stty, 0, "no stty line; history:\n%s", dump) {
		flags := strings.Fields(strings.TrimPrefix(history[stty], "stty:"))
		slices.Sort(flags)
		assert.Equal(p.t, []string{"echo", "icanon", "isig"}, flags, "line discipline after the demo")
	}

	// With a region left on rows 1..H-1 and the cursor on row H, these lines
	// would all overwrite row H.
	h := len(s.rows)
	assert.Equal(p.t, []int{0, h - 1}, []int{s.upper, s.lower}, "scroll region after the demo")
	for i := range h - 1 {
		assert.Equal(p.t, fmt.Sprintf("after %d", afterLines-(h-2)+i), s.rows[i], "row %d; the screen:\n%s", i, s)
	}
	assert.Equal(p.t, "", s.bottom(), "the last row after the script; the screen:\n%s", s)
	assert.Equal(p.t, h-1, s.y, "cursor row after the script")
}
