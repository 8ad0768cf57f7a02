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
	ScenarioFanOut  = "fanout"  // flat out, limited by the window, at each workload of the sweep
	ScenarioLatency = "latency" // paced, at each load of Config.Loads
	ScenarioScale   = "scale"   // idle clients, memory, and a room beside them
	ScenarioSlow    = "slow"    // a member stops reading
	ScenarioBigRoom = "bigroom" // every client in general
)

// scenarios is every scenario, in the order a run takes them. A new
// scenario is a constant above, an entry here (its run function in the
// scenario's own file), a field of StageReport for its result, its
// table in WriteTable and, if it has targets, a rule appended to
// targetRules in an init function of its file.
var scenarios = []scenario{
	{name: ScenarioFanOut, everyRep: true, settings: fanOutSettings, guess: fanOutGuess, run: runFanOutScenario},
	{name: ScenarioLatency, everyRep: true, settings: latencySettings, guess: fanOutGuess, run: runLatency},
	{name: ScenarioScale, label: scaleLabel, guess: scaleGuess, run: runScaleScenario},
	{name: ScenarioSlow, guess: slowGuess, run: runSlow},
	{name: ScenarioBigRoom, label: bigRoomLabel, measures: bigRoomApplies, guess: scaleGuess, run: runBigRoomScenario},
}

func runFanOutScenario(ctx context.Context, cfg Config, x *runArgs) error {
	f := cfg.Room
	f.Rate, f.Prefix = 0, "f"
	f.TextBytes, f.Window = x.Setting.TextBytes, x.Setting.Window
	res, err := RunFanOut(ctx, x.srv, x.t, f)
	if err == nil {
		res.Rep = x.Rep
		x.sr.FanOut = append(x.sr.FanOut, res)
	}
	return err
}

func runLatency(ctx context.Context, cfg Config, x *runArgs) error {
	f := cfg.Room
	f.Rate, f.Prefix = x.Setting.Load, "l"
	res, err := RunFanOut(ctx, x.srv, x.t, f)
	if err == nil {
		res.Rep = x.Rep
		x.sr.Latency = append(x.sr.Latency, res)
	}
	return err
}

func runScaleScenario(ctx context.Context, cfg Config, x *runArgs) (err error) {
	f := cfg.Room
	f.Rate = cfg.ScaleRate
	x.sr.Scale, err = RunScale(ctx, x.srv, x.t, Scale{Clients: cfg.Clients, FanOut: f})
	return err
}

func scaleLabel(cfg Config) string { return fmt.Sprintf("%d clients", cfg.Clients) }

// scaleGuess: about 1000 log-ins a second, the memory settling, then the
// room beside them.
func scaleGuess(cfg Config) time.Duration {
	return time.Duration(cfg.Clients)*time.Millisecond + settleMax + fanOutGuess(cfg)
}

func runSlow(ctx context.Context, cfg Config, x *runArgs) (err error) {
	f := cfg.Room
	f.Rate, f.Prefix, f.Slow = cfg.SlowRate, "s", true
	f.TextBytes, f.SlowTimeout = cfg.SlowTextBytes, cfg.SlowTimeout
	x.sr.Slow, err = RunFanOut(ctx, x.srv, x.t, f)
	return err
}

// slowGuess: the server's queue for the slow member fills in about 2 s,
// and the run goes on for slowTail after.
func slowGuess(cfg Config) time.Duration { return fanOutGuess(cfg) + 3*time.Second }

// Scenarios lists every scenario's name, in the order a run takes them.
var Scenarios = func() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}()

// scenario is one of the scenarios -scenarios names.
type scenario struct {
	name string
	// everyRep: the scenario is measured in every repetition; the others
	// in the first only (they are long, and have no ratio to lean).
	everyRep bool
	// settings lists the runs the scenario makes on each stage in
	// repetition rep (from 1); nil: one run.
	settings func(cfg Config, rep int) []Setting
	// label, if set, names the single run in progress lines.
	label func(cfg Config) string
	// measures says whether the scenario applies to stage st; nil: to
	// every stage.
	measures func(st Stage) bool
	// run makes one run against a server started for it, and keeps the
	// result in x.sr.
	run func(ctx context.Context, cfg Config, x *runArgs) error
	// guess, if set, is about how long a run takes, for the estimate of
	// the time left before the first run of the scenario ends.
	guess func(cfg Config) time.Duration
}

// runOverhead is about what a fan-out run takes beyond its warm-up and
// measured time: a server started, a room logged in, the queues drained.
const runOverhead = 1500 * time.Millisecond

// fanOutGuess is about how long a fan-out run of cfg's room takes.
func fanOutGuess(cfg Config) time.Duration { return cfg.Room.Warmup + cfg.Room.Duration + runOverhead }

// Setting is one run of a scenario that makes several on each stage.
type Setting struct {
	Label     string
	TextBytes int
	Window    int
	Load      float64
}

// runArgs is what a scenario's run gets.
type runArgs struct {
	Rep     int
	Setting Setting
	sr      *StageReport
	srv     *Server
	t       *target
}

func fanOutSettings(cfg Config, rep int) []Setting {
	sweep := cfg.Sweep
	if len(sweep) == 0 {
		sweep = []Workload{{cfg.Room.TextBytes, cfg.Room.Window}}
	}
	out := make([]Setting, len(sweep))
	for i, w := range sweep {
		out[i] = Setting{Label: w.label(), TextBytes: w.TextBytes, Window: w.Window}
	}
	return out
}

// latencySettings are every load in the first repetition, and the loads
// of Config.RepLoads (all when it is nil) in the others.
func latencySettings(cfg Config, rep int) []Setting {
	var out []Setting
	for _, l := range cfg.Loads {
		if rep == 1 || cfg.RepLoads == nil || slices.Contains(cfg.RepLoads, l) {
			out = append(out, Setting{Label: SI(l) + "/s", Load: l})
		}
	}
	return out
}

func lookupScenario(name string) *scenario {
	for i := range scenarios {
		if scenarios[i].name == name {
			return &scenarios[i]
		}
	}
	return nil
}

// Config is one invocation of the load generator.
type Config struct {
	// BinDir holds the server binaries (make build puts them in bin/).
	BinDir string
	// Stages are measured in this order in the first repetition, the
	// order rotated by one stage in each next one. Run adds the lean
	// stage, first, when it is missing: every ratio is taken to it.
	Stages    []Stage
	Scenarios []string
	// Reps is how many times the scenarios that repeat are measured (1
	// if 0).
	Reps int
	// Room is the fan-out room; its Rate is ignored (each scenario sets
	// its own). Its text and window are those of the latency, scale and
	// slow scenarios; the fan-out scenario takes them from Sweep.
	Room FanOut
	// Sweep lists the workloads of the fan-out scenario (Room's text and
	// window if empty).
	Sweep []Workload
	// Loads are the paced loads of the latency scenario, in deliveries per
	// second; RepLoads those measured in every repetition, the others in
	// the first only (nil: every load in every repetition).
	Loads    []float64
	RepLoads []float64
	// Clients is the scale scenario's idle clients.
	Clients int
	// ScaleRate paces the room beside the idle clients (0: flat out).
	ScaleRate float64
	// SlowRate and SlowTextBytes pace the slow-consumer run.
	SlowRate      float64
	SlowTextBytes int
	SlowTimeout   time.Duration
	// Disturbed is the CPU, in cores, other processes may use during a
	// run before it is reported as disturbed (DefaultDisturbed if 0).
	Disturbed float64
	// ProfileDir, if set, gets a CPU profile of the server of every run
	// (servers that take --cpuprofile).
	ProfileDir string
	// Progress receives a line as each run starts and ends.
	Progress io.Writer
}

// Report is the whole result of an invocation.
type Report struct {
	Started time.Time  `json:"started"`
	Seconds float64    `json:"seconds"`
	Machine Machine    `json:"machine"`
	Room    FanOut     `json:"room"`
	Reps    int        `json:"reps"`
	Sweep   []Workload `json:"sweep"`
	Loads   []float64  `json:"loads"`
	// RepLoads are the loads measured in every repetition (all if
	// empty).
	RepLoads []float64 `json:"rep_loads,omitempty"`
	Clients  int       `json:"clients"`
	// LeanAdded: the lean stage was not asked for, and was added to have
	// the ratios.
	LeanAdded bool          `json:"lean_added"`
	Disturbed float64       `json:"disturbed_above_cpus"`
	Stages    []StageReport `json:"stages"`
	// Runs lists every run in the order made, with its background load.
	Runs []RunInfo `json:"runs"`
	// Summary is the fan-out and latency figures with their spread and
	// their ratios to lean (see Summarise); Targets the targets as this
	// invocation measured them.
	Summary  []Summary `json:"summary"`
	Targets  []Target  `json:"targets"`
	Failures int       `json:"failures"`
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

// StageReport is one stage's results. The scenarios that repeat keep
// every run, each with its Rep; the others keep the run of the first
// repetition.
type StageReport struct {
	Stage    string          `json:"stage"`
	Encoding string          `json:"encoding"`
	TLS      bool            `json:"tls"`
	FanOut   []*FanOutResult `json:"fanout,omitempty"`
	Latency  []*FanOutResult `json:"latency,omitempty"`
	Scale    *ScaleResult    `json:"scale,omitempty"`
	Slow     *FanOutResult   `json:"slow,omitempty"`
	BigRoom  *BigRoomResult  `json:"bigroom,omitempty"`
	Errors   []string        `json:"errors,omitempty"`
}

// step is one run of the plan: a scenario's setting on a stage, in a
// repetition.
type step struct {
	rep      int
	stage    int // index in Config.Stages
	scenario *scenario
	setting  Setting
}

// what names the step in progress lines: its stage and its name.
func (s step) what(cfg Config) string { return cfg.Stages[s.stage].Name + " " + s.name(cfg) }

// name names the step in its stage's Errors: the scenario first ("scale,
// 10000 clients (rep 1 of 3)"), so that a target rule finds the errors
// of its scenario.
func (s step) name(cfg Config) string {
	w := s.scenario.name
	switch {
	case s.setting.Label != "":
		w += ", " + s.setting.Label
	case s.scenario.label != nil:
		w += ", " + s.scenario.label(cfg)
	}
	if cfg.Reps > 1 {
		w += fmt.Sprintf(" (rep %d of %d)", s.rep, cfg.Reps)
	}
	return w
}

// plan lists every run cfg makes, in order: repetition by repetition,
// scenario by scenario, setting by setting, each on every stage in turn
// (so that the runs compared with one another are made a minute apart at
// most, while the speed of a virtual machine drifts over minutes), the
// stages' order rotated by one in each repetition (so that no stage is
// always the first after a pause, or always after the same one).
func (cfg Config) plan() []step {
	var p []step
	n := len(cfg.Stages)
	for rep := 1; rep <= max(1, cfg.Reps); rep++ {
		for _, name := range cfg.Scenarios {
			sc := lookupScenario(name)
			if sc == nil || rep > 1 && !sc.everyRep {
				continue
			}
			settings := []Setting{{}}
			if sc.settings != nil {
				settings = sc.settings(cfg, rep)
			}
			for _, set := range settings {
				for i := range n {
					st := (i + rep - 1) % n
					if sc.measures != nil && !sc.measures(cfg.Stages[st]) {
						continue
					}
					p = append(p, step{rep: rep, stage: st, scenario: sc, setting: set})
				}
			}
		}
	}
	return p
}

// Plan lists the runs Run would make for cfg (lean added if missing), in
// order, and about how long they would take (0 when a scenario has no
// guess).
func Plan(cfg Config) ([]string, time.Duration) {
	cfg.Reps = max(1, cfg.Reps)
	cfg.Stages, _ = withLean(cfg.Stages)
	var out []string
	var all time.Duration
	known := true
	for _, s := range cfg.plan() {
		out = append(out, s.what(cfg))
		if s.scenario.guess == nil {
			known = false
			continue
		}
		all += s.scenario.guess(cfg)
	}
	if !known {
		all = 0
	}
	return out, all
}

// withLean returns stages with the lean stage first if it is missing.
func withLean(stages []Stage) ([]Stage, bool) {
	if slices.ContainsFunc(stages, func(s Stage) bool { return s.Name == LeanStage }) {
		return stages, false
	}
	return append([]Stage{leanStage()}, stages...), true
}

// Run measures every scenario of cfg on every stage of cfg, each run
// against a server process of its own, and returns the report. A run
// that fails is noted in its stage's Errors and the others go on; an
// unknown scenario is an error before anything runs.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	for _, sc := range cfg.Scenarios {
		if lookupScenario(sc) == nil {
			return nil, fmt.Errorf("%w: unknown scenario %q (scenarios: %s)", ErrConfig, sc, strings.Join(Scenarios, " "))
		}
	}
	cfg.Reps = max(1, cfg.Reps)
	if cfg.Disturbed <= 0 {
		cfg.Disturbed = DefaultDisturbed
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	var added bool
	cfg.Stages, added = withLean(cfg.Stages)
	if added {
		fmt.Fprintf(progress, "bench: stage lean added: every figure is also given as a ratio to lean's in the same repetition\n")
	}
	rep := &Report{Started: time.Now(), Machine: machine(), Room: cfg.Room, Reps: cfg.Reps, Sweep: cfg.Sweep,
		Loads: cfg.Loads, RepLoads: cfg.RepLoads, Clients: cfg.Clients, LeanAdded: added, Disturbed: cfg.Disturbed}
	rep.Machine.WriteBefore = calibrate()
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
	plan := cfg.plan()
	keys := make([]string, len(plan))
	guess := make([]time.Duration, len(plan))
	for i, s := range plan {
		keys[i] = s.scenario.name
		if s.scenario.guess != nil {
			guess[i] = s.scenario.guess(cfg)
		}
	}
	steps := newSteps(progress, keys, guess, time.Now)
	steps.begin()
	for _, s := range plan {
		sr, st := &reports[s.stage], cfg.Stages[s.stage]
		what := s.what(cfg)
		info := RunInfo{Rep: s.rep, Stage: st.Name, Scenario: s.scenario.name, Setting: s.setting.Label}
		if err := ctx.Err(); err != nil {
			sr.Errors = append(sr.Errors, fmt.Sprintf("%s: %v", s.name(cfg), err))
			info.Error = err.Error()
			rep.Runs = append(rep.Runs, info)
			steps.skip(what, err)
			continue
		}
		steps.start(what)
		name := s.scenario.name
		if s.setting.Label != "" {
			name += " " + s.setting.Label
		}
		if cfg.Reps > 1 {
			name += fmt.Sprintf(" rep %d", s.rep)
		}
		usage, took, err := runOne(ctx, cfg, st, scratch[s.stage], name, func(srv *Server, t *target) error {
			return s.scenario.run(ctx, cfg, &runArgs{Rep: s.rep, Setting: s.setting, sr: sr, srv: srv, t: t})
		})
		info.Seconds, info.CPU = took.Seconds(), usage
		info.Disturbed = usage.Others > cfg.Disturbed
		if err != nil {
			sr.Errors = append(sr.Errors, fmt.Sprintf("%s: %v", s.name(cfg), err))
			info.Error = err.Error()
		}
		rep.Runs = append(rep.Runs, info)
		steps.end(what, err)
		fmt.Fprint(progress, info.warning(what))
	}
	for _, sr := range reports {
		rep.Failures += len(sr.Errors)
	}
	rep.Stages = reports
	rep.Machine.WriteAfter = calibrate()
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.Summary = Summarise(rep)
	rep.Targets = Targets(rep)
	return rep, nil
}

// runOne runs one scenario against a new server process.
// It returns the CPU used from the server's start to its stop, and how
// long that was.
func runOne(ctx context.Context, cfg Config, st Stage, scratch, name string, f func(*Server, *target) error) (Usage, time.Duration, error) {
	var extra []string
	if cfg.ProfileDir != "" && st.Profile {
		file := strings.NewReplacer(" ", "-", ",", "", "/", "per").Replace(st.Name + "-" + name + ".pprof")
		abs, err := filepath.Abs(filepath.Join(cfg.ProfileDir, file))
		if err != nil {
			return Usage{}, 0, err
		}
		extra = append(extra, "--cpuprofile", abs)
	}
	bin, err := filepath.Abs(cfg.BinDir)
	if err != nil {
		return Usage{}, 0, err
	}
	srv, err := StartServer(ctx, st, bin, scratch, extra...)
	if err != nil {
		return Usage{}, 0, err
	}
	before := sampleCPU(srv)
	t := &target{stage: st, addr: srv.Addr}
	if st.TLS {
		if t.tls, err = certs.ClientTLS("127.0.0.1", filepath.Join(scratch, "server.crt"), false); err != nil {
			srv.Stop()
			return Usage{}, 0, err
		}
	}
	err = f(srv, t)
	after := sampleCPU(srv)
	if serr := srv.Stop(); err == nil && serr != nil {
		err = fmt.Errorf("%w\n%s", serr, srv.Tail())
	}
	return usageBetween(before, after), after.at.Sub(before.at), err
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
