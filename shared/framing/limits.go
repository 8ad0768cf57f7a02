package framing

import (
	"errors"
	"os"
	"sync/atomic"
	"time"
)

// DefaultFrameTimeout is the longest a message (a frame, a line, a JSON
// object) that has begun to span reads may go without a byte, and the
// head start of its average rate (see Limits). Servers set it with
// --frame-timeout.
const DefaultFrameTimeout = 30 * time.Second

// DefaultMinRate is the least average rate of a message in bytes per
// second, after its first DefaultFrameTimeout (see Limits.MinRate). A
// 10 MiB upload moving steadily at 16 KiB/s or faster finishes; a peer
// that sends one byte a second is closed after about 30 s, and one that
// sends 10 MiB at once and stops, 30 s after its last byte.
const DefaultMinRate = 16 << 10

// DefaultReadBudget is a server-wide budget of bytes held in partly read
// messages that suits the ChatProto servers, whose largest legitimate
// message is a few KiB: 64 MiB is 64 stalled maximum-size (1 MiB) frames
// of v3 at once. Servers set it with --read-budget (0: none).
const DefaultReadBudget = 64 << 20

// budgetFree is how much of a message its Reader reads before charging
// the rest to the budget: a message of up to this many bytes (any chat
// message) never touches the budget and is never refused for it. It is
// also what an idle Reader may hold of a pool buffer anyway.
const budgetFree = DefaultBufferSize

// Limits bound the time and the memory a message may take once it has
// begun to arrive. A Reader knows that a message is complete when its
// user next calls Wait (which LineReader.ReadLine and JSONReader.Next do
// themselves); a message has begun when a read is needed that is not the
// idle wait of Wait, that is when it spans reads.
type Limits struct {
	// FrameTimeout bounds a message once it has begun to span reads (0:
	// DefaultFrameTimeout; negative: no limit): it must keep moving, with
	// no more than FrameTimeout between two reads that bring bytes, and
	// it must average MinRate after its first FrameTimeout. That is, its
	// deadline is the earlier of
	//
	//	begun + FrameTimeout + received/MinRate
	//	last read that brought bytes + FrameTimeout
	//
	// so that a slow but steady upload finishes, while one that stalls
	// (however much it sent first) or dribbles does not. It is enforced
	// with the read deadline of the Reader's stream, if the stream has
	// one (a net.Conn, a *tls.Conn), which is moved at most every
	// min(FrameTimeout/10, 1 s): a message may be closed up to that much
	// after its deadline, never before. Between messages no deadline is
	// set, so an idle connection stays open indefinitely.
	FrameTimeout time.Duration
	// MinRate is the least average rate of a message in bytes per second
	// (0: DefaultMinRate; negative: none, the whole message must arrive
	// within FrameTimeout).
	MinRate int
	// Budget, if not nil, is the server-wide budget of bytes held in
	// partly read messages, shared by every Reader of a server. The bytes
	// of a message beyond its first 4 KiB are charged to it while the
	// message arrives, and given back when it is complete (or the Reader
	// fails, or Release is called). A read that would go on charging a
	// spent budget fails with ErrBusy.
	Budget *Budget
}

// ErrFrameTimeout is the error of a read that found its message not
// finished in time: stalled for Limits.FrameTimeout, or below
// Limits.MinRate.
var ErrFrameTimeout = errors.New("message not finished in time")

// ErrBusy is the error of a read refused because the server-wide budget
// of bytes held in partly read messages is spent.
var ErrBusy = errors.New("server busy: read budget spent")

// Budget is a count of bytes shared by the Readers of a server; safe for
// concurrent use.
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget returns a budget of max bytes, or nil (no budget) if max is 0
// or less.
func NewBudget(max int64) *Budget {
	if max <= 0 {
		return nil
	}
	return &Budget{max: max}
}

// Max returns the budget's size.
func (b *Budget) Max() int64 { return b.max }

// Used returns the bytes charged to the budget now.
func (b *Budget) Used() int64 { return b.used.Load() }

func (b *Budget) spent() bool { return b.used.Load() >= b.max }

// deadliner is a stream with a read deadline: a net.Conn, a *tls.Conn.
type deadliner interface {
	SetReadDeadline(t time.Time) error
}

// limiter is the state of a Reader with limits.
type limiter struct {
	timeout time.Duration // 0: none
	rate    int           // 0: none (the whole message within timeout)
	budget  *Budget
	dl      deadliner // nil: the stream has no deadline

	outer   time.Time // the deadline set with Reader.SetReadDeadline
	frame   time.Time // the message's deadline as last set; zero if none is set
	start   time.Time // when the message began to span reads; zero between messages
	last    time.Time // when the message last moved: the read after one that brought bytes began
	moved   bool      // the last read brought bytes
	got     int64     // bytes of the message read since it began
	charged int64     // of them, charged to the budget
}

// SetLimits bounds every message read from now on (see Limits). Call it
// before the first read. Once it is set, set a read deadline of your own
// (a time to log in, say) with the Reader's SetReadDeadline, not on the
// stream: the Reader keeps the earlier of it and the message's.
func (b *Reader) SetLimits(l Limits) {
	lim := &limiter{timeout: l.FrameTimeout, rate: l.MinRate, budget: l.Budget}
	if lim.timeout == 0 {
		lim.timeout = DefaultFrameTimeout
	}
	if lim.rate == 0 {
		lim.rate = DefaultMinRate
	}
	lim.timeout, lim.rate = max(lim.timeout, 0), max(lim.rate, 0)
	lim.dl, _ = b.rd.(deadliner)
	b.lim = lim
}

// SetReadDeadline sets a deadline for every read, as net.Conn's does, on
// the Reader's stream (an error if it has none). With limits set, a
// message's own deadline may come first; this one is kept all the same.
func (b *Reader) SetReadDeadline(t time.Time) error {
	l := b.lim
	if l == nil {
		dl, ok := b.rd.(deadliner)
		if !ok {
			return errNoDeadline
		}
		return dl.SetReadDeadline(t)
	}
	if l.dl == nil {
		return errNoDeadline
	}
	l.outer = t
	return l.dl.SetReadDeadline(l.effective())
}

var errNoDeadline = errors.New("framing: the stream has no read deadline")

// Release gives back what the message in progress holds of the budget.
// Call it when done with the Reader, for a session that ends on an error
// the Reader did not see (a line too long, say).
func (b *Reader) Release() {
	if b.lim != nil {
		b.lim.endMessage()
	}
}

// effective is the deadline the stream must have: the earlier of the
// message's and the outer one.
func (l *limiter) effective() time.Time {
	if l.frame.IsZero() || !l.outer.IsZero() && l.outer.Before(l.frame) {
		return l.outer
	}
	return l.frame
}

// endMessage forgets the message that was in progress and gives back its
// budget. Its deadline stays on the stream until the next read (idle) or
// the next message, so that back-to-back messages do not reset a timer
// each.
func (l *limiter) endMessage() {
	l.start, l.got, l.moved = time.Time{}, 0, false
	if l.charged != 0 {
		l.budget.used.Add(-l.charged)
		l.charged = 0
	}
}

// idle is called before a read that waits for a new message: the stream
// gets back the outer deadline (none, usually).
func (l *limiter) idle() {
	l.endMessage()
	if !l.frame.IsZero() {
		l.frame = time.Time{}
		l.dl.SetReadDeadline(l.outer)
	}
}

// before is called before a read inside a message: it refuses the read if
// the budget is spent, and sets the message's deadline.
func (l *limiter) before() error {
	if l.budget != nil && l.got >= budgetFree && l.budget.spent() {
		l.endMessage()
		return ErrBusy
	}
	if l.timeout == 0 || l.dl == nil {
		return nil
	}
	now := time.Now()
	switch {
	case l.start.IsZero():
		l.start, l.last = now, now
	case l.moved:
		// The time the server itself took between two reads is not the
		// peer's: the gap is counted from the read after the bytes.
		l.last, l.moved = now, false
	}
	want := l.start.Add(l.timeout)
	if l.rate > 0 {
		rate := int64(l.rate)
		want = want.Add(time.Duration(l.got/rate)*time.Second + time.Duration(l.got%rate)*time.Second/time.Duration(rate))
		want = minTime(want, l.last.Add(l.timeout))
	}
	// Setting a deadline resets a timer, and in a moving message the
	// deadline moves with every read: set it a slack later than wanted,
	// and move it only once it is earlier than wanted, or more than the
	// slack later (a new message).
	slack := min(l.timeout/10, time.Second)
	if l.frame.IsZero() || l.frame.Before(want) || l.frame.Sub(want) > slack {
		l.frame = want.Add(slack)
		l.dl.SetReadDeadline(l.effective())
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// maxChargedRead is the most a read inside a message takes at once with
// a budget, so that a spent budget is seen within that many bytes.
const maxChargedRead = 64 << 10

// capRead shortens a read inside a message so that the budget is checked
// before the bytes past the free ones, and then every maxChargedRead.
func (l *limiter) capRead(p []byte) []byte {
	if l.budget == nil {
		return p
	}
	if l.got < budgetFree {
		return p[:min(len(p), budgetFree-int(l.got))]
	}
	return p[:min(len(p), maxChargedRead)]
}

// after is called after a read inside a message with what it returned.
func (l *limiter) after(n int, err error) error {
	l.got += int64(n)
	l.moved = l.moved || n > 0
	if l.budget != nil && l.got > budgetFree {
		owed := l.got - budgetFree - l.charged
		l.budget.used.Add(owed)
		l.charged += owed
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && !l.frame.IsZero() && l.effective().Equal(l.frame) && !l.frame.After(time.Now()) {
		err = ErrFrameTimeout
	}
	l.endMessage()
	return err
}
