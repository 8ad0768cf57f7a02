package term

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"

	"github.com/peterh/liner"
	xterm "golang.org/x/term"
)

// DefaultHistoryLimit is the number of lines kept in history when
// Options.HistoryLimit is 0. It is also the most liner keeps, so larger
// limits are lowered to it.
const DefaultHistoryLimit = liner.HistoryLimit

// repaintLines is how many of the most recent lines Console keeps to
// repaint the screen after a resize, and so the most rows it can refill.
const repaintLines = 256

// IsTerminal reports whether both stdin and stdout are terminals, that is,
// whether Open can succeed. It reports false on platforms other than Unix,
// where the console is not supported.
func IsTerminal() bool {
	return supported &&
		xterm.IsTerminal(int(os.Stdin.Fd())) &&
		xterm.IsTerminal(int(os.Stdout.Fd()))
}

// Options configures Open.
type Options struct {
	// Prompt is the initial prompt, e.g. "general> ". It must not contain
	// control characters (so no colours): liner refuses them.
	Prompt string

	// Complete, if set, is liner's word completer: given the line and the
	// cursor position it returns the text before the word, the candidate
	// words, and the text after. Tab cycles through the candidates in place.
	Complete func(line string, pos int) (head string, completions []string, tail string)

	// HistoryLimit is the number of lines kept in history; 0 (or less)
	// means DefaultHistoryLimit, which is also the maximum.
	HistoryLimit int

	// Indent, if set, gives the column where a written line's text
	// starts (after its time stamp and nick, say): a line too long for
	// the screen goes on in rows indented to it. Nil starts them at the
	// first column.
	Indent func(line string) int
}

// Console is an interactive line editor pinned to the bottom row; text
// written to it scrolls above the prompt. Read and Write may be called from
// different goroutines at the same time; see the package doc for how.
type Console struct {
	ln           *liner.State
	orig         liner.ModeApplier // the terminal mode before Open
	out          io.Writer         // os.Stdout, where liner prints too
	historyLimit int
	indent       func(string) int

	readMu  sync.Mutex // serializes Read; guards the fields below
	pending []byte     // the rest of the last line, not yet returned by Read
	history []string   // what liner holds, oldest first

	mu        sync.Mutex // serializes writes to out; guards the fields below
	lay       layout
	prompt    string
	prompting bool     // liner's Prompt is running (or about to)
	recent    []string // the last lines written, to repaint after a resize
	refill    string   // the text the next prompt starts with (Refill)
	closed    bool

	resize chan os.Signal // SIGWINCH
	done   chan struct{}  // closed by Close to stop watchResize
	wg     sync.WaitGroup
}

// Open puts the terminal in liner's raw mode, sets up the scroll region and
// returns the console. It fails with an error wrapping ErrNotTerminal if
// stdin or stdout is not a terminal, and ErrInvalidPrompt if opts.Prompt
// contains control characters. The caller must Close the console, or the
// terminal stays raw.
func Open(opts Options) (*Console, error) {
	if !IsTerminal() {
		return nil, fmt.Errorf("term: open: %w", ErrNotTerminal)
	}
	if !validPrompt(opts.Prompt) {
		return nil, fmt.Errorf("term: open: prompt %q: %w", opts.Prompt, ErrInvalidPrompt)
	}
	orig, err := liner.TerminalMode()
	if err != nil {
		return nil, fmt.Errorf("term: open: %w", err)
	}
	limit := opts.HistoryLimit
	if limit <= 0 || limit > DefaultHistoryLimit {
		limit = DefaultHistoryLimit
	}

	ln := liner.NewLiner()
	ln.SetCtrlCAborts(true)
	// TabPrints lists candidates below the prompt, where nothing scrolls;
	// cycling through them in place keeps to the prompt row.
	ln.SetTabCompletionStyle(liner.TabCircular)
	if opts.Complete != nil {
		ln.SetWordCompleter(opts.Complete)
	}

	c := &Console{
		ln:           ln,
		orig:         orig,
		out:          os.Stdout,
		historyLimit: limit,
		indent:       opts.Indent,
		lay:          currentLayout(),
		prompt:       opts.Prompt,
		resize:       make(chan os.Signal, 1),
		done:         make(chan struct{}),
	}
	notifyResize(c.resize)
	c.wg.Go(c.watchResize)
	if err := c.write(c.lay.pin(nil)); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("term: open: %w", err)
	}
	return c, nil
}

// Read shows the prompt on the bottom row and returns one typed line
// followed by "\n". If p is too short for the line, the rest is returned by
// the next calls before the prompt is shown again. Non-empty lines are
// appended to history. Ctrl-D on an empty line and Ctrl-C return io.EOF.
// The typed line is not echoed above the prompt: Write it if it should be.
func (c *Console) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.pending) == 0 {
		line, err := c.readLine()
		if err != nil {
			return 0, err
		}
		c.pending = append(append(c.pending[:0], line...), '\n')
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// readLine runs one liner prompt on the bottom row.
func (c *Console) readLine() (string, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return "", fmt.Errorf("term: read: %w", ErrClosed)
	}
	// Re-pinning at every prompt also repairs the layout after Ctrl-L or
	// after anything else that printed to the terminal directly.
	err := c.write(c.lay.prepare(nil))
	prompt, refill := c.prompt, c.refill
	c.refill = ""
	c.prompting = err == nil
	c.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("term: read: %w", err)
	}

	var line string
	if refill != "" {
		line, err = c.ln.PromptWithSuggestion(prompt, refill, -1)
	} else {
		line, err = c.ln.Prompt(prompt)
	}

	c.mu.Lock()
	c.prompting = false
	closed := c.closed
	if !closed {
		// liner leaves the line (and "^C") on the row: its "\n" does not
		// scroll there. Clear it for the next prompt.
		_ = c.write(c.lay.clearPrompt(nil))
	}
	c.mu.Unlock()

	switch {
	case closed:
		// Close ran while liner waited for a key; on return liner put its
		// raw mode back, so restore the original one again.
		_ = c.orig.ApplyMode()
		return "", fmt.Errorf("term: read: %w", ErrClosed)
	case errors.Is(err, io.EOF), errors.Is(err, liner.ErrPromptAborted):
		return "", io.EOF
	case err != nil:
		return "", fmt.Errorf("term: read: %w", err)
	}
	c.remember(line)
	return line, nil
}

// remember appends line to history, keeping at most historyLimit lines.
// liner cannot drop its oldest line, so it is given the trimmed history
// again. Called with readMu held, between prompts.
func (c *Console) remember(line string) {
	if line == "" || (len(c.history) > 0 && c.history[len(c.history)-1] == line) {
		return
	}
	c.history = append(c.history, line)
	if len(c.history) <= c.historyLimit {
		c.ln.AppendHistory(line)
		return
	}
	c.history = slices.Delete(c.history, 0, len(c.history)-c.historyLimit)
	c.ln.ClearHistory()
	for _, h := range c.history {
		c.ln.AppendHistory(h)
	}
}

// Write prints the lines in p above the prompt and returns len(p). Each
// call is taken as whole lines: a missing final newline is supplied. It is
// safe from any goroutine at any time, also while Read waits in the prompt.
// Control and invisible format characters other than tab (see
// chatlab/shared/safetext) are shown as U+FFFD, except in colour sequences
// (SGR), which are kept; a line with colours ends with a reset.
func (c *Console) Write(p []byte) (int, error) {
	lines := splitLines(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, fmt.Errorf("term: write: %w", ErrClosed)
	}
	if len(lines) == 0 {
		return 0, nil
	}
	if err := c.write(c.lay.print(nil, c.wrap(lines))); err != nil {
		return 0, fmt.Errorf("term: write: %w", err)
	}
	c.keep(lines)
	if !c.lay.split() && c.prompting {
		redrawPrompt() // the text replaced liner's line
	}
	return len(p), nil
}

// wrap splits lines into the screen's rows (see wrap). Called with mu
// held.
func (c *Console) wrap(lines []string) []string {
	var rows []string
	for _, line := range lines {
		indent := 0
		if c.indent != nil {
			indent = c.indent(line)
		}
		rows = append(rows, wrap(line, c.lay.cols, indent)...)
	}
	return rows
}

// Refill puts text on the next prompt, the cursor at its end, for the
// user to edit and send again: a program gives back a line it refused
// (too long, say) rather than lose what was typed.
func (c *Console) Refill(text string) {
	c.mu.Lock()
	c.refill = text
	c.mu.Unlock()
}

// keep remembers the most recent lines for repaint. Called with mu held.
func (c *Console) keep(lines []string) {
	c.recent = append(c.recent, lines...)
	if len(c.recent) >= 2*repaintLines {
		c.recent = slices.Delete(c.recent, 0, len(c.recent)-repaintLines)
	}
}

// SetPrompt sets the prompt shown from the next prompt on; liner cannot
// change the prompt of a line being edited. Runes liner refuses in a prompt
// (control and format characters) are replaced with U+FFFD.
func (c *Console) SetPrompt(s string) {
	s = cleanPrompt(s)
	c.mu.Lock()
	c.prompt = s
	c.mu.Unlock()
}

// Close removes the scroll region, leaves the cursor at the start of the
// bottom row and restores the terminal mode. It is idempotent. A Read
// blocked in the prompt returns ErrClosed after the next key press; Read and
// Write after Close return ErrClosed.
func (c *Console) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	err := c.write(c.lay.release(nil))
	c.mu.Unlock()

	signal.Stop(c.resize)
	close(c.done)
	c.wg.Wait()
	if lerr := c.ln.Close(); err == nil && lerr != nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("term: close: %w", err)
	}
	return nil
}

// watchResize re-lays the screen on every SIGWINCH until Close.
func (c *Console) watchResize() {
	for {
		select {
		case <-c.done:
			return
		case <-c.resize:
			c.resized()
		}
	}
}

// resized re-reads the terminal size and, if it changed, repaints the
// screen for it and has liner redraw its line on the new bottom row. The
// signal redrawPrompt sends comes back here and stops at the size check.
func (c *Console) resized() {
	lay := currentLayout()
	c.mu.Lock()
	if c.closed || lay == c.lay {
		c.mu.Unlock()
		return
	}
	c.lay = lay
	_ = c.write(lay.repaint(nil, c.wrap(c.recent))) // a failing terminal shows up in Read and Write
	redraw := c.prompting
	c.mu.Unlock()
	if redraw {
		redrawPrompt()
	}
}

// write sends b to the terminal in one write. Called with mu held.
func (c *Console) write(b []byte) error {
	if _, err := c.out.Write(b); err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	return nil
}

// currentLayout reads the terminal size; an unknown size gives a layout
// without a region.
func currentLayout() layout {
	cols, rows, err := xterm.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		return layout{}
	}
	return layout{rows: rows, cols: cols}
}

// Stdio returns where a program reads typed lines and writes display
// lines: the Console when both standard input and output are terminals
// (interactive is then true), else plain standard input and output. Call
// closeFn before exiting to restore the terminal.
func Stdio(opts Options) (in io.Reader, out io.Writer, interactive bool, closeFn func(), err error) {
	if !IsTerminal() {
		return os.Stdin, os.Stdout, false, func() {}, nil
	}
	c, err := Open(opts)
	if err != nil {
		return nil, nil, false, nil, err
	}
	return c, c, true, func() { c.Close() }, nil
}
