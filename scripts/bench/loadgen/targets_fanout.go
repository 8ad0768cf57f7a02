package loadgen

import (
	"fmt"
	"strings"
)

// The write path's targets, as ratios to the lean server measured in the
// same invocation (the machine's practical ceiling: absolute figures move
// with the machine's load).
var (
	// fanOutTargets: each stage's delivered/s over lean's, flat out, on
	// both workloads of the default sweep, at least Min (median of the
	// repetitions).
	fanOutTargets = []struct {
		Stage string
		Min   float64
	}{{"v3", 0.9}, {"v1", 0.6}, {"v4", 0.6}}
	fanOutTargetWorkloads = DefaultSweep
)

// Latency target: v3's p99 at LatencyTargetLoad, paced, at most
// LatencyTargetRatio times lean's p99 in the same repetition.
const (
	LatencyTargetLoad  = 200e3
	LatencyTargetRatio = 1.3
)

func init() { targetRules = append(targetRules, fanOutTargetRule, latencyTargetRule) }

func fanOutTargetRule(rep *Report) []Target {
	var out []Target
	for _, w := range fanOutTargetWorkloads {
		for _, tg := range fanOutTargets {
			name := fmt.Sprintf("%s fan-out, %d-byte texts, window %d: ≥ %.1f× lean", tg.Stage, w.TextBytes, w.Window, tg.Min)
			s := findSummary(rep, tg.Stage, ScenarioFanOut, func(s Summary) bool { return s.TextBytes == w.TextBytes && s.Window == w.Window })
			out = append(out, ratioTarget(rep, name, tg.Stage, ScenarioFanOut, s, s.rate(), func(r float64) bool { return r >= tg.Min }))
		}
	}
	return out
}

func latencyTargetRule(rep *Report) []Target {
	name := fmt.Sprintf("v3 p99 at %s deliveries/s: ≤ %.1f× lean's p99", SI(LatencyTargetLoad), LatencyTargetRatio)
	s := findSummary(rep, "v3", ScenarioLatency, func(s Summary) bool { return s.Offered == LatencyTargetLoad })
	return []Target{ratioTarget(rep, name, "v3", ScenarioLatency, s, s.p99(), func(r float64) bool { return r <= LatencyTargetRatio })}
}

func (s *Summary) rate() Spread {
	if s == nil {
		return Spread{}
	}
	return s.RateRatio
}

func (s *Summary) p99() Spread {
	if s == nil {
		return Spread{}
	}
	return s.P99Ratio
}

// ratioTarget judges a ratio target on the median of its repetitions.
func ratioTarget(rep *Report, name, stage, scenario string, s *Summary, r Spread, ok func(float64) bool) Target {
	t := Target{Name: name, State: TargetNotMeasured}
	switch {
	case find(rep, stage) == nil:
		t.Why = "stage " + stage + " not run"
	case !ranScenario(rep, scenario):
		t.Why = "scenario " + scenario + " not run"
	case s == nil && runError(rep, stage, scenario) != "":
		t.Why = "failed: " + runError(rep, stage, scenario)
	case s == nil:
		t.Why = "not in this run's settings (see -sweep and -loads)"
	case r.N == 0:
		t.Why = "no run of " + stage + " with its lean run in the same repetition succeeded"
	default:
		t.Measured = fmt.Sprintf("%.2f×", r.Median)
		if r.N > 1 {
			t.Measured += fmt.Sprintf(" (min %.2f, max %.2f, %d reps)", r.Min, r.Max, r.N)
		} else {
			t.Measured += " (1 rep)"
		}
		t.State = TargetNotMet
		if ok(r.Median) {
			t.State = TargetMet
		}
		var why []string
		if s.Disturbed > 0 {
			why = append(why, fmt.Sprintf("%d of %d runs disturbed by other processes", s.Disturbed, s.Runs))
		}
		if r.N < s.Runs {
			why = append(why, fmt.Sprintf("lean missing in %d reps", s.Runs-r.N))
		}
		if l := findSummary(rep, LeanStage, scenario, func(l Summary) bool { return l.Setting == s.Setting }); l != nil && l.CutOff > 0 {
			why = append(why, fmt.Sprintf("lean cut off %d member%s (its queue filled): its figure is not the machine's", l.CutOff, plural(l.CutOff)))
		}
		t.Why = strings.Join(why, "; ")
	}
	return t
}

// runError is the error of the first run of stage in scenario that
// failed, or "".
func runError(rep *Report, stage, scenario string) string {
	for _, r := range rep.Runs {
		if r.Stage == stage && r.Scenario == scenario && r.Error != "" {
			return r.Error
		}
	}
	return ""
}

func ranScenario(rep *Report, scenario string) bool {
	for _, r := range rep.Runs {
		if r.Scenario == scenario {
			return true
		}
	}
	return false
}
