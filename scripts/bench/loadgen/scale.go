package loadgen

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Bounds of the scale scenario.
const (
	// MaxClients keeps the generator and the server within the machine's
	// 20 000 open files per process, with room for the measured room and
	// the servers' own files.
	MaxClients = 18500
	// idleRoomSize is how many idle clients share a room. Every arrival
	// in a room is announced to all its members (docs/protocol.md §1.6), so one room
	// of C clients would cost C²/2 announcements.
	idleRoomSize = 100
	// scaleParallel bounds the log-ins in flight.
	scaleParallel = 128
	// settle bounds the wait for the server's memory to stop moving once
	// every client is in: it must stay put for settleFor, longer than a
	// server waits before returning memory after a wave of connections
	// (shared/server.WaveQuiet, 1 s).
	settleMax   = 8 * time.Second
	settleFor   = 2 * time.Second
	settleEvery = 250 * time.Millisecond
)

// Scale describes the scale scenario: Clients clients logged in and idle,
// then a fan-out run beside them.
type Scale struct {
	Clients int
	FanOut  FanOut
}

// ScaleResult is what the scale scenario measured.
type ScaleResult struct {
	Clients int `json:"clients"`
	// What the idle clients do: each reads whatever the server sends it
	// (Reading), in rooms of RoomSize (0: no rooms, as in task 4).
	Reading  bool `json:"reading"`
	RoomSize int  `json:"room_size"`
	// RSS of the server before the clients connected and once they were
	// all in, idle; PerConn is the difference per client.
	RSSBefore int64   `json:"rss_before"`
	RSSAfter  int64   `json:"rss_after"`
	PerConn   float64 `json:"bytes_per_conn"`
	// The server's own report of its memory (SIGUSR1) at the same two
	// moments, nil for a server that has none (lean); GoPerConn is the
	// difference of its Go heap in use and stacks, per client.
	MemBefore *ServerMemory `json:"memory_before,omitempty"`
	MemAfter  *ServerMemory `json:"memory_after,omitempty"`
	GoPerConn float64       `json:"go_bytes_per_conn,omitempty"`
	// ConnectSeconds is how long the log-ins took.
	ConnectSeconds float64 `json:"connect_s"`
	// FanOut is the run beside the idle clients.
	FanOut *FanOutResult `json:"fanout"`
	Note   string        `json:"note,omitempty"`
}

// RunScale connects s.Clients idle clients to srv, measures the server's
// memory, and runs a fan-out room beside them.
func RunScale(ctx context.Context, srv *Server, t *target, s Scale) (*ScaleResult, error) {
	res := &ScaleResult{Clients: s.Clients}
	if t.stage.ClassChat && s.Clients > MaxClassChatClients {
		res.Clients = MaxClassChatClients
		res.Note = fmt.Sprintf("capped at %d: every ClassChat log-in sends the whole user list to every user", MaxClassChatClients)
	}
	if res.Clients+s.FanOut.Members > MaxClients {
		return nil, fmt.Errorf("%w: %d clients and a room of %d: more than %d open files", ErrConfig, res.Clients, s.FanOut.Members, MaxClients)
	}
	before, err := srv.RSS()
	if err != nil {
		return nil, err
	}
	res.RSSBefore = before
	if !t.stage.self {
		m, err := srv.Memory(ctx)
		if err != nil {
			return nil, err
		}
		res.MemBefore = &m
	}
	// Every idle client has a goroutine of its own that reads (dial).
	res.Reading = true
	if t.stage.Dialect.Rooms() && !t.stage.ClassChat {
		res.RoomSize = idleRoomSize
	}
	idle := make([]*member, res.Clients)
	defer func() {
		for _, m := range idle {
			if m != nil {
				m.close()
			}
		}
	}()
	start := time.Now()
	err = parallel(ctx, res.Clients, scaleParallel, func(i int) error {
		var opts memberOpts
		if res.RoomSize > 0 {
			opts.room = fmt.Sprintf("idle%03d", i/idleRoomSize)
		}
		m, err := dial(ctx, t, i, fmt.Sprintf("i%05d", i), opts)
		idle[i] = m
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("idle clients: %w", err)
	}
	res.ConnectSeconds = time.Since(start).Seconds()
	if res.RSSAfter, err = settledRSS(ctx, srv); err != nil {
		return nil, err
	}
	res.PerConn = float64(res.RSSAfter-res.RSSBefore) / float64(res.Clients)
	if res.MemBefore != nil {
		m, err := srv.Memory(ctx)
		if err != nil {
			return nil, err
		}
		res.MemAfter = &m
		res.GoPerConn = float64(m.GoBytes()-res.MemBefore.GoBytes()) / float64(res.Clients)
	}
	f := s.FanOut
	f.Prefix = "b"
	if res.FanOut, err = RunFanOut(ctx, srv, t, f); err != nil {
		return nil, fmt.Errorf("fan-out beside %d idle clients: %w", res.Clients, err)
	}
	for _, m := range idle {
		if !m.alive() {
			return nil, fmt.Errorf("idle client %s was disconnected: %v", m.name, m.err)
		}
	}
	return res, nil
}

// settledRSS waits until the server's resident memory stops moving (two
// readings settleFor apart within 1%), or settleMax, and returns it.
func settledRSS(ctx context.Context, srv *Server) (int64, error) {
	var readings []int64
	deadline := time.Now().Add(settleMax)
	for {
		r, err := srv.RSS()
		if err != nil {
			return 0, err
		}
		readings = append(readings, r)
		if back := int(settleFor / settleEvery); len(readings) > back {
			old := readings[len(readings)-1-back]
			if diff := r - old; diff < old/100 && -diff < old/100 {
				return r, nil
			}
		}
		if time.Now().After(deadline) {
			return r, nil
		}
		select {
		case <-time.After(settleEvery):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// doing says what the idle clients do, for the table.
func (c *ScaleResult) doing() string {
	s := "idle"
	if c.Reading {
		s = "reading"
	}
	if c.RoomSize > 0 {
		return fmt.Sprintf("%s, rooms of %d", s, c.RoomSize)
	}
	return s + ", no rooms"
}

// goPerConn is the heap and stacks per connection, for the table.
func (c *ScaleResult) goPerConn() string {
	if c.MemAfter == nil {
		return "-"
	}
	return bytesIEC(c.GoPerConn)
}

// Targets of the scale scenario: server RSS per connection, at
// scaleTargetClients reading clients in rooms of 100.
const scaleTargetClients = 10000

var scaleTargets = []struct {
	stage string
	limit float64 // bytes of RSS per connection
}{
	{"v3", 8 << 10},
	{"v4", 16 << 10},
}

func init() { targetRules = append(targetRules, scaleRule) }

func scaleRule(rep *Report) []Target {
	var out []Target
	for _, st := range scaleTargets {
		t := Target{Name: fmt.Sprintf("%s: %d reading clients in rooms of %d, server RSS per connection ≤ %s",
			st.stage, scaleTargetClients, idleRoomSize, bytesIEC(st.limit)), State: TargetNotMeasured}
		sr := find(rep, st.stage)
		switch {
		case sr == nil || sr.Scale == nil:
			t.Why = "the scale scenario was not run on " + st.stage
			for _, e := range errorsOf(sr, "scale") {
				t.Why = e
			}
		case sr.Scale.Clients < scaleTargetClients:
			t.Measured = bytesIEC(sr.Scale.PerConn) + fmt.Sprintf(" at %d clients", sr.Scale.Clients)
			t.Why = fmt.Sprintf("measured with %d clients, not %d (-clients)", sr.Scale.Clients, scaleTargetClients)
		default:
			c := sr.Scale
			t.Measured = bytesIEC(c.PerConn)
			if c.MemAfter != nil {
				t.Measured += " (heap+stack " + bytesIEC(c.GoPerConn) + ")"
			}
			t.State = TargetMet
			if c.PerConn > st.limit {
				t.State = TargetNotMet
			}
		}
		out = append(out, t)
	}
	return out
}

// errorsOf returns the errors of sr's runs whose name starts with what.
func errorsOf(sr *StageReport, what string) []string {
	if sr == nil {
		return nil
	}
	var out []string
	for _, e := range sr.Errors {
		if strings.HasPrefix(e, what) {
			out = append(out, e)
		}
	}
	return out
}
