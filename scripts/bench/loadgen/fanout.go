package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Bounds of a run's end.
const (
	// drainTimeout bounds the wait, after the publishers stop, for their
	// last acknowledgements and for every member to receive what they
	// sent.
	drainTimeout = 15 * time.Second
	// slowRcvBuf is the receive buffer of the member that stops reading,
	// so that the server's queue for it, not the kernel's buffers, fills.
	slowRcvBuf = 4096
	// slowTail is how long the run goes on after the slow consumer is cut
	// off.
	slowTail = time.Second
	// connectParallel bounds the log-ins in flight.
	connectParallel = 64
	pollEvery       = 10 * time.Millisecond
)

// FanOut describes a run in one room (or group): Members members, the
// first Publishers of them sending.
type FanOut struct {
	Members    int
	Publishers int
	// Window bounds each publisher's messages not yet acknowledged.
	Window int
	// Rate is the offered load in deliveries per second (messages sent
	// times the recipients of each), 0 for flat out.
	Rate      float64
	TextBytes int
	Warmup    time.Duration
	Duration  time.Duration
	// Slow makes the last member stop reading after the steady phase; the
	// run then lasts until the server cuts it off (and slowTail more), or
	// SlowTimeout.
	Slow        bool
	SlowTimeout time.Duration
	// Prefix starts the members' names, so that runs on one server do not
	// meet.
	Prefix string
}

func (f FanOut) check(st Stage) error {
	switch {
	case f.Members < 2:
		return fmt.Errorf("%w: a room needs 2 members at least", ErrConfig)
	case f.Publishers < 1 || f.Publishers > f.Members || f.Slow && f.Publishers >= f.Members:
		return fmt.Errorf("%w: %d publishers in a room of %d (the slow consumer does not publish)", ErrConfig, f.Publishers, f.Members)
	case f.Publishers >= 1<<(4*pubDigits):
		return fmt.Errorf("%w: at most %d publishers", ErrConfig, 1<<(4*pubDigits)-1)
	case f.Window < 1:
		return fmt.Errorf("%w: a window of 1 at least", ErrConfig)
	case f.TextBytes < MinTextBytes || f.TextBytes > 4096:
		return fmt.Errorf("%w: text of %d to 4096 bytes", ErrConfig, MinTextBytes)
	case f.Duration <= 0:
		return fmt.Errorf("%w: a duration is needed", ErrConfig)
	}
	return nil
}

// recipients is how many members receive each message.
func (f FanOut) recipients(st Stage) int {
	switch {
	case !st.Dialect.Rooms():
		return 1
	case st.Dialect.SelfDelivery():
		return f.Members
	}
	return f.Members - 1
}

// Latency summarises a histogram, in microseconds.
type Latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_us"`
	P99   float64 `json:"p99_us"`
	P999  float64 `json:"p999_us"`
	Max   float64 `json:"max_us"`
}

func summarise(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		Count: uint64(h.TotalCount()),
		P50:   float64(h.ValueAtQuantile(50)),
		P99:   float64(h.ValueAtQuantile(99)),
		P999:  float64(h.ValueAtQuantile(99.9)),
		Max:   float64(h.Max()),
	}
}

// FanOutResult is what a fan-out run measured.
type FanOutResult struct {
	// Rep is the repetition the run belongs to, from 1 (0 when the run is
	// part of another scenario).
	Rep        int     `json:"rep,omitempty"`
	Members    int     `json:"members"`
	Publishers int     `json:"publishers"`
	Window     int     `json:"window"`
	TextBytes  int     `json:"text_bytes"`
	Offered    float64 `json:"offered_per_s"` // deliveries/s asked for; 0 flat out
	Seconds    float64 `json:"seconds"`       // of the steady phase
	// Delivered counts the load messages received in the steady phase.
	Delivered   uint64  `json:"delivered"`
	PerSecond   float64 `json:"delivered_per_s"`
	MessagesPer float64 `json:"messages_per_s"` // sent by the publishers, in the steady phase
	Latency     Latency `json:"latency"`
	// Sent and Lost over the whole run: a message the server acknowledged
	// that a member still connected did not receive is lost.
	Sent       uint64 `json:"sent"`
	Lost       uint64 `json:"lost"`
	OutOfOrder uint64 `json:"out_of_order"`
	Refused    uint64 `json:"refused"`
	// CutOff counts the members the server cut off (the slow consumer
	// included).
	CutOff int `json:"cut_off"`
	// CPU used in the steady phase, in cores (1.0 is one core busy).
	ServerCPU float64 `json:"server_cpu"`
	GenCPU    float64 `json:"generator_cpu"`
	// MachineCPU is how busy the whole machine was; SoftIRQ the part in
	// software interrupts (loopback TCP's receive work, charged to neither
	// process); OtherCPU what the rest of the machine used: anything but a
	// few hundredths means the figures were disturbed.
	MachineCPU float64 `json:"machine_cpu"`
	SoftIRQ    float64 `json:"softirq_cpu"`
	OtherCPU   float64 `json:"other_cpu"`

	// With a slow consumer: the others' latency while it did not read,
	// and how it ended.
	Slow *SlowResult `json:"slow,omitempty"`
}

// SlowResult is the slow-consumer part of a run.
type SlowResult struct {
	Latency Latency `json:"latency_while_slow"`
	// CutAfter is the time from when it stopped reading to the server's
	// log line; 0 if it was not cut off.
	CutAfter float64 `json:"cut_after_s"`
	// ServerLogged and ClientSaw say how the cut-off was seen: the
	// server's "slow consumer" log line, and the connection's end.
	ServerLogged bool   `json:"server_logged"`
	ClientSaw    bool   `json:"client_saw_end"`
	Received     uint64 `json:"received"`
	Expected     uint64 `json:"expected"`
}

// RunFanOut connects a room to srv and runs f in it.
func RunFanOut(ctx context.Context, srv *Server, t *target, f FanOut) (*FanOutResult, error) {
	if err := f.check(t.stage); err != nil {
		return nil, err
	}
	ph := newPhases()
	var rx *reactor
	if t.tls == nil {
		var err error
		if rx, err = newReactor(); err != nil {
			return nil, err
		}
		defer rx.stop()
	}
	members, err := connectRoom(ctx, t, f, ph, rx)
	defer func() {
		for _, m := range members {
			m.close()
		}
	}()
	if err != nil {
		return nil, err
	}
	direct := !t.stage.Dialect.Rooms()
	pubs := make([]*publisher, f.Publishers)
	for i := range pubs {
		pubs[i] = newPublisher(i, members[i], f.Window, f.Members, direct)
	}
	var slow *member
	if f.Slow {
		slow = members[len(members)-1]
	}
	pc := pace{textBytes: f.TextBytes, room: benchRoom}
	if direct {
		pc.members = members
	}
	if f.Rate > 0 {
		perPub := f.Rate / float64(f.recipients(t.stage)) / float64(f.Publishers)
		pc.interval = int64(float64(time.Second) / perPub)
	}

	start := now()
	steady := start + int64(f.Warmup)
	end := steady + int64(f.Duration)
	ph.at[0].Store(steady)
	if !f.Slow {
		ph.at[1].Store(end)
		ph.at[2].Store(end)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, p := range pubs {
		// Paced publishers take turns, evenly spaced: the offered load
		// arrives at a steady rate, not in bursts of P messages.
		first := start + int64(i)*pc.interval/int64(len(pubs))
		wg.Go(func() { p.run(pc, first, stop) })
	}
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer halt()

	res := &FanOutResult{Members: f.Members, Publishers: f.Publishers, Window: f.Window,
		TextBytes: f.TextBytes, Offered: f.Rate}
	if err := sleepUntil(ctx, steady); err != nil {
		return nil, err
	}
	cpu0, gen0, sent0 := serverCPU(srv), selfCPU(), totalSent(pubs)
	all0, irq0 := machineCPU()
	if err := sleepUntil(ctx, end); err != nil {
		return nil, err
	}
	cpu1, gen1, sent1 := serverCPU(srv), selfCPU(), totalSent(pubs)
	all1, irq1 := machineCPU()
	secs := time.Duration(end - steady).Seconds()
	res.Seconds = secs
	res.ServerCPU = (cpu1 - cpu0).Seconds() / secs
	res.GenCPU = (gen1 - gen0).Seconds() / secs
	res.MachineCPU = (all1 - all0).Seconds() / secs
	res.SoftIRQ = (irq1 - irq0).Seconds() / secs
	res.OtherCPU = max(0, res.MachineCPU-res.SoftIRQ-res.ServerCPU-res.GenCPU)
	res.MessagesPer = float64(sent1-sent0) / secs

	var slowRes *SlowResult
	if f.Slow {
		slowRes = &SlowResult{}
		cuts := srv.SlowCuts()
		paused := now()
		ph.at[1].Store(paused)
		slow.pause()
		timeout := time.NewTimer(f.SlowTimeout)
		defer timeout.Stop()
	wait:
		for srv.SlowCuts() == cuts {
			select {
			case <-srv.cutCh:
			case <-timeout.C:
				break wait
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		tail := now() + int64(slowTail)
		if srv.SlowCuts() > cuts {
			slowRes.ServerLogged = true
			slowRes.CutAfter = time.Duration(now() - paused).Seconds()
		}
		ph.at[2].Store(tail)
		if err := sleepUntil(ctx, tail); err != nil {
			return nil, err
		}
	}
	halt()

	// Drain: every acknowledgement, then every delivery.
	if err := waitFor(ctx, drainTimeout, func() bool {
		for _, p := range pubs {
			if p.acks.Load()+p.refusals.Load() < p.sent.Load() && p.m.alive() {
				return false
			}
		}
		return true
	}); err != nil && !errors.Is(err, ErrTimeout) {
		return nil, err
	}
	expect := expected(t.stage, members, pubs)
	if err := waitFor(ctx, drainTimeout, func() bool {
		for i, m := range members {
			if m != slow && m.alive() && m.total.Load() < sum(expect[i]) {
				return false
			}
		}
		return true
	}); err != nil && !errors.Is(err, ErrTimeout) {
		return nil, err
	}
	if slow != nil {
		slow.unpause()
		// Whatever the kernel still holds for it, then the end, if the
		// server cut it off.
		var got uint64
		var still int
		waitFor(ctx, 5*time.Second, func() bool {
			if !slow.alive() {
				return true
			}
			if n := slow.total.Load(); n != got {
				got, still = n, 0
				return false
			}
			still++
			return still >= 20 // nothing more for a while, and still open
		})
		slowRes.ClientSaw = !slow.alive() && slow.ended.Load() > 0
	}
	closing := now()
	if rx != nil {
		rx.stop()
	}
	for _, m := range members {
		m.close()
	}

	steadyHist := hdrhistogram.New(histMin, histMax, histDigits)
	slowHist := hdrhistogram.New(histMin, histMax, histDigits)
	for i, m := range members {
		if m == slow {
			slowRes.Received = sum(m.perPub)
			slowRes.Expected = sum(expect[i])
			continue
		}
		steadyHist.Merge(m.hist[phaseSteady])
		slowHist.Merge(m.hist[phaseSlow])
		res.Delivered += m.count[phaseSteady]
		res.OutOfOrder += m.disorder
		if m.ended.Load() < closing { // the server ended it
			res.CutOff++
			continue
		}
		for j, want := range expect[i] {
			if got := m.perPub[j]; got < want {
				res.Lost += want - got
			}
		}
	}
	if slowRes != nil && (slowRes.ServerLogged || slowRes.ClientSaw) {
		res.CutOff++
	}
	for _, p := range pubs {
		res.Sent += p.sent.Load()
		res.Refused += p.refusals.Load()
		if p.err != nil {
			return nil, fmt.Errorf("publisher %s: %w", p.m.name, p.err)
		}
	}
	res.PerSecond = float64(res.Delivered) / secs
	res.Latency = summarise(steadyHist)
	if slowRes != nil {
		slowRes.Latency = summarise(slowHist)
		res.Slow = slowRes
	}
	return res, nil
}

// connectRoom logs the room's members in; the first creates the group
// where that is needed.
func connectRoom(ctx context.Context, t *target, f FanOut, ph *phases, rx *reactor) ([]*member, error) {
	members := make([]*member, f.Members)
	opts := func(i int) memberOpts {
		o := memberOpts{ph: ph, pubs: f.Publishers, bufSize: loadBuffer, reactor: rx}
		if t.stage.Dialect.Rooms() {
			o.room, o.create = benchRoom, i == 0
		}
		if f.Slow && i == f.Members-1 {
			o.rcvBuf = slowRcvBuf
		}
		return o
	}
	name := func(i int) string { return fmt.Sprintf("%s%05d", f.Prefix, i) }
	var err error
	if members[0], err = dial(ctx, t, 0, name(0), opts(0)); err != nil {
		return nil, err
	}
	err = parallel(ctx, f.Members-1, connectParallel, func(k int) error {
		i := k + 1
		m, err := dial(ctx, t, i, name(i), opts(i))
		members[i] = m
		return err
	})
	live := members[:0:0]
	for _, m := range members {
		if m != nil {
			live = append(live, m)
		}
	}
	if err != nil {
		return live, err
	}
	return members, nil
}

// expected returns, for each member, how many load messages it should
// have received from each publisher.
func expected(st Stage, members []*member, pubs []*publisher) [][]uint64 {
	out := make([][]uint64, len(members))
	for i := range members {
		out[i] = make([]uint64, len(pubs))
		for j, p := range pubs {
			switch {
			case p.targets != nil:
				out[i][j] = p.targets[i]
			case p.m == members[i] && !st.Dialect.SelfDelivery():
			default:
				out[i][j] = p.sent.Load()
			}
		}
	}
	return out
}

func sum(v []uint64) uint64 {
	var s uint64
	for _, x := range v {
		s += x
	}
	return s
}

func totalSent(pubs []*publisher) uint64 {
	var s uint64
	for _, p := range pubs {
		s += p.sent.Load()
	}
	return s
}

func serverCPU(srv *Server) time.Duration {
	d, _ := srv.CPU()
	return d
}

// sleepUntil sleeps until t on the generator's clock.
func sleepUntil(ctx context.Context, t int64) error {
	d := time.Duration(t - now())
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitFor polls cond until it holds, the time is up (ErrTimeout) or ctx
// ends.
func waitFor(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return ErrTimeout
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// parallel runs do(0) … do(n-1), at most width at a time, and returns the
// first error.
func parallel(ctx context.Context, n, width int, do func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, width)
	for i := range n {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := do(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
