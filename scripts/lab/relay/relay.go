// Package relay is a recording TCP relay on 127.0.0.1: each connection it
// accepts is joined to a new connection to the target, and every byte
// that crosses, in either direction, is recorded (with the step of the
// session it crossed in) before it is passed on. Each direction is read
// to its end, so bytes a peer sends after the other side has closed (a
// TLS close_notify, say) are counted too.
//
// What it records is the TCP payload each side sent: the figure a capture
// would show, without capturing.
package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Limits and timings.
const (
	// bufferSize is the most one read takes.
	bufferSize = 32 << 10
	// DialTimeout bounds the connection to the target.
	DialTimeout = 10 * time.Second
)

// Dir is the direction bytes travel.
type Dir uint8

// The two directions.
const (
	ClientToServer Dir = iota
	ServerToClient
)

func (d Dir) String() string {
	if d == ClientToServer {
		return "C→S"
	}
	return "S→C"
}

// Event is what one side sent during one step without the other side
// sending in between: some bytes, or the end of its stream (FIN).
type Event struct {
	Step int
	Dir  Dir
	Data []byte
	FIN  bool
}

// Flow is one relayed connection.
type Flow struct {
	// Client is the client's address as the relay saw it.
	Client string
	// Events are what crossed, in the order it crossed.
	Events []Event
	// Err is why the relay could not reach the target, if it could not.
	Err error

	done chan struct{}
	open int // directions still running
}

// Bytes returns how many bytes crossed in direction d.
func (f *Flow) Bytes(d Dir) int64 {
	var n int64
	for _, e := range f.Events {
		if e.Dir == d {
			n += int64(len(e.Data))
		}
	}
	return n
}

// Stream returns every byte that crossed in direction d, in order.
func (f *Flow) Stream(d Dir) []byte {
	var b []byte
	for _, e := range f.Events {
		if e.Dir == d {
			b = append(b, e.Data...)
		}
	}
	return b
}

// Relay accepts connections and relays each to the target.
type Relay struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup

	mu      sync.Mutex
	step    int
	flows   []*Flow
	byAddr  map[string]*Flow
	conns   map[net.Conn]struct{}
	changed chan struct{} // closed and replaced when a flow starts or ends
	closed  bool
}

// Listen starts a relay to target on 127.0.0.1 (a free port).
func Listen(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("relay: listen: %w", err)
	}
	r := &Relay{
		target:  target,
		ln:      ln,
		byAddr:  make(map[string]*Flow),
		conns:   make(map[net.Conn]struct{}),
		changed: make(chan struct{}),
	}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is the address clients dial.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// SetStep labels what crosses from now on with step.
func (r *Relay) SetStep(step int) {
	r.mu.Lock()
	r.step = step
	r.mu.Unlock()
}

// Flows returns the flows, in the order they were accepted.
func (r *Relay) Flows() []*Flow {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Flow(nil), r.flows...)
}

// Flow returns the flow of the client at addr, or nil.
func (r *Relay) Flow(addr string) *Flow {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byAddr[addr]
}

// WaitDone waits until the flow of the client at addr has ended in both
// directions.
func (r *Relay) WaitDone(ctx context.Context, addr string) error {
	for {
		r.mu.Lock()
		f, closed, changed := r.byAddr[addr], r.closed, r.changed
		r.mu.Unlock()
		if f != nil {
			select {
			case <-f.done:
				return nil
			case <-ctx.Done():
				return fmt.Errorf("relay: waiting for %s to close: %w", addr, ctx.Err())
			}
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("relay: waiting for %s to connect: %w", addr, ctx.Err())
		}
	}
}

// Close stops accepting, closes every connection still open, and waits
// for every flow to end.
func (r *Relay) Close() error {
	err := r.ln.Close()
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close()
	}
	r.notifyLocked()
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Relay) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		r.wg.Add(1)
		go r.serve(c)
	}
}

// track registers conns to be closed by Close; it reports false once the
// relay is closed.
func (r *Relay) track(conns ...net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	for _, c := range conns {
		r.conns[c] = struct{}{}
	}
	return true
}

func (r *Relay) serve(client net.Conn) {
	defer r.wg.Done()
	f := &Flow{Client: client.RemoteAddr().String(), done: make(chan struct{}), open: 2}
	r.mu.Lock()
	r.flows = append(r.flows, f)
	r.byAddr[f.Client] = f
	r.notifyLocked()
	r.mu.Unlock()

	server, err := net.DialTimeout("tcp", r.target, DialTimeout)
	if err != nil {
		client.Close()
		r.mu.Lock()
		f.Err = fmt.Errorf("relay: dial %s: %w", r.target, err)
		f.open = 0
		close(f.done)
		r.notifyLocked()
		r.mu.Unlock()
		return
	}
	if !r.track(client, server) {
		client.Close()
		server.Close()
		return
	}
	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); r.pump(f, ClientToServer, client, server) }()
	go func() { defer pumps.Done(); r.pump(f, ServerToClient, server, client) }()
	pumps.Wait()
	client.Close()
	server.Close()
	r.mu.Lock()
	delete(r.conns, client)
	delete(r.conns, server)
	close(f.done)
	r.notifyLocked()
	r.mu.Unlock()
}

// pump copies src to dst until src ends, recording each read before
// passing it on. Once dst fails, what src sends is still read and
// recorded, and dropped.
func (r *Relay) pump(f *Flow, d Dir, src, dst net.Conn) {
	buf := make([]byte, bufferSize)
	dstOK := true
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.record(f, d, buf[:n], false)
			if dstOK {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					dstOK = false
				}
			}
		}
		if err != nil {
			// The end of the stream: a FIN, or a reset from a peer that
			// closed before reading everything (the bytes are counted
			// all the same). A relay being closed records nothing.
			if errors.Is(err, io.EOF) || !errors.Is(err, net.ErrClosed) {
				r.record(f, d, nil, true)
			}
			if tc, ok := dst.(interface{ CloseWrite() error }); ok {
				tc.CloseWrite()
			}
			return
		}
	}
}

// record appends what crossed to the flow: to the last event if it is of
// the same step and direction, else as a new event.
func (r *Relay) record(f *Flow, d Dir, data []byte, fin bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(f.Events); !fin && n > 0 {
		last := &f.Events[n-1]
		if last.Step == r.step && last.Dir == d && !last.FIN {
			last.Data = append(last.Data, data...)
			return
		}
	}
	f.Events = append(f.Events, Event{Step: r.step, Dir: d, Data: append([]byte(nil), data...), FIN: fin})
}
