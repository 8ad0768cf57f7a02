package proto

import (
	"unicode"
	"unicode/utf8"
)

// ValidUsername reports whether s is a legal username: 1 to 20 code points,
// each a letter, a digit, '_', '-' or '.' (letters and digits in the
// Unicode sense, see docs/protocol-notes.md).
func ValidUsername(s string) bool { return validName(s, MaxUsernameLen) }

// ValidRoom reports whether s is a legal room name: 1 to 32 code points
// from the same alphabet as usernames.
func ValidRoom(s string) bool { return validName(s, MaxRoomLen) }

func validName(s string, max int) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	n := 0
	for _, r := range s {
		if n++; n > max {
			return false
		}
		if !NameRune(r) {
			return false
		}
	}
	return true
}

// NameRune reports whether r may appear in a username or room name: a
// letter, a digit, '_', '-' or '.'.
func NameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.'
}

// FoldName returns the key under which a username is unique: two names
// that differ only in case (Unicode simple case folding) have the same key.
func FoldName(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, foldRune(r))
	}
	return string(b)
}

// foldRune maps r to the smallest rune of its case-folding orbit, so that
// every member of the orbit maps to the same rune.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// CheckText applies the text rule of §1.7 and returns the error code to
// answer with, or 0 if the text is acceptable.
func CheckText(s string) ErrorCode {
	switch {
	case s == "":
		return CodeEmpty
	case len(s) > MaxTextBytes:
		return CodeTooLong
	case !utf8.ValidString(s):
		return CodeMalformed
	}
	return 0
}
