// Command bench is ChatLab's load generator: it starts each stage's
// server binary in a process of its own, drives it from this one over
// 127.0.0.1, and reports delivered messages per second, end-to-end
// latency, lost messages, memory per connection and what becomes of a
// slow consumer, the stages side by side. `make bench` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"chatlab/bench/loadgen"
)

func usage() {
	fmt.Fprintf(os.Stdout, `usage: bench [flags]

Measures the chat servers built in -bin (make build) under load: a fan-out
room flat out at each text size and window of -sweep, the same room paced
at each load of -loads, -clients idle clients beside it, and a member that
stops reading. Every server runs in a process of its own; every connection
goes to 127.0.0.1. The lean stage is always measured (added first if
-stages lacks it), and every fan-out and latency figure is also given as a
ratio to lean's in the same repetition. The fan-out runs, and the latency
runs at the loads of -rep-loads, are repeated -reps times, the stages'
order rotated in each repetition; the tables give median (min–max). The
CPU other processes take is recorded for every run, and a run in which
they took more than -disturbed CPUs is flagged. The targets close the
output, and are in the JSON report.

Stages: %s (ClassChat's are task4 and the bonuses; lean is
a fan-out loop with no chat logic, the floor the others are measured against).
Scenarios: %s.

Flags:
`, loadgen.StageNames(), strings.Join(loadgen.Scenarios, " "))
	flag.CommandLine.SetOutput(os.Stdout)
	flag.PrintDefaults()
}

func main() {
	// The lean server, the floor the stages are compared with, is this
	// binary too: the generator runs itself as it (stage "lean").
	if len(os.Args) == 3 && os.Args[1] == "-serve-lean" {
		if err := loadgen.ServeLean(os.Args[2]); err != nil {
			fail(1, err)
		}
		return
	}
	os.Exit(run())
}

func run() int {
	flag.Usage = usage
	var (
		bin       = flag.String("bin", "bin", "folder of the server binaries")
		stages    = flag.String("stages", "v1,v3,v4", "stages to measure, separated by commas or spaces")
		scenarios = flag.String("scenarios", strings.Join(loadgen.Scenarios, ","), "scenarios to run")
		members   = flag.Int("n", 100, "members of the fan-out room")
		pubs      = flag.Int("p", 4, "publishers among them")
		window    = flag.Int("window", 64, "messages a publisher may have unacknowledged (latency, scale and slow scenarios)")
		text      = flag.Int("text", 32, fmt.Sprintf("bytes of text of a load message (%d at least; latency and scale scenarios)", loadgen.MinTextBytes))
		sweep     = flag.String("sweep", workloads(loadgen.DefaultSweep), "text/window workloads of the fan-out scenario, separated by commas (-text and -window alone: theirs)")
		reps      = flag.Int("reps", 3, "repetitions of the fan-out runs and of the latency runs at -rep-loads")
		repLoads  = flag.String("rep-loads", "200k", "loads of the latency scenario measured in every repetition, the others in the first only (\"all\": every load)")
		disturbed = flag.Float64("disturbed", loadgen.DefaultDisturbed, "CPUs other processes may use during a run before it is flagged as disturbed")
		duration  = flag.Duration("duration", 3*time.Second, "measured time of each run")
		warmup    = flag.Duration("warmup", time.Second, "time before each run is measured")
		loads     = flag.String("loads", "50k,100k,200k,400k,800k,1.6M", "paced loads of the latency scenario, deliveries/s")
		clients   = flag.Int("clients", 10000, fmt.Sprintf("idle clients of the scale scenario (at most %d)", loadgen.MaxClients))
		scaleRate = flag.String("scale-load", "200k", "load of the room beside the idle clients, deliveries/s (0: flat out)")
		slowRate  = flag.String("slow-load", "200k", "load of the slow-consumer run, deliveries/s")
		slowText  = flag.Int("slow-text", 1024, "bytes of text of the slow-consumer run")
		slowMax   = flag.Duration("slow-timeout", 20*time.Second, "how long to wait for the slow consumer to be cut off")
		out       = flag.String("out", "bin/lab/bench/bench.json", "the JSON report (\"\" for none)")
		plot      = flag.String("plot", "bin/lab/bench/latency.svg", "the plot of latency against load (\"\" for none)")
		profile   = flag.String("profile", "", "folder for a CPU profile of each server run (go tool pprof)")
		selfProf  = flag.String("cpuprofile", "", "write a CPU profile of the load generator itself to this file")
		timeout   = flag.Duration("timeout", 30*time.Minute, "bound on the whole invocation")
		quiet     = flag.Bool("q", false, "no progress lines")
		dry       = flag.Bool("plan", false, "list the runs, and about how long they would take, and measure nothing")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		fail(2, fmt.Errorf("unexpected argument %q", flag.Arg(0)))
	}
	st, err := loadgen.LookupStages(*stages)
	if err != nil {
		fail(2, err)
	}
	if *reps < 1 {
		fail(2, errors.New("-reps: 1 at least"))
	}
	cfg := loadgen.Config{
		BinDir:    *bin,
		Stages:    st,
		Reps:      *reps,
		Disturbed: *disturbed,
		Room: loadgen.FanOut{Members: *members, Publishers: *pubs, Window: *window, TextBytes: *text,
			Warmup: *warmup, Duration: *duration},
		Clients:       *clients,
		SlowTextBytes: *slowText,
		SlowTimeout:   *slowMax,
		ProfileDir:    *profile,
	}
	for _, s := range strings.FieldsFunc(*scenarios, func(r rune) bool { return r == ',' || r == ' ' }) {
		cfg.Scenarios = append(cfg.Scenarios, s)
	}
	if cfg.Loads, err = parseRates(*loads); err != nil {
		fail(2, err)
	}
	if cfg.Sweep, err = loadgen.ParseSweep(*sweep); err != nil {
		fail(2, err)
	}
	// -text or -window without -sweep: the fan-out runs that workload
	// alone, as the other scenarios do.
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if (set["text"] || set["window"]) && !set["sweep"] {
		cfg.Sweep = []loadgen.Workload{{TextBytes: *text, Window: *window}}
	}
	if *repLoads != "all" {
		if cfg.RepLoads, err = parseRates(*repLoads); err != nil {
			fail(2, err)
		}
		if cfg.RepLoads == nil {
			cfg.RepLoads = []float64{} // none repeated
		}
	}
	if cfg.ScaleRate, err = parseRate(*scaleRate); err != nil {
		fail(2, err)
	}
	if cfg.SlowRate, err = parseRate(*slowRate); err != nil {
		fail(2, err)
	}
	if *dry {
		runs, took := loadgen.Plan(cfg)
		for i, r := range runs {
			fmt.Printf("%d. %s\n", i+1, r)
		}
		if took > 0 {
			fmt.Printf("%d runs, about %s\n", len(runs), took.Round(time.Second))
		}
		return 0
	}
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	if *selfProf != "" {
		f, err := os.Create(*selfProf)
		if err != nil {
			fail(1, err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(1, err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return complain(1, err)
	}
	loadgen.WriteTable(os.Stdout, rep)
	if *out != "" {
		if err := loadgen.WriteJSON(*out, rep); err != nil {
			return complain(1, err)
		}
		fmt.Printf("JSON report: %s\n", *out)
	}
	if *plot != "" {
		if err := loadgen.WritePlot(*plot, rep); err != nil {
			return complain(1, err)
		}
		fmt.Printf("latency plot: %s\n", *plot)
	}
	if rep.Failures > 0 {
		return 1
	}
	return 0
}

func workloads(ws []loadgen.Workload) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.String()
	}
	return strings.Join(s, ",")
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		v, err := parseRate(f)
		if err != nil {
			return nil, err
		}
		if v <= 0 {
			return nil, errors.New("a paced load must be above 0")
		}
		out = append(out, v)
	}
	return out, nil
}

// parseRate reads a rate such as 200000, 200k or 1.6M.
func parseRate(s string) (float64, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, strings.TrimSuffix(s, "M")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a rate (such as 200000, 200k or 1.6M)", s)
	}
	return v * mult, nil
}

func fail(code int, err error) {
	os.Exit(complain(code, err))
}

func complain(code int, err error) int {
	fmt.Fprintln(os.Stderr, "bench:", err)
	return code
}
