// Package chattest is the wire-level test harness every stage shares. It
// starts a stage's server in-process on 127.0.0.1:0, dials scripted
// clients that speak the stage's encoding, and waits for messages with a
// deadline (never sleep-and-hope). Everything is cleaned up with t.Cleanup.
//
//	addr := chattest.Start(t, srv)
//	alice := chattest.Dial(t, addr, codec)
//	alice.Send(loginMsg)
//	got := alice.Next() // the next message, or the test fails after Timeout
package chattest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"chatlab/shared/server"
)

// Timeout is how long an expectation waits before the test fails.
const Timeout = 5 * time.Second

// Start serves srv on 127.0.0.1:0 and returns its address. At cleanup it
// shuts the server down and checks that Serve ended with ErrServerClosed.
func Start(t testing.TB, srv *server.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

// T is what a scripted client needs of whoever drives it: a *testing.T in
// a test, or one check of the lab kit's grader.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Codec is how a scripted client speaks a stage's encoding.
type Codec[M any] struct {
	// Encode returns the bytes of one message as the client sends it.
	Encode func(M) ([]byte, error)
	// NewDecoder returns a function that reads the next message the
	// server sent.
	NewDecoder func(io.Reader) func() (M, error)
	// Format renders a message for failure reports; nil uses %+v.
	Format func(M) string
}

type result[M any] struct {
	msg M
	err error
}

// Conn is a scripted client: a real TCP connection whose incoming
// messages are decoded by a background reader.
type Conn[M any] struct {
	t     T
	Raw   net.Conn // the connection, for raw writes and half-closes
	codec Codec[M]
	in    chan result[M]
	ended error // set once the reader's final error was taken
}

// Dial connects a scripted client to addr.
func Dial[M any](t T, addr string, codec Codec[M]) *Conn[M] {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, Timeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { raw.Close() })
	return Wrap(t, raw, codec)
}

// Wrap makes a scripted client of an established connection (a TLS one,
// say).
func Wrap[M any](t T, raw net.Conn, codec Codec[M]) *Conn[M] {
	c := &Conn[M]{t: t, Raw: raw, codec: codec, in: make(chan result[M], 4096)}
	next := codec.NewDecoder(raw)
	go func() {
		defer close(c.in)
		for {
			m, err := next()
			if err != nil {
				c.in <- result[M]{err: err}
				return
			}
			c.in <- result[M]{msg: m}
		}
	}()
	return c
}

func (c *Conn[M]) format(m M) string {
	if c.codec.Format != nil {
		return c.codec.Format(m)
	}
	return fmt.Sprintf("%+v", m)
}

// Send encodes and writes m, failing the test if it cannot.
func (c *Conn[M]) Send(m M) {
	c.t.Helper()
	b, err := c.codec.Encode(m)
	if err != nil {
		c.t.Fatalf("encode %s: %v", c.format(m), err)
	}
	c.SendRaw(b)
}

// SendRaw writes b as it is.
func (c *Conn[M]) SendRaw(b []byte) {
	c.t.Helper()
	c.Raw.SetWriteDeadline(time.Now().Add(Timeout))
	if _, err := c.Raw.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// TryNext returns the next message, or the error that ended the stream,
// waiting at most Timeout.
func (c *Conn[M]) TryNext() (M, error) {
	var zero M
	if c.ended != nil {
		return zero, c.ended
	}
	select {
	case r, ok := <-c.in:
		if !ok {
			return zero, c.ended
		}
		if r.err != nil {
			c.ended = r.err
		}
		return r.msg, r.err
	case <-time.After(Timeout):
		return zero, fmt.Errorf("no message within %v", Timeout)
	}
}

// Next returns the next message, failing the test if none arrives in time
// or the connection ends.
func (c *Conn[M]) Next() M {
	c.t.Helper()
	m, err := c.TryNext()
	if err != nil {
		c.t.Fatalf("waiting for a message: %v", err)
	}
	return m
}

// Expect skips messages until one matches, and returns it. It fails the
// test, listing what it skipped, if none arrives in time.
func (c *Conn[M]) Expect(what string, match func(M) bool) M {
	c.t.Helper()
	var skipped []string
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		m, err := c.TryNext()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v (skipped %v)", what, err, skipped)
		}
		if match(m) {
			return m
		}
		skipped = append(skipped, c.format(m))
	}
	c.t.Fatalf("no %s within %v (skipped %v)", what, Timeout, skipped)
	panic("unreachable")
}

// ExpectClosed waits for the server to close the connection and returns
// any messages that came before the end. It fails the test if the
// connection stays open past Timeout.
func (c *Conn[M]) ExpectClosed() []M {
	c.t.Helper()
	var got []M
	for {
		m, err := c.TryNext()
		if err == nil {
			got = append(got, m)
			continue
		}
		if isClosed(err) {
			return got
		}
		c.t.Fatalf("waiting for the server to close: %v (got %d messages first)", err, len(got))
	}
}

// isClosed reports whether err is how a stream ends when the peer closes:
// EOF, a reset, or a decoder's unexpected EOF.
func isClosed(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || isReset(err)
}
