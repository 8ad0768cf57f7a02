package wiretest

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/proto"
)

// Room is a hub with one room of members connected in memory, for
// measuring the fan-out path without the kernel: a sender's room message
// goes through the real session, hub and outboxes to every other member.
type Room struct {
	tb      testing.TB
	cfg     chatserver.Config
	hub     *chatserver.Hub
	members []*memConn // members[0] sends
	frame   []byte     // the room message the sender sends, encoded
	perMsg  int        // bytes each other member receives per message
	ackLen  int        // bytes of the sender's ROOM_MSG_ACK
	sent    int        // messages sent so far
	base    []int64    // bytes each member had received before the first message
}

// NewRoom logs members in to a new hub running cfg and waits until each
// has received its log-in and the others' arrivals.
func NewRoom(tb testing.TB, cfg chatserver.Config, members int) *Room {
	tb.Helper()
	if cfg.QueueBytes == 0 {
		cfg.QueueBytes = 64 << 20
	}
	if cfg.NoticeBatch == 0 {
		cfg.NoticeBatch = -1 // each arrival announced alone, as counted below
	}
	r := &Room{tb: tb, cfg: cfg, hub: chatserver.NewHub(cfg)}
	text := "hello, everyone in the room"
	r.frame = r.encode(&proto.Message{Kind: proto.KindRoomMsg, Text: text}, proto.ClientToServer)
	r.perMsg = len(r.encode(&proto.Message{Kind: proto.KindRoomMsg, Room: proto.GeneralRoom, From: name(0), Text: text}, proto.ServerToClient))
	r.ackLen = len(r.encode(&proto.Message{Kind: proto.KindRoomMsgAck, Room: proto.GeneralRoom, Recipients: uint32(members - 1)}, proto.ServerToClient))

	setup := make([]int64, members)
	for i := range members {
		c := newMemConn()
		r.members = append(r.members, c)
		go r.hub.ServeConn(context.Background(), c)
		c.push(r.encode(&proto.Message{Kind: proto.KindLogin, Username: name(i)}, proto.ClientToServer))
		setup[i] += int64(len(r.encode(&proto.Message{Kind: proto.KindLoginAck, Username: name(i), Room: proto.GeneralRoom}, proto.ServerToClient)))
		joined := int64(len(r.encode(&proto.Message{Kind: proto.KindSystemMsg, Text: name(i) + " joined general"}, proto.ServerToClient)))
		for j := range i {
			setup[j] += joined
		}
		for j := range i + 1 {
			r.members[j].waitFor(tb, setup[j])
		}
	}
	r.base = setup
	tb.Cleanup(func() {
		for _, c := range r.members {
			c.Close()
		}
	})
	return r
}

func name(i int) string { return fmt.Sprintf("m%d", i) }

func (r *Room) encode(m *proto.Message, dir proto.Dir) []byte {
	b, err := r.cfg.Codec.Append(nil, m, dir)
	if err != nil {
		r.tb.Fatalf("encode %s: %v", m.Kind, err)
	}
	return b
}

// Broadcast sends one room message and waits until every other member has
// received it and the sender its ack.
func (r *Room) Broadcast() {
	r.Send(1, 1)
}

// Send sends n room messages, at most window of them unacknowledged at a
// time (as a publisher limited by ROOM_MSG_ACK), and waits until all are
// delivered.
func (r *Room) Send(n, window int) {
	sender := r.members[0]
	acked := func() int { return int((sender.written() - r.base[0]) / int64(r.ackLen)) }
	start := r.sent
	for i := range n {
		for r.sent-window >= acked() {
			sender.waitFor(r.tb, r.base[0]+int64(r.sent-window+1)*int64(r.ackLen))
		}
		sender.push(r.frame)
		r.sent = start + i + 1
	}
	sender.waitFor(r.tb, r.base[0]+int64(r.sent)*int64(r.ackLen))
	for i, c := range r.members[1:] {
		c.waitFor(r.tb, r.base[i+1]+int64(r.sent)*int64(r.perMsg))
	}
}

// Deliveries is how many room messages the room has delivered so far.
func (r *Room) Deliveries() int { return r.sent * (len(r.members) - 1) }

// memConn is an in-memory net.Conn: the test pushes what the server reads,
// and counts what the server writes.
type memConn struct {
	mu     sync.Mutex
	cond   *sync.Cond
	in     [][]byte
	closed bool
	nbytes int64 // written by the server
}

func newMemConn() *memConn {
	c := &memConn{}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *memConn) push(frame []byte) {
	c.mu.Lock()
	c.in = append(c.in, frame)
	c.mu.Unlock()
	c.cond.Broadcast()
}

func (c *memConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.in) == 0 && !c.closed {
		c.cond.Wait()
	}
	if c.closed {
		return 0, io.EOF
	}
	n := copy(p, c.in[0])
	if n == len(c.in[0]) {
		c.in = c.in[1:]
	} else {
		c.in[0] = c.in[0][n:]
	}
	return n, nil
}

func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.nbytes += int64(len(p))
	c.mu.Unlock()
	c.cond.Broadcast()
	return len(p), nil
}

func (c *memConn) written() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nbytes
}

// waitFor waits until the server has written at least n bytes to c.
func (c *memConn) waitFor(tb testing.TB, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nbytes >= n {
		return
	}
	timer := time.AfterFunc(time.Minute, func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cond.Broadcast()
	})
	defer timer.Stop()
	for c.nbytes < n && !c.closed {
		c.cond.Wait()
	}
	if c.nbytes < n {
		tb.Fatalf("the server wrote %d bytes, want %d", c.nbytes, n)
	}
}

func (c *memConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cond.Broadcast()
	return nil
}

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "memory" }

func (c *memConn) LocalAddr() net.Addr              { return memAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return memAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// BenchmarkFanOut measures a room of members: one publisher sends room
// messages with a window of 64 unacknowledged, and the hub delivers each
// to every other member. It reports deliveries per second; allocs/op is
// per message sent (not per delivery).
func BenchmarkFanOut(b *testing.B, codec proto.Codec, members int) {
	r := NewRoom(b, chatserver.Config{Codec: codec}, members)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	r.Send(b.N, 64)
	elapsed := time.Since(start)
	b.ReportMetric(float64(r.Deliveries())/elapsed.Seconds(), "deliveries/s")
}

// AllocsPerBroadcast measures the allocations of one room message
// delivered to every other member of a room of the given size.
func AllocsPerBroadcast(tb testing.TB, codec proto.Codec, members int) float64 {
	r := NewRoom(tb, chatserver.Config{Codec: codec}, members)
	r.Send(200, 1) // let queues and buffers reach their size
	return testing.AllocsPerRun(200, r.Broadcast)
}
