package loadgen

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// maxBatch is how many messages a publisher writes with one call at most,
// when it has the credit for them (flat out, or behind its pace).
const maxBatch = 16

// publisher sends load messages from one member: flat out, limited by a
// window of messages not yet acknowledged, or at a pace.
type publisher struct {
	idx     int // its number in the texts
	m       *member
	credits chan struct{} // one per message it may still send unacknowledged
	running atomic.Bool

	sent     atomic.Uint64
	acks     atomic.Uint64
	refusals atomic.Uint64
	fewest   atomic.Int64 // fewest recipients an ack reported

	mu        sync.Mutex
	lastError string
	// targets counts the direct messages sent to each member (rooms-less
	// dialects only); only the sending goroutine writes it.
	targets []uint64
	err     error // why sending stopped early
}

func newPublisher(idx int, m *member, window, members int, direct bool) *publisher {
	p := &publisher{idx: idx, m: m, credits: make(chan struct{}, window)}
	for range window {
		p.credits <- struct{}{}
	}
	p.fewest.Store(math.MaxInt64)
	if direct {
		p.targets = make([]uint64, members)
	}
	m.pub = p
	return p
}

// acked is called by the member's reader for every acknowledgement.
func (p *publisher) acked(recipients int) {
	p.acks.Add(1)
	if recipients >= 0 {
		for {
			f := p.fewest.Load()
			if int64(recipients) >= f || p.fewest.CompareAndSwap(f, int64(recipients)) {
				break
			}
		}
	}
	select {
	case p.credits <- struct{}{}:
	default:
	}
}

// refused is called by the member's reader for an error answer while the
// publisher runs: the message was not taken.
func (p *publisher) refused(text string) {
	p.refusals.Add(1)
	p.mu.Lock()
	p.lastError = text
	p.mu.Unlock()
	select {
	case p.credits <- struct{}{}:
	default:
	}
}

// pace is how a publisher sends.
type pace struct {
	interval  int64 // ns between two messages; 0 for flat out
	textBytes int
	room      string
	members   []*member // whom to send direct messages to, in turn
}

// run sends until stop is closed.
func (p *publisher) run(pc pace, start int64, stop <-chan struct{}) {
	p.running.Store(true)
	defer p.running.Store(false)
	var (
		buf, text []byte
		seq       uint64
		next      = start
		turn      = p.m.id
	)
	for {
		select {
		case <-stop:
			return
		case <-p.credits:
		}
		k := 1
		if pc.interval > 0 {
			t := now()
			if t < next {
				time.Sleep(time.Duration(next - t))
				t = now()
			}
			if t-next > int64(time.Second) {
				next = t // too far behind to catch up: start the pace again
			}
			due := (t-next)/pc.interval + 1
			for int64(k) < due && k < maxBatch && p.take() {
				k++
			}
		} else {
			for k < maxBatch && p.take() {
				k++
			}
		}
		sent := now()
		buf = buf[:0]
		for range k {
			seq++
			text = appendText(text[:0], p.idx, seq, sent, pc.textBytes)
			to := ""
			if pc.members != nil {
				if turn = (turn + 1) % len(pc.members); turn == p.m.id {
					turn = (turn + 1) % len(pc.members)
				}
				to = pc.members[turn].name
				p.targets[turn]++
			}
			buf = p.m.d.Post(buf, pc.room, to, text)
		}
		if err := p.m.write(buf); err != nil {
			p.err = err
			return
		}
		p.sent.Add(uint64(k))
		next += int64(k) * pc.interval
	}
}

// take takes a credit if there is one.
func (p *publisher) take() bool {
	select {
	case <-p.credits:
		return true
	default:
		return false
	}
}
