package framing

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type jsonItem struct {
	obj string
	err error
}

func readObjects(input string, max int) []jsonItem {
	jr := NewJSONReader(strings.NewReader(input), max)
	var got []jsonItem
	for {
		obj, err := jr.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		got = append(got, jsonItem{string(obj), err})
		if err != nil && !errors.Is(err, ErrNotObject) {
			return got
		}
	}
}

func TestJSONReader(t *testing.T) {
	tests := []struct {
		name  string
		input string
		max   int
		want  []jsonItem
	}{
		{"back to back, as the original client sends", `{"sender": "a", "text": "hi"}{"receiver": "b"}`, 100,
			[]jsonItem{{`{"sender": "a", "text": "hi"}`, nil}, {`{"receiver": "b"}`, nil}}},
		{"newline delimited", "{\"a\":1}\n{\"b\":2}\r\n", 100, []jsonItem{{`{"a":1}`, nil}, {`{"b":2}`, nil}}},
		{"braces inside strings", `{"text":"} { \" }"}{"x":{"y":{}}}`, 100,
			[]jsonItem{{`{"text":"} { \" }"}`, nil}, {`{"x":{"y":{}}}`, nil}}},
		{"junk line, then an object", "hello there\n{\"a\":1}", 100, []jsonItem{{"", ErrNotObject}, {`{"a":1}`, nil}}},
		{"junk up to an object", `oops{"a":1}`, 100, []jsonItem{{"", ErrNotObject}, {`{"a":1}`, nil}}},
		{"exactly the limit", `{"a":"12345"}`, 13, []jsonItem{{`{"a":"12345"}`, nil}}},
		{"over the limit", `{"a":"123456"}`, 13, []jsonItem{{"", ErrObjectTooLarge}}},
		{"cut short", `{"a":`, 100, []jsonItem{{"", io.ErrUnexpectedEOF}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readObjects(tt.input, tt.max)
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.Equal(t, tt.want[i].obj, got[i].obj)
				assert.ErrorIs(t, got[i].err, tt.want[i].err)
			}
		})
	}
}

// An endless object is refused once it passes the limit, not read whole.
func TestJSONReaderStopsEarly(t *testing.T) {
	src := &countingReader{r: io.MultiReader(strings.NewReader(`{"a":"`), strings.NewReader(strings.Repeat("x", 1<<20)))}
	_, err := NewJSONReader(src, 1024).Next()
	require.ErrorIs(t, err, ErrObjectTooLarge)
	assert.Less(t, src.n, 8192)
}

// slowReader returns a few bytes per Read, as a network may.
type slowReader struct{ data []byte }

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), 1+len(r.data)%7, len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// byteReader is how JSONReader read an object before it scanned buffered
// chunks, one byte at a time: the model the fuzz test holds it to.
type byteReader struct {
	JSONReader
}

func (j *byteReader) Next() ([]byte, error) {
	j.buf = j.buf[:0]
	first, err := j.skipSpace()
	if err != nil {
		return nil, err
	}
	if first != '{' {
		return nil, j.skipJunk()
	}
	depth, inString, escaped := 0, false, false
	for {
		c, err := j.r.ReadByte()
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		if len(j.buf) >= j.max {
			return nil, ErrObjectTooLarge
		}
		j.buf = append(j.buf, c)
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			depth++
		case c == '}':
			if depth--; depth == 0 {
				return j.buf, nil
			}
		}
	}
}

// An object of megabytes, in pieces as TCP delivers them, arrives whole.
func TestJSONReaderLargeObject(t *testing.T) {
	text := strings.Repeat(`abc\"}{`, 1<<18)
	obj := `{"data":"` + text + `","n":{"m":1}}`
	src := io.MultiReader(strings.NewReader(obj[:1000]), strings.NewReader(obj[1000:100000]), strings.NewReader(obj[100000:]+`{"next":1}`))
	jr := NewJSONReader(src, len(obj))
	got, err := jr.Next()
	require.NoError(t, err)
	assert.Equal(t, obj, string(got))
	got, err = jr.Next()
	require.NoError(t, err)
	assert.Equal(t, `{"next":1}`, string(got))

	_, err = NewJSONReader(strings.NewReader(obj), len(obj)-1).Next()
	assert.ErrorIs(t, err, ErrObjectTooLarge)
}

func FuzzJSONReader(f *testing.F) {
	f.Add([]byte(`{"sender": "alice", "receiver": "bob", "text": "hi"}{"x":1}`), 64)
	f.Add([]byte("junk\n{\"a\":\"}\\\"{\"}\n"), 16)
	f.Add([]byte(`{{{{}}}}`), 4)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 1 || max > 1<<16 {
			return
		}
		jr := NewJSONReader(bytes.NewReader(data), max)
		model := &byteReader{*NewJSONReader(&slowReader{data}, max)}
		for range len(data) + 1 {
			obj, err := jr.Next()
			want, wantErr := model.Next()
			if string(obj) != string(want) || !errors.Is(err, wantErr) && err != wantErr {
				t.Fatalf("got %q, %v; reading a byte at a time gives %q, %v", obj, err, want, wantErr)
			}
			switch {
			case errors.Is(err, ErrNotObject):
				continue
			case err != nil:
				return
			}
			if len(obj) > max || obj[0] != '{' || obj[len(obj)-1] != '}' {
				t.Fatalf("object %q breaks the rules (max %d)", obj, max)
			}
			// Whatever encoding/json accepts as one object, the reader
			// returned whole.
			if json.Valid(obj) {
				var v map[string]any
				if json.Unmarshal(obj, &v) != nil {
					t.Fatalf("%q is valid JSON but not an object", obj)
				}
			}
		}
	})
}
