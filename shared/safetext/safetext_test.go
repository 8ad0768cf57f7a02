package safetext_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/safetext"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is kept", "hello, wörld 😀 ❤️ 你好", "hello, wörld 😀 ❤️ 你好"},
		{"a newline cannot start a forged line", "hi\n[SYSTEM] bob has left the chat", "hi↵[SYSTEM] bob has left the chat"},
		{"a carriage return cannot overwrite the line", "hi\r[SYSTEM] forged", "hi�[SYSTEM] forged"},
		{"a tab is a space", "a\tb", "a b"},
		{"clear screen", "\x1b[2J\x1b[H", "�[2J�[H"},
		{"window title (OSC 0, BEL)", "\x1b]0;pwned\x07", "�]0;pwned�"},
		{"clipboard (OSC 52, ST)", "\x1b]52;c;cHduZWQ=\x1b\\", "�]52;c;cHduZWQ=�\\"},
		{"C1 CSI", "\u009b2J", "�2J"},
		{"colour", "\x1b[31mred", "�[31mred"},
		{"right-to-left override", "invoice\u202etxt.exe", "invoice�txt.exe"},
		{"bidi isolates and marks", "\u2066a\u2069\u200e\u200f", "�a���"},
		{"zero widths", "a\u200bb\u200cc\u200dd\u2060e\ufeff", "a�b�c�d�e�"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a�b�c"},
		{"Hangul filler", "alice\u3164", "alice�"},
		{"invalid UTF-8", "a\xffb\xc3", "a�b�"},
		{"a replacement character stays one", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, safetext.Clean(tt.in))
		})
	}
}

func TestCleanLines(t *testing.T) {
	assert.Equal(t, "[GROUPS]\n  #a: b�\n  #c: d", safetext.CleanLines("[GROUPS]\r\n  #a: b\x1b\n  #c: d"))
	assert.Equal(t, "one line", safetext.CleanLines("one line"))
}

func TestInvisible(t *testing.T) {
	for _, r := range []rune{0, '\t', '\n', '\r', 0x1b, 0x7f, 0x85, 0x9b, 0xad, 0x061c, 0x180e,
		0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029, 0xfeff, 0x034f, 0x115f, 0x1160,
		0x3164, 0xffa0, 0xe0001, 0xe0041} {
		assert.True(t, safetext.Invisible(r), "%U", r)
	}
	for _, r := range []rune{' ', 'a', 'é', '@', '/', 0xfffd, 0xfe0f, '你', '😀', 'א'} {
		assert.False(t, safetext.Invisible(r), "%U", r)
	}
}

// FuzzClean: whatever a peer sends, the cleaned text is valid UTF-8, one
// line, and has no character that could drive a terminal or hide.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"hello", "\x1b]0;title\x07", "\x1b[2J", "a\nb\r\n", "invoice\u202etxt.exe",
		"\xff\xfe", "\u0085\u009b", "a\u200db", "\xed\xa0\x80", "\U000e0041"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safetext.Clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: not UTF-8", s, got)
		}
		if i := strings.IndexFunc(got, safetext.Invisible); i >= 0 {
			t.Fatalf("Clean(%q) = %q: an invisible character at byte %d", s, got, i)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return unicode.Is(unicode.Cf, r) || unicode.IsControl(r) }) {
			t.Fatalf("Clean(%q) = %q: a control or format character", s, got)
		}
		if utf8.RuneCountInString(got) != utf8.RuneCountInString(s) {
			t.Fatalf("Clean(%q) = %q: not one character for each", s, got)
		}
		if !strings.ContainsFunc(s, safetext.Invisible) && utf8.ValidString(s) && got != s {
			t.Fatalf("Clean(%q) = %q: a clean text was changed", s, got)
		}
		lines := safetext.CleanLines(s)
		if !utf8.ValidString(lines) || strings.ContainsFunc(strings.ReplaceAll(lines, "\n", ""), safetext.Invisible) {
			t.Fatalf("CleanLines(%q) = %q", s, lines)
		}
	})
}
