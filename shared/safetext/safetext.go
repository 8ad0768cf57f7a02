// Package safetext makes text that came from someone else safe to print,
// and says which characters a name may not hold.
//
// A chat client prints what its peers send. Printed raw, a text can drive
// the terminal: ESC starts sequences that move the cursor, clear the
// screen, set the window title or (OSC 52) write the clipboard; CR
// returns to the start of the line, to write a forged line over the real
// one; a newline starts a line that looks like the client's own
// ("[SYSTEM] bob has left the chat"). Invisible format characters do not
// drive the terminal but hide what a text is: U+202E (right-to-left
// override) shows `invoice‮txt.exe` as `invoiceexe.txt`, a zero-width
// space makes two names that look the same.
//
// Clean replaces every such character, and every byte that is not UTF-8,
// with U+FFFD (�), so that the reader sees that something was there; a
// newline becomes "↵" and a tab a space, so that a text is always one
// line. Every client of every stage prints what a peer sent through it
// (or through CleanLines, for its own text of several lines), on a
// terminal and when its output is a pipe or a file alike. Invisible is the
// rule, for servers that refuse such names.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The characters a cleaned text shows in place of others.
const (
	Replacement = '\uFFFD' // an invisible or control character, or a byte that is not UTF-8
	Newline     = '↵'      // a line break inside a text
)

// Invisible reports whether r changes the terminal, the order of the text
// around it, or shows as nothing: the control characters (Unicode category
// Cc: C0, DEL, C1), the format characters (Cf: the bidirectional controls
// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, the zero-widths U+200B–
// U+200D, U+2060, U+FEFF, the soft hyphen, the tags...), the line and
// paragraph separators (Zl, Zp: U+2028, U+2029), and the other characters
// Unicode says to show as nothing (Other_Default_Ignorable_Code_Point:
// the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the combining
// grapheme joiner U+034F...). Variation selectors are not invisible here:
// they choose how the character before them is drawn (the emoji form of
// ❤), and show nothing on their own.
func Invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp,
		unicode.Other_Default_Ignorable_Code_Point)
}

// Clean returns s as one line that is safe to print: a newline becomes
// Newline, a tab a space, and every other invisible character (see
// Invisible) and every byte that is not UTF-8 becomes Replacement. s is
// returned as it is when nothing needs replacing.
func Clean(s string) string {
	if !needsCleaning(s) {
		return s
	}
	return string(AppendClean(make([]byte, 0, len(s)+8), s))
}

// AppendClean appends Clean(s) to b.
func AppendClean(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\n':
			r = Newline
		case r == '\t':
			r = ' '
		case r == utf8.RuneError && size == 1, Invisible(r):
			r = Replacement
		}
		b = utf8.AppendRune(b, r)
	}
	return b
}

// CleanLines is Clean for a text of several lines: each line is cleaned,
// and the newlines between them are kept ("\r\n" counts as one). It is
// for a program's own text, which may have lines of its own and holds what
// peers sent; a peer's text itself goes through Clean first, so that its
// newlines do not start lines.
func CleanLines(s string) string {
	if !needsCleaning(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	b := make([]byte, 0, len(s)+8)
	for i, line := range lines {
		if i > 0 {
			b = append(b, '\n')
		}
		if i < len(lines)-1 {
			line = strings.TrimSuffix(line, "\r")
		}
		b = AppendClean(b, line)
	}
	return string(b)
}

// needsCleaning reports whether Clean would change s.
func needsCleaning(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			// Only there can anything need replacing: look at the rest
			// rune by rune.
			return !utf8.ValidString(s[i:]) || strings.ContainsFunc(s[i:], Invisible)
		}
	}
	return false
}
