package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitFor = 5 * time.Second

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return l
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// echo copies the connection back to itself until the client closes it or
// the server shuts down, when it says "bye" first.
func echo(ctx context.Context, conn net.Conn) {
	stop := context.AfterFunc(ctx, func() {
		conn.Write([]byte("bye"))
		conn.Close()
	})
	defer stop()
	io.Copy(conn, conn)
}

func TestServeAndGracefulShutdown(t *testing.T) {
	s := New(HandlerFunc(echo), quietLogger())
	hookRan := make(chan struct{})
	s.RegisterOnShutdown(func() { close(hookRan) })
	l := listen(t)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()

	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitFor))
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))

	require.NoError(t, s.Shutdown(context.Background()))
	recv(t, hookRan, "the shutdown hook")
	rest, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "bye", string(rest), "the client is told before it is closed")
	assert.ErrorIs(t, recv(t, served, "Serve to return"), ErrServerClosed)
	assert.ErrorIs(t, s.Serve(listen(t)), ErrServerClosed, "Serve after Shutdown")
	_, err = net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "the listener is closed")
}

// A handler that ignores the shutdown is cut off when the grace period ends.
func TestShutdownForcesStubbornConnections(t *testing.T) {
	started := make(chan struct{})
	s := New(HandlerFunc(func(_ context.Context, conn net.Conn) {
		close(started)
		io.Copy(io.Discard, conn)
	}), quietLogger())
	l := listen(t)
	go s.Serve(l)
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	recv(t, started, "the handler to start")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.Shutdown(ctx), context.DeadlineExceeded)
	c.SetReadDeadline(time.Now().Add(waitFor))
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the server closed the connection")
}

// flakyListener fails its first Accepts with a temporary error.
type flakyListener struct {
	net.Listener
	failures int
	err      error
}

func (f *flakyListener) Accept() (net.Conn, error) {
	if f.failures > 0 {
		f.failures--
		return nil, f.err
	}
	return f.Listener.Accept()
}

func TestAcceptBacksOffOnTemporaryErrors(t *testing.T) {
	got := make(chan net.Conn, 1)
	s := New(HandlerFunc(func(_ context.Context, conn net.Conn) { got <- conn }), quietLogger())
	l := &flakyListener{Listener: listen(t), failures: 3, err: &net.OpError{Op: "accept", Err: syscall.EMFILE}}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	recv(t, got, "the connection after the failed accepts")
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v on a temporary error", err)
	default:
	}
}

func TestAcceptFailsOnPermanentError(t *testing.T) {
	s := New(HandlerFunc(func(context.Context, net.Conn) {}), quietLogger())
	boom := errors.New("boom")
	l := &flakyListener{Listener: listen(t), failures: 1, err: boom}
	assert.ErrorIs(t, s.Serve(l), boom)
}
