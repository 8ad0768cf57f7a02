// Package outbox gives each connection a bounded outbound queue and a
// single writer that coalesces queued frames into as few writes as
// possible.
//
// Send never blocks: it appends the frame to the queue and, if no writer is
// running, starts one. The writer drains the queue in batches, copying each
// batch into one buffer and writing it with one call, and exits when the
// queue is empty, so an idle connection costs no goroutine. A peer that
// stops reading lets the queue grow; once it would pass its bound the
// outbox closes the connection and reports ErrSlowConsumer, so a slow
// reader never stalls the sender, its room or the registry.
//
// Frames are shared, read-only byte slices: a broadcast encodes a message
// once and sends the same slice to every recipient.
package outbox

import (
	"io"
	"sync"
	"time"
)

// Limits and timings.
const (
	// DefaultMaxBytes bounds the bytes queued for one connection and not
	// yet taken by its writer.
	DefaultMaxBytes = 1 << 20
	// DefaultWriteTimeout bounds one write to the socket. A peer that
	// takes longer to accept a batch is cut off.
	DefaultWriteTimeout = 10 * time.Second
	// maxPooledBuffer is the largest write buffer kept for reuse.
	maxPooledBuffer = 64 << 10
	// maxPooledQueue is the largest queue (in frames) kept for reuse.
	maxPooledQueue = 4096
	// keepIdleQueue is the largest queue an idle outbox keeps for its next
	// burst, most often of one frame, instead of giving it back to the pool.
	keepIdleQueue = 4
	// deadlineSlack is the part of the write timeout a deadline may have
	// used up before the writer sets a new one. Setting a deadline arms a
	// runtime timer: doing it at every write costs more than the check.
	deadlineSlack = 10
)

// Conn is what an outbox writes to: a net.Conn or a *tls.Conn.
type Conn interface {
	io.WriteCloser
	SetWriteDeadline(t time.Time) error
}

// Config tunes an outbox; zero fields take the defaults.
type Config struct {
	MaxBytes     int
	WriteTimeout time.Duration
	// OnePerWrite writes each frame with a write of its own instead of
	// coalescing the queue. It costs system calls; it helps peers that
	// read a message per recv() (the original ClassChat clients).
	OnePerWrite bool
	// Gap, with OnePerWrite, pauses between the writes of frames queued
	// together, so that such a peer's recv() gets one at a time. The
	// pause is the writer's: senders never wait for it.
	Gap time.Duration
}

// Outbox is the outbound side of one connection.
type Outbox struct {
	conn         Conn
	maxBytes     int
	writeTimeout time.Duration
	onePerWrite  bool
	gap          time.Duration
	done         chan struct{}
	// writeFn is o.write, made once: `go o.write()` would allocate a
	// closure at every start of the writer, that is per delivery when
	// the queue runs dry between messages.
	writeFn func()

	mu       sync.Mutex
	queue    *frames        // nil while idle
	spare    *frames        // the previous batch's, for the next
	then     map[int]func() // SendThen's callbacks, by position in queue
	queued   int            // bytes in queue
	writing  bool           // a writer goroutine is running
	draining bool           // closed to new frames; close the conn once drained
	closed   bool           // conn closed (or closing)
	err      error          // why it closed

	// deadline is the connection's write deadline. Only the writer (one
	// at a time, handed over under mu) uses it.
	deadline time.Time
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// frames holds a queue of frames. An outbox takes one from framesPool
// when a burst begins and gives it back once its writer has drained it:
// a burst of announcements can grow a queue to hundreds of entries, and
// an idle connection should keep none of it, while a busy one should not
// allocate a queue per burst.
type frames struct{ f [][]byte }

var framesPool = sync.Pool{New: func() any { return &frames{f: make([][]byte, 0, keepIdleQueue)} }}

// release gives q back to the pool, emptied.
func (q *frames) release() {
	if q == nil || cap(q.f) > maxPooledQueue {
		return
	}
	clear(q.f)
	q.f = q.f[:0]
	framesPool.Put(q)
}

// New returns an outbox that writes to conn.
func New(conn Conn, cfg Config) *Outbox {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	o := &Outbox{
		conn:         conn,
		maxBytes:     cfg.MaxBytes,
		writeTimeout: cfg.WriteTimeout,
		onePerWrite:  cfg.OnePerWrite,
		gap:          cfg.Gap,
		done:         make(chan struct{}),
	}
	o.writeFn = o.write
	return o
}

// Send queues frame for writing and returns at once. The outbox keeps the
// slice until it is written: the caller must not change it. If the frame
// does not fit within the queue's bound the connection is closed and Send
// returns ErrSlowConsumer; after the outbox is closed it returns ErrClosed.
func (o *Outbox) Send(frame []byte) error {
	return o.send(frame, nil)
}

func (o *Outbox) send(frame []byte, written func()) error {
	o.mu.Lock()
	if o.draining || o.closed {
		o.mu.Unlock()
		return ErrClosed
	}
	if o.queued+len(frame) > o.maxBytes {
		o.closeLocked(ErrSlowConsumer)
		o.mu.Unlock()
		return ErrSlowConsumer
	}
	if written != nil {
		if o.then == nil {
			o.then = make(map[int]func())
		}
		o.then[o.queue.len()] = written
	}
	if o.queue == nil {
		o.queue = framesPool.Get().(*frames)
	}
	o.queue.f = append(o.queue.f, frame)
	o.queued += len(frame)
	if !o.writing {
		o.writing = true
		go o.writeFn()
	}
	o.mu.Unlock()
	return nil
}

// SendThen is Send, and calls written (on the writer's goroutine) once the
// frame has been written to the connection. written is not called if the
// frame is dropped or its write fails: what must not be lost until it was
// written (an offline message) can wait for it.
func (o *Outbox) SendThen(frame []byte, written func()) error {
	return o.send(frame, written)
}

// CloseAfterFlush refuses further frames, writes what is queued, then
// closes the connection. It returns at once; Done tells when it is over.
func (o *Outbox) CloseAfterFlush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.draining || o.closed {
		return
	}
	o.draining = true
	if !o.writing {
		o.closeLocked(nil)
	}
}

// Close drops anything queued and closes the connection now, with reason
// (which may be nil) as the outbox's error.
func (o *Outbox) Close(reason error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closeLocked(reason)
}

// Done is closed once the connection has been closed.
func (o *Outbox) Done() <-chan struct{} { return o.done }

// Err reports why the outbox closed: ErrSlowConsumer, a write error, the
// reason given to Close, or nil for an orderly close.
func (o *Outbox) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

func (o *Outbox) closeLocked(reason error) {
	if o.closed {
		return
	}
	o.closed = true
	o.err = reason
	o.queue, o.spare, o.queued, o.then = nil, nil, 0, nil
	// Close outside the lock and off the caller's goroutine: closing a TLS
	// connection may try to write an alert, and Send must never block.
	go func() {
		o.conn.Close()
		close(o.done)
	}()
}

// write is the writer goroutine: it drains the queue batch by batch and
// exits when the queue is empty.
func (o *Outbox) write() {
	var bufp *[]byte // taken from bufPool when a batch has several frames
	defer func() {
		if bufp != nil && cap(*bufp) <= maxPooledBuffer {
			bufPool.Put(bufp)
		}
	}()
	for {
		o.mu.Lock()
		if o.closed || o.queue.len() == 0 {
			o.writing = false
			if o.draining {
				o.closeLocked(nil)
			}
			if o.queue != nil && cap(o.queue.f) > keepIdleQueue {
				o.queue.release()
				o.queue = nil
			}
			o.spare.release()
			o.spare = nil
			o.mu.Unlock()
			return
		}
		queue, then := o.queue, o.then
		o.queue, o.spare, o.then = o.spare, nil, nil
		o.queued = 0
		o.mu.Unlock()
		batch := queue.f

		var err error
		if o.onePerWrite {
			for i, f := range batch {
				if i > 0 && o.gap > 0 {
					time.Sleep(o.gap)
				}
				o.setDeadline()
				if _, err = o.conn.Write(f); err != nil {
					break
				}
				if done := then[i]; done != nil {
					done()
				}
			}
		} else {
			out := batch[0]
			if len(batch) > 1 {
				if bufp == nil {
					bufp = bufPool.Get().(*[]byte)
				}
				buf := (*bufp)[:0]
				for _, f := range batch {
					buf = append(buf, f...)
				}
				*bufp = buf
				out = buf
			}
			o.setDeadline()
			_, err = o.conn.Write(out)
		}
		if err == nil && !o.onePerWrite {
			for i := range len(batch) {
				if done := then[i]; done != nil {
					done()
				}
			}
		}
		clear(batch)
		queue.f = batch[:0]

		o.mu.Lock()
		if !o.closed && o.spare == nil {
			o.spare = queue
		} else {
			queue.release()
		}
		if err != nil {
			o.writing = false
			o.closeLocked(err)
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
	}
}

// setDeadline gives the next write at least all but a tenth of the write
// timeout, setting a new deadline only when the last one has used up
// more than that. Only the writer calls it.
func (o *Outbox) setDeadline() {
	now := time.Now()
	if o.deadline.Sub(now) >= o.writeTimeout-o.writeTimeout/deadlineSlack {
		return
	}
	o.deadline = now.Add(o.writeTimeout)
	o.conn.SetWriteDeadline(o.deadline)
}

func (q *frames) len() int {
	if q == nil {
		return 0
	}
	return len(q.f)
}
