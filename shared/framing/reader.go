package framing

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
)

// idleBufferSize is the buffer a Reader blocks on while it has nothing
// buffered: the read buffer an idle connection holds.
const idleBufferSize = 128

// maxEmptyReads is how many reads returning nothing a Reader tolerates
// before it reports io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// pool holds the read buffers of DefaultBufferSize that Readers borrow
// while data flows.
var pool = sync.Pool{New: func() any { b := make([]byte, DefaultBufferSize); return &b }}

// Reader is a buffered reader for a connection that is idle most of the
// time. A bufio.Reader holds its whole buffer for ever, also while its
// goroutine waits for the peer to say something, which is nearly always:
// ten thousand idle connections would hold 40 MB of empty buffers. A
// Reader waits on a small buffer of its own (128 bytes) and borrows a
// full-size one from a pool only while data flows: when a read fills the
// small buffer, or a message does not fit in it. Once everything read has
// been consumed and the last read came back short (the peer has paused),
// the big buffer goes back to the pool before the next read blocks.
type Reader struct {
	rd     io.Reader
	waiter Waiter   // nil: wait by reading
	size   int      // of the big buffer
	buf    []byte   // idle[:] or *big
	big    *[]byte  // the borrowed (or, for a size other than the pool's, owned) buffer, or nil
	r, w   int      // what is buffered is buf[r:w]
	err    error    // from the last read, for after what is buffered
	short  bool     // the last read came back with less than it asked for
	lim    *limiter // nil: no limits (SetLimits)
	idle   [idleBufferSize]byte
}

// NewReader returns a Reader whose big buffer is DefaultBufferSize.
func NewReader(rd io.Reader) *Reader { return NewReaderSize(rd, DefaultBufferSize) }

// NewReaderSize returns a Reader whose big buffer has size bytes. Only
// buffers of DefaultBufferSize are pooled.
func NewReaderSize(rd io.Reader, size int) *Reader {
	return &Reader{rd: rd, size: max(size, 16)}
}

// Buffered returns the number of bytes read from the stream and not yet
// consumed.
func (b *Reader) Buffered() int { return b.w - b.r }

// Wait blocks until something is buffered or the stream fails (the next
// read returns the error). Call it where a goroutine can wait with the
// least of its stack in use: a goroutine that waits for an idle peer deep
// in a decoder keeps a stack the garbage collector cannot shrink. With a
// Waiter, and nothing left from the last read, it waits on the Waiter
// first, and reads only once the peer has said something.
//
// Wait also marks the end of the message read before it: with limits
// (SetLimits), call it before each message, at the top of the read loop
// (LineReader.ReadLine and JSONReader.Next call it themselves). Its own
// read, the wait for a new message, has no deadline but the one set with
// SetReadDeadline, and charges nothing to the budget.
func (b *Reader) Wait() {
	if b.lim != nil {
		if b.r != b.w || b.err != nil {
			b.lim.endMessage()
		} else {
			b.lim.idle()
		}
	}
	if b.r != b.w || b.err != nil {
		return
	}
	if b.waiter != nil && b.short {
		if err := b.waiter.WaitRead(); err != nil && !errors.Is(err, ErrNotIdle) {
			b.err = err
			return
		}
	}
	b.fill(false)
}

// A Waiter can wait for its stream to have something to read without
// reading it, and so with less of the goroutine's stack in use than a
// read through the layers above it (TLS, say) would take.
type Waiter interface {
	// WaitRead blocks until a read would not block, or fails with the
	// error a read would return. It returns ErrNotIdle if it cannot tell
	// (the stream is in the middle of something): the caller then reads.
	WaitRead() error
}

// SetWaiter makes Wait wait on w when nothing is buffered and the last
// read took everything the stream had. w must see the stream below
// everything that buffers between it and the Reader.
func (b *Reader) SetWaiter(w Waiter) { b.waiter = w }

// Read reads into p. A read of at least the big buffer's size with
// nothing buffered goes straight into p.
func (b *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.takeErr()
		}
		if len(p) >= b.size {
			b.releaseBig()
			return b.read(p, true)
		}
		b.fill(true)
		if b.r == b.w {
			return 0, b.takeErr()
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// ReadSlice reads up to and including the first delim, and returns a
// slice of the buffer valid until the next read. As bufio's, it returns
// bufio.ErrBufferFull and the whole buffer when the big buffer fills
// without a delim, and what is left with the error when the stream ends
// first.
func (b *Reader) ReadSlice(delim byte) ([]byte, error) {
	searched := 0
	for {
		if i := bytes.IndexByte(b.buf[b.r+searched:b.w], delim); i >= 0 {
			line := b.buf[b.r : b.r+searched+i+1]
			b.r += searched + i + 1
			return line, nil
		}
		if b.err != nil {
			line := b.buf[b.r:b.w]
			b.r = b.w
			return line, b.takeErr()
		}
		if b.w-b.r >= b.size {
			line := b.buf[b.r:b.w]
			b.r = b.w
			return line, bufio.ErrBufferFull
		}
		searched = b.w - b.r
		b.fill(true)
	}
}

// fill reads once more into the buffer, making room first: it drops what
// was consumed, gives the big buffer back if nothing is buffered and the
// peer paused, and moves to the big buffer if the small one is full. mid
// says the read is inside a message (any but Wait's), under the limits.
func (b *Reader) fill(mid bool) {
	switch {
	case b.r == b.w:
		b.r, b.w = 0, 0
		if b.short {
			b.releaseBig()
		}
	case b.r > 0:
		b.w = copy(b.buf, b.buf[b.r:b.w])
		b.r = 0
	}
	if b.buf == nil {
		b.buf = b.idle[:min(idleBufferSize, b.size)]
	}
	if b.w == len(b.buf) && b.big == nil {
		b.borrow()
	}
	for range maxEmptyReads {
		n, err := b.read(b.buf[b.w:], mid)
		b.short = b.w+n < len(b.buf)
		b.w += n
		if err != nil {
			b.err = err
			return
		}
		if n > 0 {
			if b.big == nil && !b.short {
				b.borrow() // a full small buffer: the peer is busy
			}
			return
		}
	}
	b.err = io.ErrNoProgress
}

// read reads from the stream, under the limits if mid.
func (b *Reader) read(p []byte, mid bool) (int, error) {
	l := b.lim
	if l == nil || !mid {
		return b.rd.Read(p)
	}
	if err := l.before(); err != nil {
		return 0, err
	}
	n, err := b.rd.Read(p)
	return n, l.after(n, err)
}

// borrow moves what is buffered into a big buffer.
func (b *Reader) borrow() {
	if b.size == DefaultBufferSize {
		b.big = pool.Get().(*[]byte)
	} else {
		big := make([]byte, b.size)
		b.big = &big
	}
	b.w = copy(*b.big, b.buf[b.r:b.w])
	b.r = 0
	b.buf = *b.big
}

// releaseBig gives the big buffer back; call it only with nothing buffered.
func (b *Reader) releaseBig() {
	if b.big == nil {
		return
	}
	if b.size == DefaultBufferSize {
		pool.Put(b.big)
	}
	b.big, b.buf = nil, nil
	b.r, b.w = 0, 0
}

func (b *Reader) takeErr() error {
	err := b.err
	b.err = nil
	return err
}

// ReadByte reads one byte, as bufio's.
func (b *Reader) ReadByte() (byte, error) {
	for b.r == b.w {
		if b.err != nil {
			return 0, b.takeErr()
		}
		b.fill(true)
	}
	c := b.buf[b.r]
	b.r++
	return c, nil
}

// UnreadByte puts back the byte the last ReadByte read; it works only
// straight after ReadByte (bufio's can fail the same way).
func (b *Reader) UnreadByte() error {
	if b.r == 0 {
		return bufio.ErrInvalidUnreadByte
	}
	b.r--
	return nil
}

// Peek returns the next n bytes without consuming them, valid until the
// next read, as bufio's: fewer with the reason if the stream ends first,
// and bufio.ErrBufferFull if n is more than the big buffer holds.
func (b *Reader) Peek(n int) ([]byte, error) {
	if n < 0 {
		return nil, bufio.ErrNegativeCount
	}
	for b.w-b.r < n && b.w-b.r < b.size && b.err == nil {
		b.fill(true)
	}
	if n > b.size {
		return b.buf[b.r:b.w], bufio.ErrBufferFull
	}
	if avail := b.w - b.r; avail < n {
		return b.buf[b.r:b.w], b.takeErr()
	}
	return b.buf[b.r : b.r+n], nil
}

// Discard skips the next n bytes, as bufio's, and returns how many it
// skipped.
func (b *Reader) Discard(n int) (int, error) {
	if n < 0 {
		return 0, bufio.ErrNegativeCount
	}
	done := 0
	for {
		k := min(n-done, b.w-b.r)
		b.r += k
		done += k
		if done == n {
			return done, nil
		}
		if b.err != nil {
			return done, b.takeErr()
		}
		b.fill(true)
	}
}
