package outbox

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/bintest"
	"github.com/stretchr/testify/require"
)

// waitFor bounds every wait for an event. It is generous: it costs
// nothing when things are fast, and a loaded machine running the race
// detector can be slow.
const waitFor = 30 * time.Second

// tcpPair returns both ends of a real loopback TCP connection.
func tcpPair(t testing.TB) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	select {
	case server = <-accepted:
	case <-time.After(waitFor):
		t.Fatal("accept timed out")
	}
	require.NotNil(t, server)
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func waitDone(t *testing.T, o *Outbox) {
	t.Helper()
	select {
	case <-o.Done():
	case <-time.After(waitFor):
		t.Fatal("outbox did not close in time")
	}
}

func TestFramesArriveInOrderThenClose(t *testing.T) {
	server, client := tcpPair(t)
	o := New(server, Config{})
	var want bytes.Buffer
	for i := range 1000 {
		f := []byte{byte('a' + i%26), '\n'}
		want.Write(f)
		require.NoError(t, o.Send(f))
	}
	o.CloseAfterFlush()
	assert.ErrorIs(t, o.Send([]byte("late")), ErrClosed)

	client.SetReadDeadline(time.Now().Add(waitFor))
	got, err := io.ReadAll(client)
	require.NoError(t, err)
	assert.Equal(t, want.String(), string(got))
	waitDone(t, o)
	assert.NoError(t, o.Err())
}

// gatedConn blocks its first Write until released, and records every write.
type gatedConn struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	writes  []string
	closed  chan struct{}
	once    sync.Once
}

func newGatedConn() *gatedConn {
	return &gatedConn{entered: make(chan struct{}, 1), release: make(chan struct{}), closed: make(chan struct{})}
}

func (g *gatedConn) Write(p []byte) (int, error) {
	g.mu.Lock()
	first := len(g.writes) == 0
	g.writes = append(g.writes, string(p))
	g.mu.Unlock()
	if first {
		g.entered <- struct{}{}
		<-g.release
	}
	return len(p), nil
}

func (g *gatedConn) Close() error                     { g.once.Do(func() { close(g.closed) }); return nil }
func (g *gatedConn) SetWriteDeadline(time.Time) error { return nil }

func TestQueuedFramesAreCoalescedIntoOneWrite(t *testing.T) {
	g := newGatedConn()
	o := New(g, Config{})
	require.NoError(t, o.Send([]byte("one;")))
	<-g.entered // the writer is now busy with the first frame
	for _, f := range []string{"two;", "three;", "four;"} {
		require.NoError(t, o.Send([]byte(f)))
	}
	close(g.release)
	o.CloseAfterFlush()
	waitDone(t, o)
	assert.Equal(t, []string{"one;", "two;three;four;"}, g.writes)
}

func TestOnePerWrite(t *testing.T) {
	g := newGatedConn()
	o := New(g, Config{OnePerWrite: true})
	require.NoError(t, o.Send([]byte("one;")))
	<-g.entered
	for _, f := range []string{"two;", "three;"} {
		require.NoError(t, o.Send([]byte(f)))
	}
	close(g.release)
	o.CloseAfterFlush()
	waitDone(t, o)
	assert.Equal(t, []string{"one;", "two;", "three;"}, g.writes)
}

// A peer that never reads fills the kernel buffers and then the queue; the
// outbox cuts it off instead of blocking the sender.
func TestSlowConsumerIsCutOff(t *testing.T) {
	server, client := tcpPair(t)
	_ = client // never read
	o := New(server, Config{MaxBytes: 64 << 10})
	frame := bytes.Repeat([]byte("x"), 4096)
	deadline := time.Now().Add(waitFor)
	var err error
	for err == nil {
		require.True(t, time.Now().Before(deadline), "the queue never filled")
		err = o.Send(frame)
	}
	assert.ErrorIs(t, err, ErrSlowConsumer)
	waitDone(t, o)
	assert.ErrorIs(t, o.Err(), ErrSlowConsumer)
	assert.ErrorIs(t, o.Send(frame), ErrClosed)
}

// A peer that reads nothing for longer than the write time-out is cut off
// even when the queue stays within its bound. Small socket buffers fill
// with little data: how long that takes does not matter, only that the
// outbox then gives up on its own.
func TestWriteTimeout(t *testing.T) {
	server, client := tcpPair(t)
	require.NoError(t, server.(*net.TCPConn).SetWriteBuffer(4096))
	require.NoError(t, client.(*net.TCPConn).SetReadBuffer(4096))
	o := New(server, Config{MaxBytes: 1 << 30, WriteTimeout: 50 * time.Millisecond})
	frame := bytes.Repeat([]byte("x"), 64<<10)
	for range 64 { // 4 MiB: far more than the small buffers hold
		if o.Send(frame) != nil {
			break
		}
	}
	waitDone(t, o)
	assert.ErrorIs(t, o.Err(), os.ErrDeadlineExceeded)
}

func TestCloseDropsQueue(t *testing.T) {
	g := newGatedConn()
	o := New(g, Config{})
	require.NoError(t, o.Send([]byte("first")))
	<-g.entered
	require.NoError(t, o.Send([]byte("dropped")))
	reason := errors.New("kicked")
	o.Close(reason)
	close(g.release)
	waitDone(t, o)
	assert.ErrorIs(t, o.Err(), reason)
	assert.Equal(t, []string{"first"}, g.writes)
}

type discardConn struct{}

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) Close() error                     { return nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }

func (o *Outbox) pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queued
}

// BenchmarkSend measures the queue and writer themselves, against a
// connection that takes every byte at once.
func BenchmarkSend(b *testing.B) {
	o := New(discardConn{}, Config{MaxBytes: 64 << 20})
	frame := []byte(`{"type":"room_msg","room":"general","from":"alice","text":"hello there"}` + "\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	n := 0
	for b.Loop() {
		if err := o.Send(frame); err != nil {
			b.Fatal(err)
		}
		// Like a publisher with a window of unacknowledged messages, let
		// the writer catch up now and then.
		if n++; n%1024 == 0 {
			for o.pending() > 0 {
				runtime.Gosched()
			}
		}
	}
	o.CloseAfterFlush()
	<-o.Done()
}

// Sending to an idle outbox, which starts its writer, allocates nothing.
func TestSendDoesNotAllocate(t *testing.T) {
	if bintest.RaceEnabled() {
		t.Skip("allocation counts mean nothing under -race; make test runs this test in a pass without it")
	}
	o := New(discardConn{}, Config{})
	frame := []byte("frame")
	for range 100 { // let the queue and the write buffer reach their size
		o.Send(frame)
	}
	for o.pending() > 0 {
		runtime.Gosched()
	}
	allocs := testing.AllocsPerRun(1000, func() {
		o.Send(frame)
		for o.pending() > 0 || o.busy() {
			runtime.Gosched()
		}
	})
	assert.Zero(t, allocs)
}

func (o *Outbox) busy() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writing
}

// SendThen's callback runs once the frame is written, in order, and not
// for a frame that is dropped.
func TestSendThen(t *testing.T) {
	g := newGatedConn()
	o := New(g, Config{})
	var mu sync.Mutex
	var done []string
	note := func(s string) func() {
		return func() { mu.Lock(); done = append(done, s); mu.Unlock() }
	}
	require.NoError(t, o.SendThen([]byte("one;"), note("one")))
	<-g.entered
	require.NoError(t, o.Send([]byte("two;")))
	require.NoError(t, o.SendThen([]byte("three;"), note("three")))
	close(g.release)
	o.CloseAfterFlush()
	waitDone(t, o)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"one", "three"}, done)

	dropped := New(discardConn{}, Config{})
	dropped.Close(nil)
	assert.ErrorIs(t, dropped.SendThen([]byte("x"), func() { t.Error("called for a dropped frame") }), ErrClosed)
}

// A burst grows the queue; once the writer has drained it, an idle outbox
// keeps at most a small one.
func TestIdleOutboxLetsGoOfABurstsQueue(t *testing.T) {
	g := newGatedConn()
	o := New(g, Config{})
	require.NoError(t, o.Send([]byte("first;")))
	<-g.entered // the writer is busy: the burst piles up behind it
	for range 200 {
		require.NoError(t, o.Send([]byte("burst;")))
	}
	close(g.release)
	deadline := time.Now().Add(waitFor)
	for o.pending() > 0 || o.busy() {
		require.True(t, time.Now().Before(deadline), "the writer never finished")
		runtime.Gosched()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.queue != nil {
		assert.LessOrEqual(t, cap(o.queue.f), keepIdleQueue)
	}
	assert.Nil(t, o.spare)
}
