package term

import (
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"chatlab/shared/safetext"
)

// minWrapText is the fewest columns a continuation row keeps for text: an
// indent that would leave less is dropped.
const minWrapText = 20

// wrap splits line into rows of at most cols columns, so that the
// terminal never wraps it itself (which would start the rest at column
// 1, under the time stamp and the nick). Continuation rows start with
// indent spaces, so that the text reads as a column. A row breaks at its
// last space, or inside a word too long for a row. Colour sequences take
// no columns and go on in the next row. cols <= 0 (an unknown width)
// leaves the line whole.
func wrap(line string, cols, indent int) []string {
	if cols <= 0 {
		return []string{line}
	}
	if indent < 0 || cols-indent < minWrapText {
		indent = 0
	}
	var (
		rows     []string
		cur      strings.Builder
		width    int    // columns used in cur
		start    = 0    // columns the row's indent takes
		space    = -1   // byte offset in cur of the last breakable space
		atSpace  int    // width after that space
		active   string // colour sequences in force
		startLen = 0    // bytes of cur before the row's text
	)
	for i := 0; i < len(line); {
		if n := sgrLen(line[i:]); n > 0 {
			seq := line[i : i+n]
			if seq == resetColor || seq == "\x1b[m" {
				active = ""
			} else {
				active += seq
			}
			cur.WriteString(seq)
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		w := runeWidth(r)
		if width+w > cols && width > start {
			text := cur.String()
			rest, restWidth := "", 0
			overflowing := r == ' ' // the space that overflows is the break
			if overflowing {
				i += size
			} else if space > startLen {
				text, rest, restWidth = text[:space], text[space+1:], width-atSpace
			}
			rows = append(rows, text)
			cur.Reset()
			cur.WriteString(strings.Repeat(" ", indent))
			cur.WriteString(active)
			start, startLen = indent, cur.Len()
			cur.WriteString(rest)
			width, space = indent+restWidth, -1
			if overflowing {
				continue
			}
		}
		if r == ' ' && width > start && width >= indent {
			// A break point in the text, not in the head before it.
			space, atSpace = cur.Len(), width+1
		}
		cur.WriteString(line[i : i+size])
		width += w
		i += size
	}
	return append(rows, cur.String())
}

// runeWidth is the columns r takes once shown: invisible characters
// become U+FFFD (see appendClean), one column.
func runeWidth(r rune) int {
	if r == '\t' || safetext.Invisible(r) || r == utf8.RuneError {
		return 1
	}
	return runewidth.RuneWidth(r)
}
