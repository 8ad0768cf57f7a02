// Package tmuxtest runs a program in a real terminal for a test: a detached
// tmux session on a private server. The test types into the pane with
// send-keys and reads the screen back with capture-pane, so what it checks
// is what a person would see, after the terminal has interpreted every
// escape sequence (colours are not captured).
//
//	tmuxtest.Require(t)
//	p := tmuxtest.Start(t, tmuxtest.Options{Width: 80, Height: 12}, bin, "-flag")
//	p.WaitFor("the prompt", func(s tmuxtest.Screen) bool { return s.Bottom() == ">" })
//	p.Type("hello")
//	p.Keys("Enter")
//
// Each Start gets its own tmux server (tmux -L on a fresh socket, -f
// /dev/null so no user configuration applies, TMUX removed from the
// environment so that a test run inside tmux does not talk to the user's
// server). The server is killed at t.Cleanup. Tests may run panes in
// parallel.
//
// The window option remain-on-exit is on: when the program ends, the pane
// stays, so that a failing test can still show the last screen, and
// Screen.Exited is set. For the exit status, or to check the state the
// program left the terminal in, run it under a shell that reports the status
// and keeps the pane alive:
//
//	tmuxtest.Start(t, opts, "sh", "-c", `"$@"; echo "exit=$?"; exec sleep 600`, "sh", prog, arg)
//
// and wait for the line "exit=0". tmux's own report of the status
// (#{pane_dead_status}) can be late: tmux 3.3 at times leaves the ended
// program unreaped. And when it does report it, tmux writes a "Pane is
// dead" line and resets the scroll region.
//
// Methods of Pane fail the test with t.Fatal, so call them from the test's
// goroutine only.
package tmuxtest

import (
	"chatlab/shared/bintest"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// Timings. WaitLimit bounds every WaitFor: generously, as it costs nothing
// when the awaited screen comes, and a busy machine can be slow to show
// it. PollEvery is the pause between captures while waiting.
const (
	WaitLimit = 30 * time.Second
	PollEvery = 5 * time.Millisecond
)

// Defaults for Options.
const (
	DefaultWidth  = 80
	DefaultHeight = 24
	DefaultTerm   = "xterm-256color"
)

// target is the session every Pane's server holds; it has one window with
// one pane.
const target = "tmuxtest"

// Require skips the test if tmux is not installed, or fails it if the
// environment variable CI is set: CI images must install tmux, so that the
// terminal tests are not skipped unnoticed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed, and CI is set: the CI image must install tmux")
		}
		t.Skip("tmux is not installed: skipping the terminal test (install tmux to run it)")
	}
}

// RaceEnabled reports whether the test binary was built with -race, so that
// a program built for a test can be built the same way.
func RaceEnabled() bool { return bintest.RaceEnabled() }

// Options configures Start.
type Options struct {
	// Width and Height are the pane's size in cells; 0 means
	// DefaultWidth and DefaultHeight.
	Width, Height int
	// Term is TERM for the program; "" means DefaultTerm. The terminal is
	// always tmux: Term only chooses the sequences the program sends.
	Term string
	// Env holds extra KEY=VALUE variables for the program, on top of the
	// test's environment.
	Env []string
}

// Pane is the single pane of a private tmux server.
type Pane struct {
	t      testing.TB
	socket string // the -L name
}

var socketSeq atomic.Int64

// Start starts a tmux server whose single pane runs argv (executed
// directly, not by a shell), and kills the server at t.Cleanup.
func Start(t testing.TB, opts Options, argv ...string) *Pane {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("tmuxtest.Start: no command")
	}
	if opts.Width <= 0 {
		opts.Width = DefaultWidth
	}
	if opts.Height <= 0 {
		opts.Height = DefaultHeight
	}
	if opts.Term == "" {
		opts.Term = DefaultTerm
	}
	p := &Pane{t: t, socket: fmt.Sprintf("chatlab-tmuxtest-%d-%d", os.Getpid(), socketSeq.Add(1))}

	// env sets TERM after tmux set its own, and the extra variables.
	cmd := append([]string{"env", "TERM=" + opts.Term}, opts.Env...)
	cmd = append(cmd, argv...)
	// One command list: the option is set before the program can exit.
	args := []string{"set-option", "-g", "remain-on-exit", "on", ";",
		"new-session", "-d", "-s", target, "-x", strconv.Itoa(opts.Width), "-y", strconv.Itoa(opts.Height), "--"}
	p.Tmux(append(args, cmd...)...)
	socketPath := strings.TrimSpace(p.Tmux("display-message", "-p", "#{socket_path}"))
	t.Cleanup(func() {
		_ = p.command("kill-server").Run()
		_ = os.Remove(socketPath)
	})
	return p
}

// Target is the target (-t) of the pane, for commands run with Tmux.
func (p *Pane) Target() string { return target }

// command returns the tmux command for args on the pane's server.
func (p *Pane) command(args ...string) *exec.Cmd {
	cmd := exec.Command("tmux", append([]string{"-L", p.socket, "-f", "/dev/null"}, args...)...)
	// Outside any tmux the test may run in: TMUX would make tmux refuse to
	// nest or target the wrong server.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// Tmux runs a tmux command (or a command list, with ";" as an argument) on
// the pane's server and returns its output. It fails the test if tmux
// fails. Commands that act on the pane need -t p.Target().
func (p *Pane) Tmux(args ...string) string {
	p.t.Helper()
	out, err := p.command(args...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Type types s as it is: every character literally, none taken as a key
// name.
func (p *Pane) Type(s string) {
	p.t.Helper()
	p.Tmux("send-keys", "-t", target, "-l", s)
}

// TypeSlowly types s one character at a time with a pause after each, the
// way a person types, so that the keys interleave with what the program
// prints meanwhile. After each character it calls after, if not nil, with
// the text typed so far: to check the screen at every step.
func (p *Pane) TypeSlowly(s string, pause time.Duration, after func(typed string)) {
	p.t.Helper()
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		p.Type(s[i : i+n])
		i += n
		if after != nil {
			after(s[:i])
		}
		time.Sleep(pause)
	}
}

// Keys presses keys by tmux name: "Enter", "Tab", "C-d", "Up", "BSpace"...
func (p *Pane) Keys(keys ...string) {
	p.t.Helper()
	p.Tmux(append([]string{"send-keys", "-t", target}, keys...)...)
}

// Resize resizes the window, as a person resizing the terminal would: the
// program gets SIGWINCH.
func (p *Pane) Resize(width, height int) {
	p.t.Helper()
	p.Tmux("resize-window", "-t", target, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height))
}

// Screen is one capture of the pane.
type Screen struct {
	Rows         []string // every row, trailing spaces trimmed
	X, Y         int      // the cursor, 0-based column and row
	Upper, Lower int      // the scroll region, 0-based rows, inclusive
	Exited       bool     // the program has ended: its side of the terminal is closed
}

// Bottom returns the last row.
func (s Screen) Bottom() string { return s.Rows[len(s.Rows)-1] }

// FullRegion reports whether the scroll region is the whole screen, as a
// program that sets one must leave it.
func (s Screen) FullRegion() bool { return s.Upper == 0 && s.Lower == len(s.Rows)-1 }

// String numbers the rows and marks the cursor row, for failure messages.
func (s Screen) String() string {
	var b strings.Builder
	for i, row := range s.Rows {
		mark := " "
		if i == s.Y {
			mark = ">"
		}
		fmt.Fprintf(&b, "%s%2d|%s\n", mark, i, row)
	}
	fmt.Fprintf(&b, "cursor at row %d, column %d; scroll region rows %d-%d", s.Y, s.X, s.Upper, s.Lower)
	if s.Exited {
		b.WriteString("; the program has exited")
	}
	return b.String()
}

// screenFormat is what display-message reports with the rows.
const screenFormat = "#{cursor_x} #{cursor_y} #{pane_height} #{scroll_region_upper} #{scroll_region_lower} #{pane_dead}"

// Screen captures the pane. The rows and the cursor come from one tmux
// command list, which the server runs without reading the pane's output in
// between, so they belong together.
func (p *Pane) Screen() Screen {
	p.t.Helper()
	out := p.Tmux("capture-pane", "-p", "-t", target, ";", "display-message", "-p", "-t", target, screenFormat)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var s Screen
	var height, dead int
	state := lines[len(lines)-1]
	if _, err := fmt.Sscan(state, &s.X, &s.Y, &height, &s.Upper, &s.Lower, &dead); err != nil {
		p.t.Fatalf("tmuxtest: pane state %q: %v", state, err)
	}
	s.Exited = dead == 1
	lines = lines[:len(lines)-1]
	if len(lines) != height {
		p.t.Fatalf("tmuxtest: captured %d rows of a %d-row pane:\n%s", len(lines), height, out)
	}
	for _, l := range lines {
		s.Rows = append(s.Rows, strings.TrimRight(l, " "))
	}
	return s
}

// WaitFor captures the screen until ok accepts it, and returns that
// screen. After WaitLimit it fails the test with the last screen; what
// names the awaited screen in that message. ok may itself fail the test,
// to check every screen on the way.
func (p *Pane) WaitFor(what string, ok func(Screen) bool) Screen {
	p.t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for {
		s := p.Screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %v waiting for %s; the screen:\n%s", WaitLimit, what, s)
		}
		time.Sleep(PollEvery)
	}
}

// History returns every line of the pane, the scrollback and the screen,
// trailing spaces trimmed. tmux keeps in its scrollback the lines that
// scrolled off the top of the whole screen, not those scrolled out of a
// smaller region.
func (p *Pane) History() []string {
	p.t.Helper()
	out := p.Tmux("capture-pane", "-p", "-S", "-", "-E", "-", "-t", target)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

// PinnedPromptProblem describes how s breaks the layout of a console that
// pins its prompt to the bottom row (chatlab/shared/term): a scroll region
// over every row above the prompt, and the cursor on the prompt row. It
// returns "" when the layout holds.
func (s Screen) PinnedPromptProblem() string {
	last := len(s.Rows) - 1
	if s.Upper != 0 || s.Lower != last-1 {
		return fmt.Sprintf("the scroll region is rows %d-%d, not 0-%d", s.Upper, s.Lower, last-1)
	}
	if s.Y != last {
		return fmt.Sprintf("the cursor is on row %d, not on the prompt row %d", s.Y, last)
	}
	return ""
}
