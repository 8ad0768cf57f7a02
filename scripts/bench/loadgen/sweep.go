package loadgen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Workload is one point of the fan-out sweep: the size of a load
// message's text and the publishers' window of unacknowledged messages.
// Deep queues come from a large window, long frames from a large text:
// the sweep shows whether a server's cost per delivery grows with them.
type Workload struct {
	TextBytes int `json:"text_bytes"`
	Window    int `json:"window"`
}

// DefaultSweep is the fan-out sweep of make bench: the settings the bench
// used before (32-byte texts, a window of 64) and the deep-queue workload
// of the write path's targets (128-byte texts, a window of 256).
var DefaultSweep = []Workload{{32, 64}, {128, 256}}

func (w Workload) String() string { return fmt.Sprintf("%d/%d", w.TextBytes, w.Window) }

// label is how tables and progress lines name the workload.
func (w Workload) label() string { return fmt.Sprintf("text %d, window %d", w.TextBytes, w.Window) }

// ParseSweep reads a sweep written as text/window pairs separated by
// commas or spaces: "32/64,128/256".
func ParseSweep(s string) ([]Workload, error) {
	var out []Workload
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		t, w, ok := strings.Cut(f, "/")
		text, err1 := strconv.Atoi(t)
		window, err2 := strconv.Atoi(w)
		if !ok || err1 != nil || err2 != nil || text < MinTextBytes || text > 4096 || window < 1 {
			return nil, fmt.Errorf("%w: %q is not text/window (such as 128/256; text of %d to 4096 bytes, window 1 at least)",
				ErrConfig, f, MinTextBytes)
		}
		wl := Workload{TextBytes: text, Window: window}
		if !slices.Contains(out, wl) {
			out = append(out, wl)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: an empty sweep", ErrConfig)
	}
	return out, nil
}

// Spread is a figure measured in N runs: the least, the median and the
// greatest.
type Spread struct {
	N      int     `json:"n"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// spreadOf summarises v; the median of an even count is the mean of the
// two middle values.
func spreadOf(v []float64) Spread {
	if len(v) == 0 {
		return Spread{}
	}
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Spread{N: n, Min: s[0], Median: med, Max: s[n-1]}
}

// ratio writes a spread of ratios: "0.97× (0.91–1.02)", the spread left
// out when there is one run.
func (s Spread) ratio() string {
	switch s.N {
	case 0:
		return "-"
	case 1:
		return fmt.Sprintf("%.2f×", s.Median)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", s.Median, s.Min, s.Max)
}

// with writes a spread with format: "3.1M (2.9M–3.3M)".
func (s Spread) with(format func(float64) string) string {
	switch s.N {
	case 0:
		return "-"
	case 1:
		return format(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", format(s.Median), format(s.Min), format(s.Max))
}

// Summary is one figure group of the fan-out or latency scenario for one
// stage: every repetition of one setting, and its ratios to the lean
// server measured in the same repetition with the same setting.
type Summary struct {
	Stage    string `json:"stage"`
	Scenario string `json:"scenario"`
	// Setting names the runs: "text 128, window 256" or "200k/s".
	Setting   string  `json:"setting"`
	TextBytes int     `json:"text_bytes"`
	Window    int     `json:"window"`
	Offered   float64 `json:"offered_per_s"`
	Runs      int     `json:"runs"`
	// Disturbed counts the runs during which other processes used more
	// than Config.Disturbed CPUs.
	Disturbed int    `json:"disturbed"`
	PerSecond Spread `json:"delivered_per_s"`
	P50       Spread `json:"p50_us"`
	P99       Spread `json:"p99_us"`
	// RateRatio and P99Ratio are this stage's delivered/s and p99 over
	// lean's, rep by rep: one ratio for each repetition in which both
	// were measured. Lean's own are 1.
	RateRatio Spread `json:"delivered_ratio"`
	P99Ratio  Spread `json:"p99_ratio"`
	ServerCPU Spread `json:"server_cpu"`
	Lost      uint64 `json:"lost"`
	CutOff    int    `json:"cut_off"`
}

// LeanStage is the name of the reference stage every ratio is taken to.
const LeanStage = "lean"

// settingKey identifies the runs that are compared: same scenario, same
// workload, same offered load, same repetition.
type settingKey struct {
	scenario     string
	text, window int
	offered      float64
	rep          int
}

func keyOf(scenario string, f *FanOutResult) settingKey {
	return settingKey{scenario: scenario, text: f.TextBytes, window: f.Window, offered: f.Offered}
}

func settingLabel(scenario string, f *FanOutResult) string {
	if scenario == ScenarioLatency {
		return SI(f.Offered) + "/s"
	}
	return Workload{f.TextBytes, f.Window}.label()
}

// Summarise groups the fan-out and latency runs of rep by stage and
// setting, and computes each run's ratios to the lean server's run of
// the same repetition and setting. The summaries come scenario by
// scenario, setting by setting (in the order first measured), the stages
// in report order.
func Summarise(rep *Report) []Summary {
	type group struct {
		scenario string
		key      settingKey
		label    string
	}
	var groups []group
	lean := map[settingKey]*FanOutResult{} // by setting and rep
	results := func(s StageReport, scenario string) []*FanOutResult {
		if scenario == ScenarioLatency {
			return s.Latency
		}
		return s.FanOut
	}
	for _, scenario := range []string{ScenarioFanOut, ScenarioLatency} {
		for _, s := range rep.Stages {
			for _, f := range results(s, scenario) {
				k := keyOf(scenario, f)
				if !slices.ContainsFunc(groups, func(g group) bool { return g.key == k }) {
					groups = append(groups, group{scenario, k, settingLabel(scenario, f)})
				}
				if s.Stage == LeanStage {
					k.rep = f.Rep
					lean[k] = f
				}
			}
		}
	}
	disturbed := map[[3]string]int{}
	for _, r := range rep.Runs {
		if r.Disturbed {
			disturbed[[3]string{r.Stage, r.Scenario, r.Setting}]++
		}
	}
	var out []Summary
	for _, g := range groups {
		for _, s := range rep.Stages {
			var rate, p50, p99, rateRatio, p99Ratio, cpu []float64
			sum := Summary{Stage: s.Stage, Scenario: g.scenario, Setting: g.label, TextBytes: g.key.text,
				Window: g.key.window, Offered: g.key.offered}
			for _, f := range results(s, g.scenario) {
				if keyOf(g.scenario, f) != g.key {
					continue
				}
				sum.Runs++
				sum.Lost += f.Lost
				sum.CutOff += f.CutOff
				rate = append(rate, f.PerSecond)
				cpu = append(cpu, f.ServerCPU)
				if f.Latency.Count > 0 {
					p50 = append(p50, f.Latency.P50)
					p99 = append(p99, f.Latency.P99)
				}
				k := g.key
				k.rep = f.Rep
				if l := lean[k]; l != nil {
					if l.PerSecond > 0 {
						rateRatio = append(rateRatio, f.PerSecond/l.PerSecond)
					}
					if l.Latency.P99 > 0 && f.Latency.Count > 0 {
						p99Ratio = append(p99Ratio, f.Latency.P99/l.Latency.P99)
					}
				}
			}
			if sum.Runs == 0 {
				continue
			}
			sum.Disturbed = disturbed[[3]string{s.Stage, g.scenario, g.label}]
			sum.PerSecond, sum.P50, sum.P99 = spreadOf(rate), spreadOf(p50), spreadOf(p99)
			sum.RateRatio, sum.P99Ratio, sum.ServerCPU = spreadOf(rateRatio), spreadOf(p99Ratio), spreadOf(cpu)
			out = append(out, sum)
		}
	}
	return out
}

// findSummary returns the summary of stage in scenario whose setting
// matches, or nil.
func findSummary(rep *Report, stage, scenario string, match func(Summary) bool) *Summary {
	for i := range rep.Summary {
		s := &rep.Summary[i]
		if s.Stage == stage && s.Scenario == scenario && match(*s) {
			return s
		}
	}
	return nil
}
