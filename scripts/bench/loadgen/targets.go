package loadgen

// TargetState says whether a run met a performance target.
type TargetState string

// The states of a target.
const (
	TargetMet         TargetState = "met"
	TargetNotMet      TargetState = "not met"
	TargetNotMeasured TargetState = "not measured"
)

// Target is one of the performance targets make bench checks, as this
// run measured it.
type Target struct {
	// Name says what is promised: "v3 fan-out, 128-byte texts, window
	// 256: ≥ 0.9× lean".
	Name string `json:"name"`
	// Measured is the figure with its spread: "0.97× (min 0.91, max
	// 1.02, 3 runs)".
	Measured string      `json:"measured"`
	State    TargetState `json:"state"`
	// Why says, when the target is not met or not measured, what stood in
	// the way (a stage not run, a run that failed).
	Why string `json:"why,omitempty"`
}

// targetRules compute the targets from a report. Each scenario's file
// adds the rules for its own targets (in an init function).
var targetRules []func(*Report) []Target

// Targets evaluates every target against rep, in the order the rules
// were added.
func Targets(rep *Report) []Target {
	var out []Target
	for _, rule := range targetRules {
		out = append(out, rule(rep)...)
	}
	return out
}
