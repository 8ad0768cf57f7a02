package loadgen

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the big-room scenario.
const (
	// bigRoom is the room every ChatProto client is in once logged in.
	bigRoom = "general"
	// bigRoomReach bounds the wait for a room message to reach every
	// member; bigRoomPoll is how often the members are looked at
	// meanwhile (the resolution of the time measured).
	bigRoomReach = 30 * time.Second
	bigRoomPoll  = 5 * time.Millisecond
	// bigRoomText is the room message's text.
	bigRoomText = "hello, everyone"
)

// BigRoom describes the big-room scenario: Clients clients log in, all
// into general, and read what the server sends them.
type BigRoom struct {
	Clients int
}

// BigRoomResult is what the big-room scenario measured.
type BigRoomResult struct {
	Clients int `json:"clients"`
	// In is how many logged in; InSeconds how long until the last of
	// them was answered, from the first connection. Failed log-ins are
	// counted, not retried; FirstFailure says why the first failed.
	In           int     `json:"in"`
	InSeconds    float64 `json:"in_s"`
	Failed       int     `json:"failed"`
	FirstFailure string  `json:"first_failure,omitempty"`
	// CutOff is how many clients the server logged cutting off as slow
	// consumers; Closed how many clients found their connection closed,
	// by the end.
	CutOff int `json:"cut_off"`
	Closed int `json:"closed"`
	// LoginSeconds is how long one more client's log-in took to be
	// answered once all were in (connection to LOGIN_ACK).
	LoginSeconds float64 `json:"login_s"`
	// MessageSeconds is how long a room message that client sent then
	// took to reach every member still connected; Reached how many it
	// reached.
	MessageSeconds float64 `json:"message_s"`
	Reached        int     `json:"reached"`
	// ServerCPU is the CPU time the server used during the log-ins, in
	// seconds; RSS its resident memory at the end.
	ServerCPU float64 `json:"server_cpu_s"`
	RSS       int64   `json:"rss"`
}

// bigRoomApplies reports whether st has a room every client is in once
// logged in: the ChatProto servers (general).
func bigRoomApplies(st Stage) bool { return st.Dialect.Rooms() && !st.ClassChat && !st.self }

// RunBigRoom logs b.Clients clients into srv's general room, then one
// more, who says something to the room.
func RunBigRoom(ctx context.Context, srv *Server, t *target, b BigRoom) (*BigRoomResult, error) {
	if !bigRoomApplies(t.stage) {
		return nil, fmt.Errorf("%w: the big room is general, on the ChatProto servers", ErrConfig)
	}
	if b.Clients+1 > MaxClients {
		return nil, fmt.Errorf("%w: %d clients: more than %d open files", ErrConfig, b.Clients, MaxClients)
	}
	res := &BigRoomResult{Clients: b.Clients}
	members := make([]*member, b.Clients)
	defer func() {
		for _, m := range members {
			if m != nil {
				m.close()
			}
		}
	}()
	cpu0, err := srv.CPU()
	if err != nil {
		return nil, err
	}
	var (
		failed  atomic.Int64
		errOnce sync.Once
	)
	start := time.Now()
	err = parallel(ctx, b.Clients, scaleParallel, func(i int) error {
		m, err := dial(ctx, t, i, fmt.Sprintf("g%05d", i), memberOpts{})
		if err != nil {
			failed.Add(1)
			errOnce.Do(func() { res.FirstFailure = err.Error() })
			return nil
		}
		members[i] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.InSeconds = time.Since(start).Seconds()
	res.Failed = int(failed.Load())
	res.In = b.Clients - res.Failed
	cpu1, err := srv.CPU()
	if err != nil {
		return nil, err
	}
	res.ServerCPU = (cpu1 - cpu0).Seconds()

	// The counts of deliveries before the message: each member's must
	// go up by one.
	before := make([]uint64, len(members))
	for i, m := range members {
		if m != nil {
			before[i] = m.total.Load()
		}
	}
	start = time.Now()
	last, err := dial(ctx, t, b.Clients, "newcomer", memberOpts{})
	if err != nil {
		return nil, fmt.Errorf("a log-in once %d are in: %w", res.In, err)
	}
	res.LoginSeconds = time.Since(start).Seconds()
	defer last.close()

	start = time.Now()
	if err := last.write(t.stage.Dialect.Post(nil, bigRoom, "", []byte(bigRoomText))); err != nil {
		return nil, fmt.Errorf("the room message: %w", err)
	}
	res.Reached, res.MessageSeconds, err = waitReach(ctx, members, before, start)
	if err != nil {
		return nil, err
	}
	res.CutOff = srv.SlowCuts()
	for _, m := range members {
		if m != nil && !m.alive() {
			res.Closed++
		}
	}
	res.RSS, err = srv.RSS()
	return res, err
}

// waitReach waits until every member still connected has had one more
// delivery than before, and returns how many had it and when the last
// got it, counted from start. Members that are gone do not count; after
// bigRoomReach it returns what it has, with an error.
func waitReach(ctx context.Context, members []*member, before []uint64, start time.Time) (int, float64, error) {
	tick := time.NewTicker(bigRoomPoll)
	defer tick.Stop()
	deadline := start.Add(bigRoomReach)
	for {
		reached, waiting := 0, 0
		for i, m := range members {
			switch {
			case m == nil:
			case m.total.Load() > before[i]:
				reached++
			case m.alive():
				waiting++
			}
		}
		now := time.Now()
		if waiting == 0 {
			return reached, now.Sub(start).Seconds(), nil
		}
		if now.After(deadline) {
			return reached, now.Sub(start).Seconds(), fmt.Errorf("%w: the room message reached %d of %d in %s", ErrTimeout, reached, reached+waiting, bigRoomReach)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return reached, 0, ctx.Err()
		}
	}
}

// The targets of the big-room scenario, for v3 with bigRoomTargetClients
// clients.
const (
	bigRoomTargetClients = 10000
	bigRoomTargetIn      = 60 * time.Second
	bigRoomTargetLogin   = time.Second
	bigRoomTargetMessage = 2 * time.Second
)

func init() { targetRules = append(targetRules, bigRoomRule) }

func bigRoomRule(rep *Report) []Target {
	names := []string{
		fmt.Sprintf("v3: %d clients log into %s: all in within %s, nobody cut off", bigRoomTargetClients, bigRoom, bigRoomTargetIn),
		fmt.Sprintf("v3: %d in %s: a new log-in answered within %s", bigRoomTargetClients, bigRoom, bigRoomTargetLogin),
		fmt.Sprintf("v3: %d in %s: a room message reaches all within %s", bigRoomTargetClients, bigRoom, bigRoomTargetMessage),
	}
	out := make([]Target, len(names))
	for i, n := range names {
		out[i] = Target{Name: n, State: TargetNotMeasured}
	}
	sr := find(rep, "v3")
	switch {
	case sr == nil || sr.BigRoom == nil:
		why := "the bigroom scenario was not run on v3"
		for _, e := range errorsOf(sr, "big room") {
			why = e
		}
		for i := range out {
			out[i].Why = why
		}
		return out
	case sr.BigRoom.Clients < bigRoomTargetClients:
		for i := range out {
			out[i].Why = fmt.Sprintf("measured with %d clients, not %d (-clients)", sr.BigRoom.Clients, bigRoomTargetClients)
		}
		return out
	}
	b := sr.BigRoom
	state := func(ok bool) TargetState {
		if ok {
			return TargetMet
		}
		return TargetNotMet
	}
	lost := b.Failed + b.CutOff + b.Closed
	out[0].Measured = fmt.Sprintf("%d in after %.1f s, %d failed, %d cut off, %d closed", b.In, b.InSeconds, b.Failed, b.CutOff, b.Closed)
	out[0].State = state(b.In == b.Clients && b.InSeconds <= bigRoomTargetIn.Seconds() && lost == 0)
	out[1].Measured = seconds(b.LoginSeconds)
	out[1].State = state(b.LoginSeconds <= bigRoomTargetLogin.Seconds())
	out[2].Measured = fmt.Sprintf("%s, to %d of %d", seconds(b.MessageSeconds), b.Reached, b.In)
	out[2].State = state(b.MessageSeconds <= bigRoomTargetMessage.Seconds() && b.Reached == b.In)
	return out
}

// seconds writes a time in seconds.
func seconds(s float64) string { return us(s * 1e6) }

func runBigRoomScenario(ctx context.Context, cfg Config, x *runArgs) (err error) {
	x.sr.BigRoom, err = RunBigRoom(ctx, x.srv, x.t, BigRoom{Clients: cfg.Clients})
	return err
}

func bigRoomLabel(cfg Config) string { return fmt.Sprintf("%d clients", cfg.Clients) }
