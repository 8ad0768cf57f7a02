package loadgen

import (
	"fmt"
	"io"
	"time"
)

// runsPerStage is how many server runs cfg makes for each stage: one per
// scenario, and one per load of the latency scenario.
func (cfg Config) runsPerStage() int {
	n := 0
	for _, sc := range cfg.Scenarios {
		if sc == ScenarioLatency {
			n += len(cfg.Loads)
		} else {
			n++
		}
	}
	return n
}

// steps tells the progress writer where an invocation stands: "step N of
// M" as each run starts, and as it ends what it took and about how long
// the rest will take, one line each (no carriage returns: the lines go
// to a log as well as to a terminal).
type steps struct {
	w     io.Writer
	total int
	now   func() time.Time
	first time.Time // when the first run started
	began time.Time // when the current run started
	done  int       // runs ended, failed ones included
}

func newSteps(w io.Writer, total int, now func() time.Time) *steps {
	return &steps{w: w, total: total, now: now}
}

func (s *steps) start(what string) {
	s.began = s.now()
	if s.done == 0 {
		s.first = s.began
	}
	fmt.Fprintf(s.w, "bench: step %d of %d: %s ...\n", s.done+1, s.total, what)
}

func (s *steps) end(what string, err error) {
	took := s.now().Sub(s.began)
	s.done++
	if err != nil {
		fmt.Fprintf(s.w, "bench: step %d of %d: %s failed after %.1fs: %v%s\n", s.done, s.total, what, took.Seconds(), err, s.left())
		return
	}
	fmt.Fprintf(s.w, "bench: step %d of %d: %s done in %.1fs%s\n", s.done, s.total, what, took.Seconds(), s.left())
}

// skip counts a run that did not start.
func (s *steps) skip(what string, why error) {
	s.done++
	fmt.Fprintf(s.w, "bench: step %d of %d: %s skipped: %v\n", s.done, s.total, what, why)
}

// left estimates the time the remaining runs will take from the mean of
// those that ended so far.
func (s *steps) left() string {
	rest := s.total - s.done
	if rest <= 0 || s.done == 0 {
		return ""
	}
	mean := s.now().Sub(s.first) / time.Duration(s.done)
	return fmt.Sprintf("; about %s left", (mean * time.Duration(rest)).Round(time.Second))
}
