package wiretest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/proto"
	"chatlab/shared/flow"
)

// Room sizes BenchmarkJoin compares.
const (
	joinSmallRoom = 100
	joinBigRoom   = 10_000
)

// BenchmarkJoin measures what it costs the hub to let one user into
// general and out again, in a room of 100 members and in one of 10 000,
// side by side in the same run: a mover, alone in a room of its own,
// sends JOIN_ROOM general and waits for the reply, then JOIN_ROOM back.
// It reports the time of one join and leave in each room and their
// ratio, which is 1 when neither depends on the room's size.
//
// The rooms gather their notices (they are above the default
// threshold): the mover's join and leave are announced together at the
// end of the interval, where they cancel out. What the notice of an
// interval costs (one SYSTEM_MSG to each member) is paid once an
// interval, whatever the number of joins in it.
func BenchmarkJoin(b *testing.B, codec proto.Codec) {
	small := newJoinBench(b, codec, joinSmallRoom)
	big := newJoinBench(b, codec, joinBigRoom)
	b.ResetTimer()
	var tSmall, tBig time.Duration
	for i := range b.N {
		if i%2 == 0 {
			tSmall += small.cycle()
			tBig += big.cycle()
		} else {
			tBig += big.cycle()
			tSmall += small.cycle()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(tSmall.Nanoseconds())/float64(b.N), fmt.Sprintf("ns/join-%d", joinSmallRoom))
	b.ReportMetric(float64(tBig.Nanoseconds())/float64(b.N), fmt.Sprintf("ns/join-%d", joinBigRoom))
	b.ReportMetric(float64(tBig)/float64(tSmall), "ratio")
}

// joinBench is a hub whose general holds members, and a mover that
// comes and goes.
type joinBench struct {
	tb     testing.TB
	mover  *replyConn
	dec    proto.Decoder
	toRoom [2][]byte // JOIN_ROOM general, JOIN_ROOM the mover's own room
}

func newJoinBench(tb testing.TB, codec proto.Codec, members int) *joinBench {
	tb.Helper()
	// No flow control: the mover sends two messages a cycle, as fast as
	// the hub answers.
	hub := chatserver.NewHub(chatserver.Config{Codec: codec, MaxUsers: members + 1, QueueBytes: 64 << 20, Flow: &flow.Limit{}})
	encode := func(m *proto.Message, dir proto.Dir) []byte {
		b, err := codec.Append(nil, m, dir)
		if err != nil {
			tb.Fatalf("encode %s: %v", m.Kind, err)
		}
		return b
	}
	conns := make([]*tailConn, members)
	for i := range members {
		c := &tailConn{memConn: newMemConn()}
		conns[i] = c
		go hub.ServeConn(context.Background(), c)
		c.push(encode(&proto.Message{Kind: proto.KindLogin, Username: name(i)}, proto.ClientToServer))
	}
	for i, c := range conns {
		c.waitFor(tb, int64(len(encode(&proto.Message{Kind: proto.KindLoginAck, Username: name(i), Room: proto.GeneralRoom}, proto.ServerToClient))))
	}
	mover := &replyConn{memConn: newMemConn()}
	go hub.ServeConn(context.Background(), mover)
	j := &joinBench{tb: tb, mover: mover, dec: codec.NewDecoder(mover.replies(), proto.ServerToClient)}
	tb.Cleanup(func() {
		mover.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	mover.push(encode(&proto.Message{Kind: proto.KindLogin, Username: "mover"}, proto.ClientToServer))
	j.await(proto.KindLoginAck, proto.GeneralRoom)
	// Settle: a room message from the mover sends what the room gathered
	// while everyone logged in, then itself; once every member has it,
	// the log-in wave is over.
	mover.push(encode(&proto.Message{Kind: proto.KindRoomMsg, Text: "settle"}, proto.ClientToServer))
	j.await(proto.KindRoomMsgAck, proto.GeneralRoom)
	last := encode(&proto.Message{Kind: proto.KindRoomMsg, Room: proto.GeneralRoom, From: "mover", Text: "settle"}, proto.ServerToClient)
	for _, c := range conns {
		c.waitForTail(tb, last)
	}
	runtime.GC()
	j.toRoom[0] = encode(&proto.Message{Kind: proto.KindJoinRoom, Room: proto.GeneralRoom}, proto.ClientToServer)
	j.toRoom[1] = encode(&proto.Message{Kind: proto.KindJoinRoom, Room: "elsewhere"}, proto.ClientToServer)
	mover.push(j.toRoom[1])
	j.await(proto.KindJoinRoom, "elsewhere")
	return j
}

// await skips messages (notices) until the reply of kind for room.
func (j *joinBench) await(kind proto.Kind, room string) {
	for {
		var m proto.Message
		if err := j.dec.Decode(&m); err != nil {
			j.tb.Fatalf("mover: waiting for %s: %v", kind, err)
		}
		if m.Kind == kind && m.Room == room {
			return
		}
	}
}

// cycle moves the mover into general and out again, and returns the time
// it took.
func (j *joinBench) cycle() time.Duration {
	start := time.Now()
	j.mover.push(j.toRoom[0])
	j.await(proto.KindJoinRoom, proto.GeneralRoom)
	j.mover.push(j.toRoom[1])
	j.await(proto.KindJoinRoom, "elsewhere")
	return time.Since(start)
}

// replyConn is a memConn that keeps what the server writes, for the
// test to read back.
type replyConn struct {
	*memConn
	out []byte // written by the server, not yet read back
}

func (c *replyConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out = append(c.out, p...)
	c.nbytes += int64(len(p))
	c.mu.Unlock()
	c.cond.Broadcast()
	return len(p), nil
}

// replies reads back what the server wrote, waiting for it (a minute at
// most).
func (c *replyConn) replies() io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.out) == 0 && !c.closed {
			timer := time.AfterFunc(time.Minute, func() { c.Close() })
			defer timer.Stop()
			for len(c.out) == 0 && !c.closed {
				c.cond.Wait()
			}
		}
		if len(c.out) == 0 {
			return 0, io.EOF
		}
		n := copy(p, c.out)
		c.out = c.out[:copy(c.out, c.out[n:])]
		return n, nil
	})
}

// tailConn is a memConn that keeps the end of the last write.
type tailConn struct {
	*memConn
	tail []byte
}

func (c *tailConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.tail = append(c.tail[:0], p[max(0, len(p)-256):]...)
	c.nbytes += int64(len(p))
	c.mu.Unlock()
	c.cond.Broadcast()
	return len(p), nil
}

// waitForTail waits until the last bytes the server wrote are suffix.
func (c *tailConn) waitForTail(tb testing.TB, suffix []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	timer := time.AfterFunc(time.Minute, func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cond.Broadcast()
	})
	defer timer.Stop()
	for !bytes.HasSuffix(c.tail, suffix) && !c.closed {
		c.cond.Wait()
	}
	if !bytes.HasSuffix(c.tail, suffix) {
		tb.Fatalf("a member never got the last message")
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
