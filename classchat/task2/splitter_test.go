package task2

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/framing"
)

// tooLong stands for a line over the limit in the splitter's results.
const tooLong = "<too long>"

// splitAll feeds chunks to a splitter of lines of at most max bytes and
// returns what it made of them: the lines, then the rest at the end.
func splitAll(max int, chunks ...string) (lines []string, rest string) {
	s := newSplitter(max)
	for _, c := range chunks {
		s.split([]byte(c), func(line []byte, long bool) bool {
			if long {
				lines = append(lines, tooLong)
			} else {
				lines = append(lines, string(line))
			}
			return true
		})
	}
	return lines, string(s.flush())
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name      string
		max       int
		chunks    []string
		wantLines []string
		wantRest  string
	}{
		{name: "one line", max: 8, chunks: []string{"hello\n"}, wantLines: []string{"hello"}},
		{name: "two in one read", max: 8, chunks: []string{"a\nb\n"}, wantLines: []string{"a", "b"}},
		{name: "cut anywhere", max: 8, chunks: []string{"he", "l", "lo\nw", "o", "rld\n"}, wantLines: []string{"hello", "world"}},
		{name: "crlf", max: 8, chunks: []string{"a\r", "\nb\r\n"}, wantLines: []string{"a", "b"}},
		{name: "empty lines", max: 8, chunks: []string{"\n\n"}, wantLines: []string{"", ""}},
		{name: "unfinished", max: 8, chunks: []string{"a\nbc"}, wantLines: []string{"a"}, wantRest: "bc"},
		{name: "longest", max: 4, chunks: []string{"abc\n"}, wantLines: []string{"abc"}},
		{name: "one over", max: 4, chunks: []string{"abcd\nok\n"}, wantLines: []string{tooLong, "ok"}},
		{name: "too long before its end", max: 4, chunks: []string{"ab", "cd", "ef", "\nok\n"}, wantLines: []string{tooLong, "ok"}},
		{name: "too long, no end", max: 4, chunks: []string{"abcdefgh"}, wantLines: []string{tooLong}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, rest := splitAll(tt.max, tt.chunks...)
			assert.Equal(t, tt.wantLines, lines)
			assert.Equal(t, tt.wantRest, rest)
		})
	}
}

// The splitter stops where its function says so, and keeps nothing of
// the rest.
func TestSplitterStops(t *testing.T) {
	s := newSplitter(16)
	var got []string
	s.split([]byte("a\nexit\nb\nc"), func(line []byte, _ bool) bool {
		got = append(got, string(line))
		return string(line) != "exit"
	})
	assert.Equal(t, []string{"a", "exit"}, got)
}

// The splitter, fed any stream cut anywhere, makes of it the lines
// framing.LineReader makes of the whole, up to the first line too long.
func FuzzSplitter(f *testing.F) {
	f.Add([]byte("Welcome to ClassChat! You are Client 1. Type 'exit' to quit.\n[Server received] hi\n"), uint8(7))
	f.Add([]byte("Connection established. Welcome to ClassChat Server!\nexit\n"), uint8(1))
	f.Add([]byte("a\r\nb\n\nc"), uint8(2))
	f.Add([]byte("0123456789abcdef\nshort\n"), uint8(3))
	f.Add([]byte("0123456789abcde\n"), uint8(16))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		const max = 16 // small, so that long lines are common
		var want []string
		lr := framing.NewLineReaderSize(bytes.NewReader(data), max, max)
		for {
			line, err := lr.ReadLine()
			if errors.Is(err, framing.ErrLineTooLong) {
				want = append(want, tooLong)
				break
			}
			if err != nil {
				break
			}
			want = append(want, string(line))
		}

		var got []string
		s := newSplitter(max)
		step := int(cut)%17 + 1
		stopped := false
		for i := 0; i < len(data) && !stopped; i += step {
			s.split(data[i:min(i+step, len(data))], func(line []byte, long bool) bool {
				if long {
					got = append(got, tooLong)
					stopped = true
					return false
				}
				got = append(got, string(line))
				return true
			})
			if len(s.pending) >= max {
				t.Fatalf("holds %d bytes, over the limit %d", len(s.pending), max)
			}
		}
		if !stopped {
			if rest := s.flush(); len(rest) > 0 {
				got = append(got, string(rest))
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Fatalf("stream %q cut every %d bytes:\ngot  %q\nwant %q", data, step, got, want)
		}
	})
}
