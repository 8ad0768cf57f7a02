package server

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Returning memory after a wave of connections. Log-ins cost garbage (a
// TLS handshake tens of kilobytes of it) and grow the goroutines' stacks;
// once a wave of them is over, the Go runtime would keep that heap mapped
// and those stacks large until later collections and its background
// scavenger come round to them, slowly: each idle connection then holds
// up to half as much again as it needs. A server instead collects twice
// (the first shrinks the stacks, the second frees what held them) and
// returns the free memory at once (debug.FreeOSMemory), once a wave has
// ended: none has come for WaveQuiet after WaveMin connections or more,
// and at least a quarter as many as are open. A collection costs in
// proportion to what the connections hold, so that second bound keeps its
// cost, shared among the wave's connections, the same per connection
// however many are open.
const (
	WaveMin   = 256
	WaveQuiet = time.Second
)

// wave watches the accepted connections for the end of a wave, and then
// calls release with how many there were.
type wave struct {
	min     int
	quiet   time.Duration
	release func(n int)

	mu    sync.Mutex
	n     int       // accepted since the last release
	last  time.Time // the last accepted
	timer *time.Timer
}

// note counts a connection accepted now, with open connections open.
func (w *wave) note(now time.Time, open int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	w.last = now
	if w.n >= w.min && 4*w.n >= open && w.timer == nil {
		w.timer = time.AfterFunc(w.quiet, w.check)
	}
}

// check runs when the wave may be over: it is if nothing came for quiet.
func (w *wave) check() {
	w.mu.Lock()
	if idle := time.Since(w.last); idle < w.quiet {
		w.timer.Reset(w.quiet - idle)
		w.mu.Unlock()
		return
	}
	n := w.n
	w.n, w.timer = 0, nil
	w.mu.Unlock()
	w.release(n)
}

// stop drops a release not yet made.
func (w *wave) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

// gcCPU are the runtime's counts of CPU time spent collecting and
// returning memory.
var gcCPU = []string{"/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/scavenge/total:cpu-seconds"}

// returnMemory collects the garbage and returns free memory to the
// operating system, and logs what it gave back and what that cost.
func (s *Server) returnMemory(n int) {
	cpu := make([]metrics.Sample, len(gcCPU))
	for i, name := range gcCPU {
		cpu[i].Name = name
	}
	metrics.Read(cpu)
	gc0, sc0 := cpu[0].Value.Float64(), cpu[1].Value.Float64()
	before := selfRSS()
	start := time.Now()
	runtime.GC()
	debug.FreeOSMemory()
	took := time.Since(start)
	metrics.Read(cpu)
	s.Logger.Info("returned free memory after a wave of connections", "connections", n,
		"rss_before", before, "rss_after", selfRSS(), "took", took.Round(time.Microsecond),
		"cpu", time.Duration((cpu[0].Value.Float64()-gc0+cpu[1].Value.Float64()-sc0)*1e9).Round(time.Microsecond))
}
