package term

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		cols   int
		indent int
		want   []string
	}{
		{name: "a short line stays whole", line: "[12:00:00] bob: hi", cols: 40, indent: 16,
			want: []string{"[12:00:00] bob: hi"}},
		{name: "continuation rows start at the text column, broken at spaces",
			line: "[12:00:00] [general] bob: one two three four five six seven eight nine ten eleven", cols: 50, indent: 26,
			want: []string{
				"[12:00:00] [general] bob: one two three four five",
				"                          six seven eight nine ten",
				"                          eleven",
			}},
		{name: "an indent that leaves too little room is dropped",
			line: "[12:00:00] [general] bob: one two three four", cols: 30, indent: 26,
			want: []string{"[12:00:00] [general] bob: one", "two three four"}},
		{name: "a word longer than a row is cut",
			line: "*** abcdefghijklmnopqrstuvwxyz", cols: 24, indent: 4,
			want: []string{"*** abcdefghijklmnopqrst", "    uvwxyz"}},
		{name: "colour goes on in the next row and takes no columns",
			line: "\x1b[35m[PM] aaaa bbbb cccc dddd\x1b[0m", cols: 20, indent: 0,
			want: []string{"\x1b[35m[PM] aaaa bbbb cccc", "\x1b[35mdddd\x1b[0m"}},
		{name: "wide runes take two columns",
			line: "**漢字漢字漢字漢字漢字漢字", cols: 9, indent: 0,
			want: []string{"**漢字漢", "字漢字漢", "字漢字漢", "字"}},
		{name: "an unknown width leaves the line whole", line: "abc def", cols: 0, indent: 2,
			want: []string{"abc def"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, wrap(tt.line, tt.cols, tt.indent))
		})
	}
}
