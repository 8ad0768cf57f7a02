// Package flow is per-connection inbound flow control, the "fake lag" of
// IRC servers: a token bucket that a session waits on before it handles
// each message it has read. While it waits it reads nothing more, so the
// connection's receive buffer fills and TCP slows the sender down: a
// client that floods slows only itself, and the others in its room are
// sent no more than they can read.
//
// A Bucket holds two allowances, messages and bytes, each refilled at its
// rate up to its burst. A message waits until there is one message token
// and as many byte tokens as its size (or the byte burst, if it is larger:
// the rest is a debt that the next messages pay), then takes them.
package flow

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// Defaults, those of ChatProto's servers (v1 to v4). A person chatting
// never comes near them; a script that sends flat out is held to about
// 128 messages of 4 KiB a second. What a flooder sends, its room's
// readers must read: N flooders together send each reader N times the
// rates, and N bursts at once must fit in the reader's queue of 1 MiB
// (outbox.DefaultMaxBytes), or it is cut off as a slow consumer. These
// let three flooders at once through to every ChatLab client, which reads
// far more than 1.5 MiB a second even built with -race.
const (
	// DefaultRate is the messages a second a connection may send
	// (--msg-rate).
	DefaultRate = 200
	// DefaultBurst is the messages it may send at once before DefaultRate
	// applies (--msg-burst).
	DefaultBurst = 400
	// DefaultByteRate is the bytes a second (--byte-rate): three flooders
	// send a reader 1.5 MiB a second, a small part of what our clients
	// read (docs/limits.md has the figures).
	DefaultByteRate = 512 << 10
	// DefaultByteBurst is the bytes at once (--byte-burst): a quarter of
	// a receiver's 1 MiB queue, so that three flooders bursting at once
	// fit in it; four JSON lines of the 64 KiB maximum. A larger message
	// (a binary frame of up to 1 MiB) still passes: it waits for the whole
	// burst, and the next messages pay the rest.
	DefaultByteBurst = 256 << 10
)

// Default is the limit of the defaults above.
var Default = Limit{Rate: DefaultRate, Burst: DefaultBurst, ByteRate: DefaultByteRate, ByteBurst: DefaultByteBurst}

// Limit is a connection's allowance.
type Limit struct {
	// Rate is messages per second; 0: no limit on messages.
	Rate float64
	// Burst is the messages that may come at once (0: Rate, and at least 1).
	Burst int
	// ByteRate is bytes per second; 0: no limit on bytes.
	ByteRate float64
	// ByteBurst is the bytes that may come at once (0: one second's worth,
	// and at least 1).
	ByteBurst int
}

func (l Limit) String() string {
	return fmt.Sprintf("%g messages/s (burst %d), %g bytes/s (burst %d)", l.Rate, l.Burst, l.ByteRate, l.ByteBurst)
}

// Bucket is one connection's allowance; safe for concurrent use. A nil
// *Bucket has no limit.
type Bucket struct {
	rate, byteRate   float64
	burst, byteBurst float64
	now              func() time.Time

	mu    sync.Mutex
	last  time.Time
	msgs  float64 // tokens; negative is a debt
	bytes float64
}

// New returns a bucket for l, full; nil if l limits nothing.
func New(l Limit) *Bucket {
	if l.Rate <= 0 && l.ByteRate <= 0 {
		return nil
	}
	b := &Bucket{now: time.Now}
	if l.Rate > 0 {
		b.rate = l.Rate
		b.burst = float64(max(l.Burst, 1))
		if l.Burst <= 0 {
			b.burst = max(math.Ceil(l.Rate), 1)
		}
	}
	if l.ByteRate > 0 {
		b.byteRate = l.ByteRate
		b.byteBurst = float64(max(l.ByteBurst, 1))
		if l.ByteBurst <= 0 {
			b.byteBurst = max(math.Ceil(l.ByteRate), 1)
		}
	}
	b.msgs, b.bytes = b.burst, b.byteBurst
	return b
}

// Wait blocks until a message of n bytes may be handled, and takes its
// tokens; it returns ctx's error if ctx ends first (the tokens are taken
// all the same). A nil Bucket never waits.
func (b *Bucket) Wait(ctx context.Context, n int) error {
	if b == nil {
		return nil
	}
	d := b.reserve(b.now(), n)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve takes the tokens of a message of n bytes at time now, and
// returns how long the message must wait for them.
func (b *Bucket) reserve(now time.Time, n int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		elapsed := now.Sub(b.last).Seconds()
		b.msgs = min(b.burst, b.msgs+elapsed*b.rate)
		b.bytes = min(b.byteBurst, b.bytes+elapsed*b.byteRate)
	}
	if now.After(b.last) {
		b.last = now
	}
	var wait float64 // seconds
	if b.rate > 0 {
		wait = max(wait, (1-b.msgs)/b.rate)
		b.msgs--
	}
	if b.byteRate > 0 {
		need := min(float64(n), b.byteBurst)
		wait = max(wait, (need-b.bytes)/b.byteRate)
		b.bytes -= float64(n)
	}
	return time.Duration(wait * float64(time.Second))
}

// ErrNegative is a flag's error for a value below zero.
var ErrNegative = errors.New("must be 0 (no limit) or more")

// AddFlags defines --msg-rate, --msg-burst, --byte-rate and --byte-burst
// on fs, with def's values as defaults (0: no limit), and returns a
// function that gives the limit they set, for after parsing.
func AddFlags(fs *flag.FlagSet, def Limit) func() Limit {
	l := def
	fs.Var((*nonNegative)(&l.Rate), "msg-rate", "`N` messages a second each client may send before the server slows its reading down (0: no limit)")
	fs.Var((*nonNegativeInt)(&l.Burst), "msg-burst", "`N` messages a client may send at once before --msg-rate applies")
	fs.Var((*nonNegative)(&l.ByteRate), "byte-rate", "`N` bytes a second each client may send before the server slows its reading down (0: no limit)")
	fs.Var((*nonNegativeInt)(&l.ByteBurst), "byte-burst", "`N` bytes a client may send at once before --byte-rate applies")
	return func() Limit { return l }
}

type nonNegative float64

func (v *nonNegative) String() string { return strconv.FormatFloat(float64(*v), 'f', -1, 64) }

func (v *nonNegative) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("not a number")
	}
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return ErrNegative
	}
	*v = nonNegative(f)
	return nil
}

type nonNegativeInt int

func (v *nonNegativeInt) String() string { return strconv.Itoa(int(*v)) }

func (v *nonNegativeInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < 0 {
		return ErrNegative
	}
	*v = nonNegativeInt(n)
	return nil
}
