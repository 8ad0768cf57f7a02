package term

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenNotTerminal(t *testing.T) {
	if IsTerminal() {
		t.Skip("stdin and stdout are terminals: cannot test the refusal")
	}
	c, err := Open(Options{Prompt: "> "})
	require.Error(t, err)
	assert.Nil(t, c)
	assert.True(t, errors.Is(err, ErrNotTerminal), "error %v does not wrap ErrNotTerminal", err)
}

func TestLayoutSequences(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{
			name: "pin sets the region above the last row and clears the prompt row",
			got:  layout{rows: 12, cols: 80}.pin(nil),
			want: "\x1b[1;11r\x1b[12;1H\x1b[2K",
		},
		{
			name: "pin without room for a region removes it and stays on the row",
			got:  layout{rows: 2, cols: 80}.pin(nil),
			want: "\x1b7\x1b[r\x1b8\r\x1b[2K",
		},
		{
			name: "print scrolls the region once per line and returns to the prompt row",
			got:  layout{rows: 12, cols: 80}.print(nil, []string{"one", "two"}),
			want: "\x1b7\x1b[11;1H\r\x1bDone\r\x1bDtwo\x1b8\x1b[12d",
		},
		{
			name: "print without a region replaces the prompt row",
			got:  layout{rows: 2, cols: 80}.print(nil, []string{"one", "two"}),
			want: "\r\x1b[2Kone\r\x1bDtwo\r\x1bD",
		},
		{
			name: "prepare re-pins before a prompt",
			got:  layout{rows: 5, cols: 80}.prepare(nil),
			want: "\x1b[1;4r\x1b[5;1H\x1b[2K",
		},
		{
			name: "clearPrompt clears the last row",
			got:  layout{rows: 5, cols: 80}.clearPrompt(nil),
			want: "\x1b[5;1H\x1b[2K",
		},
		{
			name: "release removes the region and leaves the cursor on the cleared last row",
			got:  layout{rows: 12, cols: 80}.release(nil),
			want: "\x1b[r\x1b[12;1H\x1b[2K",
		},
		{
			name: "repaint clears the screen and prints the lines that fit",
			got:  layout{rows: 3, cols: 80}.repaint(nil, []string{"a", "b", "c"}),
			want: "\x1b[2J\x1b[1;2r\x1b[3;1H\x1b[2K\x1b7\x1b[2;1H\r\x1bDb\r\x1bDc\x1b8\x1b[3d",
		},
		{
			name: "repaint with nothing written only pins",
			got:  layout{rows: 3, cols: 80}.repaint(nil, nil),
			want: "\x1b[2J\x1b[1;2r\x1b[3;1H\x1b[2K",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(tt.got))
		})
	}
}

func TestSplitLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "empty write", in: "", want: nil},
		{name: "one line", in: "hi\n", want: []string{"hi"}},
		{name: "missing final newline", in: "hi", want: []string{"hi"}},
		{name: "several lines", in: "a\nb\n", want: []string{"a", "b"}},
		{name: "empty line kept", in: "a\n\nb", want: []string{"a", "", "b"}},
		{name: "a newline alone is one empty line", in: "\n", want: []string{""}},
		{name: "CRLF", in: "a\r\nb\r\n", want: []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, splitLines([]byte(tt.in)))
		})
	}
}

func TestAppendClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain text", in: "hello, world", want: "hello, world"},
		{name: "tab kept", in: "a\tb", want: "a\tb"},
		{name: "unicode kept", in: "héllo 世界", want: "héllo 世界"},
		{name: "escape sequence defused", in: "\x1b[2J\x1b[1;1Hx", want: "\uFFFD[2J\uFFFD[1;1Hx"},
		{name: "carriage return and backspace", in: "a\rb\bc", want: "a\uFFFDb\uFFFDc"},
		{name: "C1 control", in: "a\u009bb", want: "a\uFFFDb"},
		{name: "invalid UTF-8", in: "a\xffb", want: "a\uFFFDb"},
		{name: "right-to-left override", in: "invoice\u202etxt.exe", want: "invoice\uFFFDtxt.exe"},
		{name: "zero-width space", in: "a\u200bb", want: "a\uFFFDb"},
		{name: "colours kept, reset at the end", in: "\x1b[36m*** hi\x1b[0m", want: "\x1b[36m*** hi\x1b[0m\x1b[0m"},
		{name: "colour left open is reset", in: "\x1b[1;31mred", want: "\x1b[1;31mred\x1b[0m"},
		{name: "colour among defused sequences", in: "\x1b[2J\x1b[31mx\x1b[1;1H", want: "\uFFFD[2J\x1b[31mx\uFFFD[1;1H\x1b[0m"},
		{name: "unterminated colour defused", in: "a\x1b[31", want: "a\uFFFD[31"},
		{name: "overlong colour defused", in: "\x1b[1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;m", want: "\uFFFD[1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;1;m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(appendClean(nil, tt.in)))
		})
	}
}

func TestPrompt(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		valid bool
		clean string
	}{
		{name: "plain", in: "general> ", valid: true, clean: "general> "},
		{name: "colour", in: "\x1b[1mgeneral\x1b[0m> ", valid: false, clean: "\uFFFD[1mgeneral\uFFFD[0m> "},
		{name: "format character", in: "a\u200bb> ", valid: false, clean: "a\uFFFDb> "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.valid, validPrompt(tt.in))
			assert.Equal(t, tt.clean, cleanPrompt(tt.in))
			assert.True(t, validPrompt(cleanPrompt(tt.in)), "cleaned prompt is still invalid")
		})
	}
}
