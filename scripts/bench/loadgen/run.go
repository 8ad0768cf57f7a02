package loadgen

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"chatlab/shared/certs"
)

// Scenarios, in the order a run takes them.
const (
	ScenarioFanOut  = "fanout"  // flat out, limited by the window
	ScenarioLatency = "latency" // paced, at each load of Config.Loads
	ScenarioScale   = "scale"   // idle clients, memory, and a room beside them
	ScenarioSlow    = "slow"    // a member stops reading
	ScenarioBigRoom = "bigroom" // every client in general
)

// Scenarios lists every scenario.
var Scenarios = []string{ScenarioFanOut, ScenarioLatency, ScenarioScale, ScenarioSlow, ScenarioBigRoom}

// Config is one invocation of the load generator.
type Config struct {
	// BinDir holds the server binaries (make build puts them in bin/).
	BinDir    string
	Stages    []Stage
	Scenarios []string
	// Room is the fan-out room; its Rate is ignored (each scenario sets
	// its own).
	Room FanOut
	// Loads are the paced loads of the latency scenario, in deliveries per
	// second.
	Loads []float64
	// Clients is the scale scenario's idle clients.
	Clients int
	// ScaleRate paces the room beside the idle clients (0: flat out).
	ScaleRate float64
	// SlowRate and SlowTextBytes pace the slow-consumer run.
	SlowRate      float64
	SlowTextBytes int
	SlowTimeout   time.Duration
	// ProfileDir, if set, gets a CPU profile of the server of every run
	// (servers that take --cpuprofile).
	ProfileDir string
	// Progress receives a line as each run starts and ends.
	Progress io.Writer
}

// Report is the whole result of an invocation.
type Report struct {
	Started  time.Time     `json:"started"`
	Seconds  float64       `json:"seconds"`
	Machine  Machine       `json:"machine"`
	Room     FanOut        `json:"room"`
	Loads    []float64     `json:"loads"`
	Clients  int           `json:"clients"`
	Stages   []StageReport `json:"stages"`
	Failures int           `json:"failures"`
}

// Machine describes where the figures were measured.
type Machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go"`
	Kernel    string `json:"kernel"`
	CPUModel  string `json:"cpu_model"`
	// WriteBefore and WriteAfter are what a small loopback write cost
	// before the first run and after the last (see calibrate), in ns.
	WriteBefore time.Duration `json:"loopback_write_ns_before"`
	WriteAfter  time.Duration `json:"loopback_write_ns_after"`
}

// StageReport is one stage's results.
type StageReport struct {
	Stage    string          `json:"stage"`
	Encoding string          `json:"encoding"`
	TLS      bool            `json:"tls"`
	FanOut   *FanOutResult   `json:"fanout,omitempty"`
	Latency  []*FanOutResult `json:"latency,omitempty"`
	Scale    *ScaleResult    `json:"scale,omitempty"`
	Slow     *FanOutResult   `json:"slow,omitempty"`
	BigRoom  *BigRoomResult  `json:"bigroom,omitempty"`
	Errors   []string        `json:"errors,omitempty"`
}

// Run measures every scenario of cfg on every stage of cfg, each run
// against a server process of its own, and returns the report. A run
// that fails is noted in its stage's Errors and the others go on; an
// unknown scenario is an error before anything runs.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	for _, sc := range cfg.Scenarios {
		if !slices.Contains(Scenarios, sc) {
			return nil, fmt.Errorf("%w: unknown scenario %q (scenarios: %s)", ErrConfig, sc, strings.Join(Scenarios, " "))
		}
	}
	rep := &Report{Started: time.Now(), Machine: machine(), Room: cfg.Room, Loads: cfg.Loads, Clients: cfg.Clients}
	rep.Machine.WriteBefore = calibrate()
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return nil, err
		}
	}
	reports := make([]StageReport, len(cfg.Stages))
	scratch := make([]string, len(cfg.Stages))
	for i, st := range cfg.Stages {
		reports[i] = StageReport{Stage: st.Name, Encoding: st.Dialect.Name(), TLS: st.TLS}
		dir, err := os.MkdirTemp("", "chatlab-bench-"+st.Name+"-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		scratch[i] = dir
	}
	steps := newSteps(progress, cfg.plan(), time.Now)
	// each runs one measurement on every stage, one after the other: the
	// stages of a comparison are measured minutes apart at most, while
	// the speed of a virtual machine drifts over minutes.
	each := func(name string, f func(sr *StageReport, srv *Server, t *target) error) {
		for i, st := range cfg.Stages {
			sr := &reports[i]
			what := st.Name + " " + name
			if ctx.Err() != nil {
				sr.Errors = append(sr.Errors, fmt.Sprintf("%s: %v", name, ctx.Err()))
				steps.skip(what, ctx.Err())
				continue
			}
			steps.start(what)
			err := runOne(ctx, cfg, st, scratch[i], name, func(srv *Server, t *target) error { return f(sr, srv, t) })
			if err != nil {
				sr.Errors = append(sr.Errors, fmt.Sprintf("%s: %v", name, err))
			}
			steps.end(what, err)
		}
	}
	for _, sc := range cfg.Scenarios {
		switch sc {
		case ScenarioFanOut:
			each("fan-out", func(sr *StageReport, srv *Server, t *target) (err error) {
				f := cfg.Room
				f.Rate, f.Prefix = 0, "f"
				sr.FanOut, err = RunFanOut(ctx, srv, t, f)
				return err
			})
		case ScenarioLatency:
			for _, load := range cfg.Loads {
				each(fmt.Sprintf("latency at %s/s", SI(load)), func(sr *StageReport, srv *Server, t *target) error {
					f := cfg.Room
					f.Rate, f.Prefix = load, "l"
					res, err := RunFanOut(ctx, srv, t, f)
					if err == nil {
						sr.Latency = append(sr.Latency, res)
					}
					return err
				})
			}
		case ScenarioScale:
			each(fmt.Sprintf("scale, %d clients", cfg.Clients), func(sr *StageReport, srv *Server, t *target) (err error) {
				f := cfg.Room
				f.Rate = cfg.ScaleRate
				sr.Scale, err = RunScale(ctx, srv, t, Scale{Clients: cfg.Clients, FanOut: f})
				return err
			})
		case ScenarioSlow:
			each("slow consumer", func(sr *StageReport, srv *Server, t *target) (err error) {
				f := cfg.Room
				f.Rate, f.Prefix, f.Slow = cfg.SlowRate, "s", true
				f.TextBytes, f.SlowTimeout = cfg.SlowTextBytes, cfg.SlowTimeout
				sr.Slow, err = RunFanOut(ctx, srv, t, f)
				return err
			})
		case ScenarioBigRoom:
			each(fmt.Sprintf("big room, %d clients", cfg.Clients), func(sr *StageReport, srv *Server, t *target) (err error) {
				if !bigRoomApplies(t.stage) {
					return nil // no room every client is in
				}
				sr.BigRoom, err = RunBigRoom(ctx, srv, t, BigRoom{Clients: cfg.Clients})
				return err
			})
		}
	}
	for _, sr := range reports {
		rep.Failures += len(sr.Errors)
	}
	rep.Stages = reports
	rep.Machine.WriteAfter = calibrate()
	rep.Seconds = time.Since(rep.Started).Seconds()
	return rep, nil
}

// runOne runs one scenario against a new server process.
func runOne(ctx context.Context, cfg Config, st Stage, scratch, name string, f func(*Server, *target) error) error {
	var extra []string
	if cfg.ProfileDir != "" && st.Profile {
		file := strings.NewReplacer(" ", "-", ",", "", "/", "per").Replace(st.Name + "-" + name + ".pprof")
		abs, err := filepath.Abs(filepath.Join(cfg.ProfileDir, file))
		if err != nil {
			return err
		}
		extra = append(extra, "--cpuprofile", abs)
	}
	bin, err := filepath.Abs(cfg.BinDir)
	if err != nil {
		return err
	}
	srv, err := StartServer(ctx, st, bin, scratch, extra...)
	if err != nil {
		return err
	}
	t := &target{stage: st, addr: srv.Addr}
	if st.TLS {
		if t.tls, err = certs.ClientTLS("127.0.0.1", filepath.Join(scratch, "server.crt"), false); err != nil {
			srv.Stop()
			return err
		}
	}
	err = f(srv, t)
	if serr := srv.Stop(); err == nil && serr != nil {
		err = fmt.Errorf("%w\n%s", serr, srv.Tail())
	}
	return err
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
