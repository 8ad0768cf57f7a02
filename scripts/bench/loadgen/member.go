package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Sizes and timings of the generator's clients.
const (
	dialTimeout = 10 * time.Second
	// loginTimeout bounds a client's log-in and join, the handshake
	// included.
	loginTimeout = 30 * time.Second
	// writeTimeout cuts a publisher off a server that stops reading.
	writeTimeout = 10 * time.Second
	// loadBuffer is the read buffer of a member of a measured room: large,
	// so that one read takes whatever the server has coalesced.
	loadBuffer = 64 << 10
	// idleBuffer is an idle client's read buffer; it grows if a message
	// needs more.
	idleBuffer = 512
	maxBuffer  = 64 << 20
	// Latencies are recorded in microseconds, from 1 µs to a minute, to
	// three significant digits.
	histMin, histMax, histDigits = 1, 60_000_000, 3
)

// Measured phases of a run: the steady state, and (with a slow consumer)
// the time while one member does not read.
const (
	phaseSteady = iota
	phaseSlow
	nPhases
)

// phases holds when each measured phase starts, and when the last ends,
// on the generator's clock. A reader finds the phase of what it reads by
// its arrival time; outside them (warm-up, drain) nothing is measured.
type phases struct {
	at [nPhases + 1]atomic.Int64
}

func newPhases() *phases {
	p := &phases{}
	for i := range p.at {
		p.at[i].Store(math.MaxInt64)
	}
	return p
}

// of returns the phase t falls in, or -1.
func (p *phases) of(t int64) int {
	if t < p.at[0].Load() {
		return -1
	}
	for i := range nPhases {
		if t < p.at[i+1].Load() {
			return i
		}
	}
	return -1
}

// target is a running server, as its clients reach it.
type target struct {
	stage Stage
	addr  string
	tls   *tls.Config // nil for plain TCP
}

// ctlEvent is an event a client's setup waits for.
type ctlEvent struct {
	kind evKind
	text string
}

// member is one client of the generator: a connection, and whoever reads
// it once it is logged in (a goroutine of its own, or the room's reactor).
// A member of a measured room counts and times what it receives; a
// publisher also sends.
type member struct {
	id   int
	name string
	conn net.Conn
	d    Dialect
	ctl  chan ctlEvent

	ph  *phases    // nil for an idle client
	pub *publisher // nil unless it publishes

	// The read buffer holds n bytes not yet handled; only the reader
	// uses it.
	buf []byte
	n   int
	fd  int // the socket, for the reactor

	done     chan struct{} // closed once reading has ended
	doneOnce sync.Once
	err      error        // why reading ended; set before done is closed
	ended    atomic.Int64 // when reading ended, on the generator's clock

	// Only the reader writes these until done is closed.
	hist     [nPhases]*hdrhistogram.Histogram
	count    [nPhases]uint64
	perPub   []uint64 // load messages received, by publisher
	lastSeq  []uint64
	disorder uint64 // load messages out of order, or twice
	foreign  uint64 // deliveries that are not load messages
	total    atomic.Uint64

	reactor   *reactor // nil for a member read by its own goroutine
	closeOnce sync.Once
	paused    atomic.Bool
	resume    chan struct{}
}

// memberOpts describe how a client joins.
type memberOpts struct {
	room    string // the room or group to enter; "" for none
	create  bool   // create the group (ClassChat)
	ph      *phases
	pubs    int // publishers of the measured room
	rcvBuf  int // SO_RCVBUF, if not 0: a small one makes a slow consumer
	bufSize int
	// reactor, if set, reads the member once it is in (plain TCP only).
	reactor *reactor
}

// dial connects to t, runs the TLS handshake if t has TLS, logs in as
// name and enters opts.room, and returns the member once the server has
// answered both and someone reads it.
func dial(ctx context.Context, t *target, id int, name string, opts memberOpts) (*member, error) {
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	d := net.Dialer{Timeout: dialTimeout}
	if opts.rcvBuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, opts.rcvBuf)
			})
			return errors.Join(err, serr)
		}
	}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if t.tls != nil {
		tc := tls.Client(conn, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	size := opts.bufSize
	if size == 0 {
		size = idleBuffer
	}
	m := &member{id: id, name: name, conn: conn, d: t.stage.Dialect, ph: opts.ph, buf: make([]byte, size),
		ctl: make(chan ctlEvent, 8), done: make(chan struct{}), resume: make(chan struct{})}
	if opts.ph != nil {
		for i := range m.hist {
			m.hist[i] = hdrhistogram.New(histMin, histMax, histDigits)
		}
		m.perPub = make([]uint64, opts.pubs)
		m.lastSeq = make([]uint64, opts.pubs)
	}
	if err := m.setup(ctx, opts); err != nil {
		conn.Close()
		return nil, err
	}
	if opts.reactor != nil && t.tls == nil {
		if err := opts.reactor.add(m); err != nil {
			conn.Close()
			return nil, err
		}
	} else {
		go m.read()
	}
	return m, nil
}

// setup logs in and enters the room, reading the answers itself: no one
// else reads the member yet.
func (m *member) setup(ctx context.Context, opts memberOpts) error {
	deadline, _ := ctx.Deadline()
	m.conn.SetDeadline(deadline)
	defer m.conn.SetDeadline(time.Time{})
	if g := m.d.Greeting(); g != "" {
		buf := make([]byte, len(g))
		if _, err := io.ReadFull(m.conn, buf); err != nil || string(buf) != g {
			return fmt.Errorf("%w: greeting %q, want %q (%v)", ErrBadStream, buf, g, err)
		}
	}
	out := m.d.Login(nil, m.name)
	if opts.room != "" {
		out = m.d.Enter(out, opts.room, opts.create)
	}
	if _, err := m.conn.Write(out); err != nil {
		return err
	}
	want := []evKind{evLoggedIn}
	if opts.room != "" {
		want = append(want, evJoined)
	}
	for len(want) > 0 {
		select {
		case e := <-m.ctl:
			switch e.kind {
			case want[0]:
				want = want[1:]
			case evRejected, evError:
				return fmt.Errorf("%s: %w: %s", m.name, ErrRefused, e.text)
			}
			continue
		default:
		}
		if err := m.readOnce(now()); err != nil {
			return fmt.Errorf("%s logging in: %w", m.name, err)
		}
	}
	return nil
}

// readOnce reads what the kernel has (waiting if it has nothing), and
// handles every whole message, as arrived at time t (or now, if t is 0).
func (m *member) readOnce(t int64) error {
	k, err := m.conn.Read(m.buf[m.n:])
	if t == 0 {
		t = now()
	}
	if perr := m.consume(k, t); perr != nil {
		return perr
	}
	return err
}

// consume handles the k bytes just read into the buffer, and keeps the
// rest of a message cut short.
func (m *member) consume(k int, t int64) error {
	m.n += k
	off := 0
	for off < m.n {
		ev, size, err := m.d.Next(m.buf[off:m.n])
		if err != nil {
			return err
		}
		if size == 0 {
			break
		}
		m.handle(ev, t)
		off += size
	}
	m.n = copy(m.buf, m.buf[off:m.n])
	if m.n == len(m.buf) {
		if len(m.buf) >= maxBuffer {
			return fmt.Errorf("%w: a message of more than %d bytes", ErrBadStream, maxBuffer)
		}
		m.buf = append(m.buf, make([]byte, len(m.buf))...)
	}
	return nil
}

// read is the reading goroutine of a member the reactor does not read.
func (m *member) read() {
	for {
		if err := m.readOnce(0); err != nil {
			m.end(err)
			return
		}
		if m.paused.Load() {
			<-m.resume
		}
	}
}

// write sends b to the server, within writeTimeout.
func (m *member) write(b []byte) error {
	if m.reactor != nil {
		return m.reactor.write(m, b)
	}
	m.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := m.conn.Write(b)
	return err
}

// end records why reading ended and closes done.
func (m *member) end(err error) {
	m.doneOnce.Do(func() {
		m.ended.Store(now())
		m.err = err
		close(m.done)
	})
}

// handle takes one message that arrived at time t.
func (m *member) handle(ev event, t int64) {
	switch ev.kind {
	case evDelivery:
		m.total.Add(1)
		pub, seq, sent, ok := parseText(ev.text)
		if !ok || m.ph == nil || pub >= len(m.perPub) {
			m.foreign++
			return
		}
		m.perPub[pub]++
		if seq <= m.lastSeq[pub] { // a gap is a loss, or a message meant for another (direct messages)
			m.disorder++
		}
		m.lastSeq[pub] = seq
		if i := m.ph.of(t); i >= 0 {
			m.count[i]++
			m.hist[i].RecordValue(max(histMin, (t-sent)/1000))
		}
	case evAck:
		if m.pub != nil {
			m.pub.acked(ev.n)
		}
	case evError:
		if m.pub != nil && m.pub.running.Load() {
			m.pub.refused(string(ev.text))
			return
		}
		m.control(ev)
	case evOther:
	default:
		m.control(ev)
	}
}

// control passes an event to whoever waits for one (setup), if there is
// room.
func (m *member) control(ev event) {
	select {
	case m.ctl <- ctlEvent{kind: ev.kind, text: string(ev.text)}:
	default:
	}
}

// pause stops the member reading: what the server sends it piles up in
// the kernel's buffers and then in the server's queue.
func (m *member) pause() {
	m.paused.Store(true)
	if m.reactor != nil {
		m.reactor.remove(m)
	}
}

// unpause lets a paused member read again.
func (m *member) unpause() {
	if !m.paused.CompareAndSwap(true, false) {
		return
	}
	if m.reactor != nil {
		if err := m.reactor.readd(m); err != nil {
			m.end(err)
		}
		return
	}
	close(m.resume)
}

// alive reports whether the member's connection is still being read.
func (m *member) alive() bool {
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// close closes the connection and waits until reading has ended. A
// member the reactor reads is closed only once the reactor has stopped.
func (m *member) close() {
	if m.reactor != nil {
		m.reactor.stop()
		m.closeOnce.Do(func() { syscall.Close(m.fd) })
		m.end(net.ErrClosed)
		return
	}
	m.conn.Close()
	m.unpause()
	<-m.done
}
