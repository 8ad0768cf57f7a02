package term

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"chatlab/shared/safetext"
)

// Escape sequences (VT100/ECMA-48), understood by xterm, tmux, screen, VTE,
// the Linux console and every other terminal liner itself supports.
const (
	saveCursor    = "\x1b7"   // DECSC
	restoreCursor = "\x1b8"   // DECRC
	index         = "\x1bD"   // IND: down one row, scrolling at the region's bottom
	eraseLine     = "\x1b[2K" // EL 2: the whole row, cursor unmoved
	eraseScreen   = "\x1b[2J" // ED 2: the whole screen, cursor unmoved
	resetRegion   = "\x1b[r"  // DECSTBM without margins: the full screen
	resetColor    = "\x1b[0m" // SGR 0: default colours and attributes
)

// maxSGR is the longest colour sequence Write lets through; longer ones are
// defused like any other escape sequence.
const maxSGR = 32

// minRows is the smallest height that gets a scroll region: a region needs
// at least two rows, plus one for the prompt.
const minRows = 3

// layout is the screen geometry the console draws for, and builds the byte
// sequences it writes. Every method appends to b and returns it, so that a
// caller can send a whole update in one write.
type layout struct {
	rows, cols int
}

// split reports whether the screen is tall enough for a scroll region.
func (l layout) split() bool { return l.rows >= minRows }

// pin sets up the screen: the region on rows 1..rows-1, the cursor at the
// start of the last row, which is cleared for the prompt. DECSTBM homes the
// cursor, so the move comes after. A screen too small for a region gets
// none (in case it had one before a resize), and the cursor stays on its row.
func (l layout) pin(b []byte) []byte {
	if !l.split() {
		b = append(b, saveCursor+resetRegion+restoreCursor+"\r"...)
		return append(b, eraseLine...)
	}
	b = append(b, "\x1b[1;"...)
	b = strconv.AppendInt(b, int64(l.rows-1), 10)
	b = append(b, 'r')
	b = moveTo(b, l.rows, 1)
	return append(b, eraseLine...)
}

// prepare readies the prompt row before liner prints a prompt.
func (l layout) prepare(b []byte) []byte {
	if l.split() {
		return l.pin(b)
	}
	return append(append(b, '\r'), eraseLine...)
}

// clearPrompt erases the prompt row after liner returned a line, leaving the
// cursor at its start.
func (l layout) clearPrompt(b []byte) []byte {
	if l.split() {
		b = moveTo(b, l.rows, 1)
	} else {
		b = append(b, '\r')
	}
	return append(b, eraseLine...)
}

// release undoes pin: no region, the cursor at the start of the cleared
// prompt row, so that whatever the program prints next starts there and
// scrolls the whole screen.
func (l layout) release(b []byte) []byte {
	if !l.split() {
		return l.pin(b)
	}
	b = append(b, resetRegion...)
	b = moveTo(b, l.rows, 1)
	return append(b, eraseLine...)
}

// repaint clears the screen and lays it out again: the region, the last
// lines written (as many as can show), the cursor at the start of the empty
// prompt row, where liner must redraw. Without a region it only pins.
func (l layout) repaint(b []byte, recent []string) []byte {
	if !l.split() {
		return l.pin(b)
	}
	b = append(b, eraseScreen...)
	b = l.pin(b)
	if tail := recent[max(0, len(recent)-(l.rows-1)):]; len(tail) > 0 {
		b = l.print(b, tail)
	}
	return b
}

// print appends the sequence that shows lines above the prompt. With a
// region it scrolls the region once per line, writes the line at the start
// of its bottom row and puts liner's cursor back. Without one it replaces
// the prompt row with the lines, leaving the cursor at the start of an empty
// row where liner must redraw.
func (l layout) print(b []byte, lines []string) []byte {
	if !l.split() {
		b = append(append(b, '\r'), eraseLine...)
		for _, line := range lines {
			b = appendClean(b, line)
			b = append(append(b, '\r'), index...)
		}
		return b
	}
	b = append(b, saveCursor...)
	b = moveTo(b, l.rows-1, 1)
	for _, line := range lines {
		b = append(append(b, '\r'), index...)
		b = appendClean(b, line)
	}
	b = append(b, restoreCursor...)
	// The cursor is back where liner left it, normally on the last row.
	// After Ctrl-L liner's cursor is on row 1, inside the region: move it
	// down so typing does not continue over the text just printed.
	b = append(b, "\x1b["...)
	b = strconv.AppendInt(b, int64(l.rows), 10)
	return append(b, 'd') // VPA: row only, column kept
}

// moveTo appends CUP to row and col (1-based).
func moveTo(b []byte, row, col int) []byte {
	b = append(b, "\x1b["...)
	b = strconv.AppendInt(b, int64(row), 10)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(col), 10)
	return append(b, 'H')
}

// splitLines splits the text of one Write into lines: a final newline is
// optional, and "\r\n" counts as a newline.
func splitLines(p []byte) []string {
	if len(p) == 0 {
		return nil
	}
	text := strings.TrimSuffix(string(p), "\n")
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		lines[i] = strings.TrimSuffix(line, "\r")
	}
	return lines
}

// appendClean appends line with every invisible character (control and
// format characters, see safetext.Invisible) except tab, and every invalid
// UTF-8 byte, replaced by U+FFFD, so that the text cannot move the cursor,
// change the region, start an escape sequence or reorder itself. Colour
// sequences (SGR) are kept, and a line that has one ends with a reset, so
// that its colours end with it.
func appendClean(b []byte, line string) []byte {
	colored := false
	for i := 0; i < len(line); {
		if n := sgrLen(line[i:]); n > 0 {
			b = append(b, line[i:i+n]...)
			i += n
			colored = true
			continue
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		if r != '\t' && safetext.Invisible(r) {
			r = utf8.RuneError
		}
		b = utf8.AppendRune(b, r)
		i += size
	}
	if colored {
		b = append(b, resetColor...)
	}
	return b
}

// sgrLen returns the length of the SGR sequence ("ESC[" digits and
// semicolons "m", at most maxSGR bytes) that s starts with, or 0. SGR only
// sets colours and attributes: it cannot move the cursor.
func sgrLen(s string) int {
	if !strings.HasPrefix(s, "\x1b[") {
		return 0
	}
	for i := 2; i < len(s) && i < maxSGR; i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case c != ';' && (c < '0' || c > '9'):
			return 0
		}
	}
	return 0
}

// cleanPrompt replaces the runes liner refuses in a prompt (Unicode category
// C: controls, format characters, private use, surrogates) with U+FFFD.
func cleanPrompt(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.C, r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// validPrompt reports whether liner accepts s as a prompt.
func validPrompt(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.C, r) })
}
