package framing

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, lr *LineReader) ([]string, error) {
	t.Helper()
	var lines []string
	for {
		line, err := lr.ReadLine()
		if err != nil {
			return lines, err
		}
		lines = append(lines, string(line))
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		max     int
		bufSize int
		want    []string
		wantErr error
	}{
		{name: "lf", input: "a\nbc\n", max: 10, bufSize: 16, want: []string{"a", "bc"}, wantErr: io.EOF},
		{name: "crlf", input: "a\r\nbc\r\n", max: 10, bufSize: 16, want: []string{"a", "bc"}, wantErr: io.EOF},
		{name: "empty lines", input: "\n\r\n", max: 10, bufSize: 16, want: []string{"", ""}, wantErr: io.EOF},
		{name: "last line unterminated", input: "a\nlast", max: 10, bufSize: 16, want: []string{"a", "last"}, wantErr: io.EOF},
		{name: "exactly max with newline", input: "abcd\n", max: 5, bufSize: 16, want: []string{"abcd"}, wantErr: io.EOF},
		{name: "one over max", input: "abcde\n", max: 5, bufSize: 16, wantErr: ErrLineTooLong},
		{name: "crlf counts both bytes", input: "abcd\r\n", max: 5, bufSize: 16, wantErr: ErrLineTooLong},
		{name: "longer than buffer, within max", input: strings.Repeat("x", 40) + "\nok\n", max: 64, bufSize: 16,
			want: []string{strings.Repeat("x", 40), "ok"}, wantErr: io.EOF},
		{name: "longer than max, no newline yet", input: strings.Repeat("x", 100), max: 64, bufSize: 16, wantErr: ErrLineTooLong},
		{name: "unterminated over max", input: strings.Repeat("x", 20), max: 10, bufSize: 32, wantErr: ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := NewLineReaderSize(strings.NewReader(tt.input), tt.max, tt.bufSize)
			got, err := readAll(t, lr)
			assert.Equal(t, tt.want, got)
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

// An oversized line is refused before the reader has taken in the whole of
// it: the limit bounds memory, not just the result.
func TestLineReaderStopsEarly(t *testing.T) {
	src := &countingReader{r: strings.NewReader(strings.Repeat("x", 1<<20))}
	lr := NewLineReaderSize(src, 1024, 256)
	_, err := lr.ReadLine()
	require.ErrorIs(t, err, ErrLineTooLong)
	assert.Less(t, src.n, 4096, "read far past the limit before refusing")
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("{\"type\":\"login\",\"username\":\"alice\"}\n"), 64)
	f.Add([]byte("a\r\nb\n\nc"), 4)
	f.Add(bytes.Repeat([]byte("x"), 300), 100)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 1 || max > 1<<16 {
			return
		}
		lr := NewLineReaderSize(bytes.NewReader(data), max, 16)
		// With limits (and no deadline to set) the lines are the same.
		limited := NewReaderSize(&slowReader{data}, 16)
		limited.SetLimits(Limits{Budget: NewBudget(1 << 30)})
		lr2 := NewLineReaderSize(limited, max, 16)
		for {
			line, err := lr.ReadLine()
			line2, err2 := lr2.ReadLine()
			if string(line) != string(line2) || !errors.Is(err2, err) && err2 != err {
				t.Fatalf("without limits %q, %v; with %q, %v", line, err, line2, err2)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrLineTooLong) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(line) >= max+1 || bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line of %d bytes breaks the limit %d or holds a newline", len(line), max)
			}
		}
	})
}
