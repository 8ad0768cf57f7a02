package framing

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pausingReader hands out its chunks one read at a time, as a connection
// whose peer writes them with pauses between.
type pausingReader struct{ chunks [][]byte }

func (p *pausingReader) Read(b []byte) (int, error) {
	if len(p.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.chunks[0])
	if n == len(p.chunks[0]) {
		p.chunks = p.chunks[1:]
	} else {
		p.chunks[0] = p.chunks[0][n:]
	}
	return n, nil
}

// A small message from an idle peer is read into the small buffer; a
// burst borrows the big one, and it goes back once the burst is consumed
// and the peer has paused.
func TestReaderHoldsNoBigBufferWhileIdle(t *testing.T) {
	burst := bytes.Repeat([]byte("0123456789abcde\n"), 1000)
	src := &pausingReader{chunks: [][]byte{[]byte("hello\n"), burst, []byte("bye\n")}}
	r := NewReader(src)

	line, err := r.ReadSlice('\n')
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(line))
	assert.Nil(t, r.big, "a six-byte message borrowed the big buffer")

	for range 1000 {
		line, err = r.ReadSlice('\n')
		require.NoError(t, err)
		require.Equal(t, "0123456789abcde\n", string(line))
	}
	line, err = r.ReadSlice('\n')
	require.NoError(t, err)
	assert.Equal(t, "bye\n", string(line))
	assert.Nil(t, r.big, "the big buffer was kept after the burst")
	_, err = r.ReadSlice('\n')
	assert.ErrorIs(t, err, io.EOF)
}

// Whatever the reads return, a Reader yields the same bytes, lines and
// errors as a bufio.Reader of the same size.
func TestReaderMatchesBufio(t *testing.T) {
	inputs := map[string]string{
		"lines":      "a\nbb\n\nccc\nlast",
		"long lines": strings.Repeat("x", 5000) + "\n" + strings.Repeat("y", 300) + "\nz\n",
		"binary":     string(bytes.Repeat([]byte{0, 1, 2, '\n', 255}, 2000)),
		"empty":      "",
	}
	wrappers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+err": iotest.DataErrReader,
	}
	for name, in := range inputs {
		for wname, wrap := range wrappers {
			for _, size := range []int{16, 200, DefaultBufferSize} {
				t.Run(name+"/"+wname, func(t *testing.T) {
					assert.Equal(t, readSlices(bufio.NewReaderSize(wrap(strings.NewReader(in)), size)),
						readSlices(NewReaderSize(wrap(strings.NewReader(in)), size)))
					assert.Equal(t, reads(bufio.NewReaderSize(wrap(strings.NewReader(in)), size)),
						reads(NewReaderSize(wrap(strings.NewReader(in)), size)))
					assert.Equal(t, peeks(bufio.NewReaderSize(wrap(strings.NewReader(in)), size)),
						peeks(NewReaderSize(wrap(strings.NewReader(in)), size)))
				})
			}
		}
	}
}

type slicer interface {
	ReadSlice(delim byte) ([]byte, error)
}

// readSlices records what ReadSlice returns until an error other than a full
// buffer.
func readSlices(r slicer) []string {
	var out []string
	for {
		line, err := r.ReadSlice('\n')
		out = append(out, string(line)+"|"+errString(err))
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return out
		}
	}
}

// reads records the bytes read with reads of varied sizes, and the error
// that ends them.
func reads(r io.Reader) string {
	var out bytes.Buffer
	sizes := []int{1, 7, 100, 5000, 3}
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := r.Read(p)
		out.Write(p[:n])
		if err != nil {
			return out.String() + "|" + errString(err)
		}
	}
}

type peeker interface {
	ReadByte() (byte, error)
	UnreadByte() error
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// peeks records what ReadByte, UnreadByte, Peek and Discard return, in
// turn, until an error.
func peeks(r peeker) []string {
	var out []string
	for i := 0; ; i++ {
		c, err := r.ReadByte()
		out = append(out, fmt.Sprintf("byte %q %v", c, err))
		if err != nil {
			return out
		}
		if i%3 == 0 {
			out = append(out, fmt.Sprint("unread ", r.UnreadByte()))
		}
		p, err := r.Peek([]int{1, 5, 150, 5000}[i%4])
		out = append(out, fmt.Sprintf("peek %q %v", p, err))
		n, err := r.Discard([]int{0, 3, 300}[i%3])
		out = append(out, fmt.Sprintf("discard %d %v", n, err))
		if err != nil {
			return out
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func BenchmarkReaderFrames(b *testing.B) {
	frame := []byte("CP\x01\x04\x00\x00\x00\x00\x04\x00\x02hi")
	stream := bytes.Repeat(frame, 4096)
	var hdr [9]byte
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(stream))
		for {
			if _, err := io.ReadFull(r, hdr[:]); err != nil {
				break
			}
			io.ReadFull(r, hdr[:4])
		}
	}
}

// waiterFunc is a Waiter made of a function.
type waiterFunc func() error

func (f waiterFunc) WaitRead() error { return f() }

// Wait waits on the Waiter once the last read has taken everything, and
// not while there may be more; a Waiter that cannot tell lets it read; a
// Waiter's error comes out of the next read.
func TestReaderWaitsOnItsWaiter(t *testing.T) {
	src := &pausingReader{chunks: [][]byte{[]byte("one\n"), []byte("two\n")}}
	r := NewReader(src)
	waits := 0
	r.SetWaiter(waiterFunc(func() error { waits++; return ErrNotIdle }))

	r.Wait() // nothing read yet: a read, not a wait
	assert.Zero(t, waits)
	line, err := r.ReadSlice('\n')
	require.NoError(t, err)
	assert.Equal(t, "one\n", string(line))

	r.Wait() // the last read was short: the waiter first
	assert.Equal(t, 1, waits)
	line, err = r.ReadSlice('\n')
	require.NoError(t, err)
	assert.Equal(t, "two\n", string(line))

	gone := errors.New("connection reset")
	r.SetWaiter(waiterFunc(func() error { return gone }))
	r.Wait()
	_, err = r.ReadSlice('\n')
	assert.ErrorIs(t, err, gone)
}
