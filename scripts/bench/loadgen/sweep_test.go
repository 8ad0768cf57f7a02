package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpreadOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want Spread
	}{
		{name: "none", in: nil, want: Spread{}},
		{name: "one", in: []float64{2}, want: Spread{N: 1, Min: 2, Median: 2, Max: 2}},
		{name: "odd, unsorted", in: []float64{3, 1, 2}, want: Spread{N: 3, Min: 1, Median: 2, Max: 3}},
		{name: "even: the mean of the middle two", in: []float64{4, 1, 3, 2}, want: Spread{N: 4, Min: 1, Median: 2.5, Max: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, spreadOf(tc.in)) })
	}
	assert.Equal(t, "0.90× (0.75–1.10)", Spread{N: 3, Min: 0.75, Median: 0.9, Max: 1.1}.ratio())
	assert.Equal(t, "0.90×", Spread{N: 1, Min: 0.9, Median: 0.9, Max: 0.9}.ratio())
	assert.Equal(t, "-", Spread{}.ratio())
	assert.Equal(t, "2M (1M–3M)", Spread{N: 2, Min: 1e6, Median: 2e6, Max: 3e6}.with(SI))
}

func TestParseSweep(t *testing.T) {
	w, err := ParseSweep("32/64, 128/256,32/64")
	require.NoError(t, err)
	assert.Equal(t, []Workload{{32, 64}, {128, 256}}, w)
	for _, bad := range []string{"", "32", "32/0", "1/64", "5000/64", "a/b"} {
		_, err := ParseSweep(bad)
		assert.ErrorIs(t, err, ErrConfig, bad)
	}
}

// The plan: lean added first; repetition by repetition; the stages'
// order rotated by one in each; the fan-out sweep and the repeated loads
// in every repetition, the other loads and the scale scenario in the
// first only.
func TestPlanRepeatsAndRotates(t *testing.T) {
	stages, added := withLean([]Stage{{Name: "v1"}, {Name: "v3"}})
	require.True(t, added)
	again, added := withLean(stages)
	assert.False(t, added)
	assert.Len(t, again, 3)
	cfg := Config{Stages: stages, Reps: 2, Scenarios: []string{ScenarioFanOut, ScenarioLatency, ScenarioScale},
		Sweep: []Workload{{32, 64}, {128, 256}}, Loads: []float64{100e3, 200e3}, RepLoads: []float64{200e3}, Clients: 10}
	var got []string
	for _, s := range cfg.plan() {
		got = append(got, s.what(cfg))
	}
	assert.Equal(t, []string{
		"lean fanout, text 32, window 64 (rep 1 of 2)", "v1 fanout, text 32, window 64 (rep 1 of 2)", "v3 fanout, text 32, window 64 (rep 1 of 2)",
		"lean fanout, text 128, window 256 (rep 1 of 2)", "v1 fanout, text 128, window 256 (rep 1 of 2)", "v3 fanout, text 128, window 256 (rep 1 of 2)",
		"lean latency, 100k/s (rep 1 of 2)", "v1 latency, 100k/s (rep 1 of 2)", "v3 latency, 100k/s (rep 1 of 2)",
		"lean latency, 200k/s (rep 1 of 2)", "v1 latency, 200k/s (rep 1 of 2)", "v3 latency, 200k/s (rep 1 of 2)",
		"lean scale, 10 clients (rep 1 of 2)", "v1 scale, 10 clients (rep 1 of 2)", "v3 scale, 10 clients (rep 1 of 2)",
		"v1 fanout, text 32, window 64 (rep 2 of 2)", "v3 fanout, text 32, window 64 (rep 2 of 2)", "lean fanout, text 32, window 64 (rep 2 of 2)",
		"v1 fanout, text 128, window 256 (rep 2 of 2)", "v3 fanout, text 128, window 256 (rep 2 of 2)", "lean fanout, text 128, window 256 (rep 2 of 2)",
		"v1 latency, 200k/s (rep 2 of 2)", "v3 latency, 200k/s (rep 2 of 2)", "lean latency, 200k/s (rep 2 of 2)",
	}, got)

	// RepLoads nil: every load in every repetition; one rep: no "(rep".
	cfg.RepLoads, cfg.Reps, cfg.Scenarios = nil, 1, []string{ScenarioLatency}
	assert.Len(t, cfg.plan(), 6)
	assert.Equal(t, "lean latency, 100k/s", cfg.plan()[0].what(cfg))
	cfg.Reps = 3
	assert.Len(t, cfg.plan(), 18)

	// Plan adds lean, and sums the guesses.
	cfg.Stages = []Stage{{Name: "v3"}}
	cfg.Room.Warmup, cfg.Room.Duration = time.Second, 2*time.Second
	runs, took := Plan(cfg)
	assert.Len(t, runs, 12)
	assert.Equal(t, "lean latency, 100k/s (rep 1 of 3)", runs[0])
	assert.Equal(t, 12*(3*time.Second+runOverhead), took)
}

// fakeRun is a fan-out result with the figures the summaries read.
func fakeRun(rep int, text, window int, offered, perSecond, p99 float64) *FanOutResult {
	return &FanOutResult{Rep: rep, TextBytes: text, Window: window, Offered: offered, PerSecond: perSecond,
		Latency: Latency{Count: 1000, P50: p99 / 4, P99: p99}}
}

// fakeReport: lean and v3, three repetitions of the fan-out at 128/256
// and of the latency at 200k; v1 only fan-out; v4 not run. The ratios
// rep by rep (0.9, 1.1, 0.75) differ from the ratio of the medians
// (2.2M / 2M = 1.1): the summaries must take them rep by rep.
func fakeReport() *Report {
	rep := &Report{Reps: 3, Disturbed: DefaultDisturbed}
	lean := StageReport{Stage: "lean", Encoding: "binary"}
	v3 := StageReport{Stage: "v3", Encoding: "binary"}
	v1 := StageReport{Stage: "v1", Encoding: "json"}
	leanRate := []float64{1e6, 2e6, 4e6}
	v3Rate := []float64{0.9e6, 2.2e6, 3e6}
	leanP99 := []float64{3000, 2000, 4000}
	v3P99 := []float64{3300, 3000, 4800} // 1.1, 1.5, 1.2
	for i := range 3 {
		r := i + 1
		lean.FanOut = append(lean.FanOut, fakeRun(r, 128, 256, 0, leanRate[i], 10000))
		v3.FanOut = append(v3.FanOut, fakeRun(r, 128, 256, 0, v3Rate[i], 20000))
		v1.FanOut = append(v1.FanOut, fakeRun(r, 128, 256, 0, leanRate[i]/2, 20000))
		lean.Latency = append(lean.Latency, fakeRun(r, 32, 64, 200e3, 200e3, leanP99[i]))
		v3.Latency = append(v3.Latency, fakeRun(r, 32, 64, 200e3, 200e3, v3P99[i]))
		for _, s := range []string{"lean", "v3", "v1"} {
			rep.Runs = append(rep.Runs, RunInfo{Rep: r, Stage: s, Scenario: ScenarioFanOut, Setting: "text 128, window 256"})
		}
		for _, s := range []string{"lean", "v3"} {
			rep.Runs = append(rep.Runs, RunInfo{Rep: r, Stage: s, Scenario: ScenarioLatency, Setting: "200k/s"})
		}
	}
	// v1's second fan-out run was disturbed.
	rep.Runs[2+5].Disturbed, rep.Runs[2+5].CPU.Others = true, 0.4
	rep.Stages = []StageReport{lean, v1, v3}
	return rep
}

func TestSummariseTakesRatiosRepByRep(t *testing.T) {
	rep := fakeReport()
	sum := Summarise(rep)
	require.Len(t, sum, 5) // fan-out: lean v1 v3; latency: lean v3
	v3 := findSummaryIn(sum, "v3", ScenarioFanOut)
	require.NotNil(t, v3)
	assert.Equal(t, "text 128, window 256", v3.Setting)
	assert.Equal(t, 3, v3.Runs)
	assert.Equal(t, Spread{N: 3, Min: 0.9e6, Median: 2.2e6, Max: 3e6}, v3.PerSecond)
	assert.InDelta(t, 0.9, v3.RateRatio.Median, 1e-9)
	assert.InDelta(t, 0.75, v3.RateRatio.Min, 1e-9)
	assert.InDelta(t, 1.1, v3.RateRatio.Max, 1e-9)
	assert.Zero(t, v3.Disturbed)

	v1 := findSummaryIn(sum, "v1", ScenarioFanOut)
	require.NotNil(t, v1)
	assert.Equal(t, Spread{N: 3, Min: 0.5, Median: 0.5, Max: 0.5}, v1.RateRatio)
	assert.Equal(t, 1, v1.Disturbed)

	lat := findSummaryIn(sum, "v3", ScenarioLatency)
	require.NotNil(t, lat)
	assert.Equal(t, "200k/s", lat.Setting)
	assert.InDelta(t, 1.2, lat.P99Ratio.Median, 1e-9)
	assert.InDelta(t, 1.1, lat.P99Ratio.Min, 1e-9)
	assert.InDelta(t, 1.5, lat.P99Ratio.Max, 1e-9)

	// A repetition in which lean failed has no ratio.
	rep.Stages[0].FanOut = rep.Stages[0].FanOut[:2]
	v3 = findSummaryIn(Summarise(rep), "v3", ScenarioFanOut)
	assert.Equal(t, 3, v3.Runs)
	assert.Equal(t, 2, v3.RateRatio.N)
}

func findSummaryIn(sum []Summary, stage, scenario string) *Summary {
	return findSummary(&Report{Summary: sum}, stage, scenario, func(Summary) bool { return true })
}

func targetNamed(t *testing.T, targets []Target, prefix string) Target {
	t.Helper()
	for _, tg := range targets {
		if strings.HasPrefix(tg.Name, prefix) {
			return tg
		}
	}
	t.Fatalf("no target %q in %+v", prefix, targets)
	return Target{}
}

func TestTargetsOfTheWritePath(t *testing.T) {
	rep := fakeReport()
	rep.Summary = Summarise(rep)
	targets := Targets(rep)

	v3 := targetNamed(t, targets, "v3 fan-out, 128-byte texts, window 256: ≥ 0.9× lean")
	assert.Equal(t, TargetMet, v3.State)
	assert.Equal(t, "0.90× (min 0.75, max 1.10, 3 reps)", v3.Measured)

	v1 := targetNamed(t, targets, "v1 fan-out, 128-byte texts, window 256: ≥ 0.6× lean")
	assert.Equal(t, TargetNotMet, v1.State)
	assert.Equal(t, "1 of 3 runs disturbed by other processes", v1.Why)

	v4 := targetNamed(t, targets, "v4 fan-out, 128-byte texts")
	assert.Equal(t, TargetNotMeasured, v4.State)
	assert.Equal(t, "stage v4 not run", v4.Why)

	small := targetNamed(t, targets, "v3 fan-out, 32-byte texts, window 64")
	assert.Equal(t, TargetNotMeasured, small.State)
	assert.Contains(t, small.Why, "-sweep")

	p99 := targetNamed(t, targets, "v3 p99 at 200k deliveries/s: ≤ 1.3× lean's p99")
	assert.Equal(t, TargetMet, p99.State)
	assert.Equal(t, "1.20× (min 1.10, max 1.50, 3 reps)", p99.Measured)
	assert.Empty(t, p99.Why)

	// Lean cut members off: the ratio stands, with a warning.
	rep.Stages[0].Latency[1].CutOff = 7
	rep.Summary = Summarise(rep)
	p99 = targetNamed(t, Targets(rep), "v3 p99")
	assert.Equal(t, "lean cut off 7 members (its queue filled): its figure is not the machine's", p99.Why)

	// Above 1.3 at the median: not met.
	rep.Stages[2].Latency[0].Latency.P99 = 3000 * 1.4
	rep.Stages[2].Latency[2].Latency.P99 = 4000 * 1.4
	rep.Summary = Summarise(rep)
	assert.Equal(t, TargetNotMet, targetNamed(t, Targets(rep), "v3 p99").State)

	// No latency scenario: not measured, and said why.
	for i := range rep.Stages {
		rep.Stages[i].Latency = nil
	}
	var runs []RunInfo
	for _, r := range rep.Runs {
		if r.Scenario != ScenarioLatency {
			runs = append(runs, r)
		}
	}
	rep.Runs = runs
	rep.Summary = Summarise(rep)
	p99 = targetNamed(t, Targets(rep), "v3 p99")
	assert.Equal(t, TargetNotMeasured, p99.State)
	assert.Equal(t, "scenario latency not run", p99.Why)
}

func TestUsageBetween(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := cpuSample{at: t0, server: time.Second, gen: time.Second, all: 10 * time.Second, irqs: time.Second}
	b := cpuSample{at: t0.Add(2 * time.Second), server: 2 * time.Second, gen: 2200 * time.Millisecond,
		all: 13600 * time.Millisecond, irqs: 1400 * time.Millisecond}
	u := usageBetween(a, b)
	assert.InDelta(t, 0.5, u.Server, 1e-9)
	assert.InDelta(t, 0.6, u.Generator, 1e-9)
	assert.InDelta(t, 1.8, u.Machine, 1e-9)
	assert.InDelta(t, 0.2, u.SoftIRQ, 1e-9)
	assert.InDelta(t, 0.5, u.Others, 1e-9)
	// The counters tick at different times: never below zero.
	b.all = 12 * time.Second
	assert.Zero(t, usageBetween(a, b).Others)
	assert.Equal(t, Usage{}, usageBetween(a, a))

	quiet := RunInfo{CPU: Usage{Others: 0.05}}
	assert.Empty(t, quiet.warning("v3 fanout"))
	loud := RunInfo{Disturbed: true, CPU: Usage{Others: 0.5, Server: 0.9, Generator: 0.8}}
	assert.Equal(t, "bench: warning: other processes used 0.50 CPUs during v3 fanout (server 0.90, generator 0.80): its figures are disturbed\n",
		loud.warning("v3 fanout"))
}

// The table: lean's rows are the reference, the others' carry their
// ratio with its spread; the disturbed runs are named; the targets close
// it.
func TestWriteTableRatiosBackgroundTargets(t *testing.T) {
	rep := fakeReport()
	rep.Summary = Summarise(rep)
	rep.Targets = Targets(rep)
	var b bytes.Buffer
	WriteTable(&b, rep)
	out := b.String()
	fan := sectionOf(t, out, "Fan-out, flat out")
	assert.Regexp(t, `\| 128/256 +\| lean +\| binary +\| 2M \(1M–4M\) +\| ref `, fan)
	assert.Regexp(t, `\| 128/256 +\| v3 +\| binary +\| 2.2M \(900k–3M\) +\| 0.90× \(0.75–1.10\) `, fan)
	lat := sectionOf(t, out, "Latency against load")
	assert.Regexp(t, `\| 200k/s +\| v3 .*\| 1.20× \(1.10–1.50\) `, lat)
	assert.Contains(t, out, "Note: other processes used more than 0.10 CPUs during 1 of 15 runs (up to 0.40): those figures are disturbed: v1 fanout text 128, window 256 rep 2 (0.40).")
	targets := sectionOf(t, out, "Targets")
	assert.Regexp(t, `\| v3 fan-out, 128-byte texts, window 256: ≥ 0.9× lean +\| 0.90× \(min 0.75, max 1.10, 3 reps\) +\| met `, targets)
	assert.Contains(t, out, fmt.Sprintf("2 of %d targets met.", len(rep.Targets)))
	// The targets are the last table.
	assert.Greater(t, strings.Index(out, "Targets"), strings.Index(out, "Note: other processes"))
}

// Test: an invocation cut short before its first run: every run is
// skipped, each error named after its scenario and repetition (target
// rules look for their scenario's), and the targets say why they were
// not measured.
func TestRunCancelled(t *testing.T) {
	stages, err := LookupStages("v3")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := Config{BinDir: t.TempDir(), Stages: stages, Reps: 2, Scenarios: []string{ScenarioFanOut, ScenarioScale},
		Room: smallRoom(), Sweep: []Workload{{128, 256}}, Clients: 5}
	rep, err := Run(ctx, cfg)
	require.NoError(t, err)
	require.Len(t, rep.Stages, 2)
	assert.Equal(t, []string{
		"fanout, text 128, window 256 (rep 1 of 2): context canceled",
		"scale, 5 clients (rep 1 of 2): context canceled",
		"fanout, text 128, window 256 (rep 2 of 2): context canceled",
	}, rep.Stages[1].Errors)
	assert.Equal(t, 6, rep.Failures)
	assert.Len(t, rep.Runs, 6)
	v3 := targetNamed(t, rep.Targets, "v3 fan-out, 128-byte texts")
	assert.Equal(t, TargetNotMeasured, v3.State)
	assert.Equal(t, "failed: context canceled", v3.Why)
}
