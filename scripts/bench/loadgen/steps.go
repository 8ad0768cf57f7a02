package loadgen

import (
	"fmt"
	"io"
	"time"
)

// steps tells the progress writer where an invocation stands: "step N of
// M" as each run starts, and as it ends what it took and about how long
// the rest will take, one line each (no carriage returns: the lines go
// to a log as well as to a terminal). The estimate takes each remaining
// run to last as long as the runs of its scenario so far, or, for a
// scenario not yet run, as its guess, or without one as the mean of all
// runs so far.
type steps struct {
	w       io.Writer
	now     func() time.Time
	plan    []string        // the scenario of every run, in order (Config.plan)
	guess   []time.Duration // what each run should take before any ran; 0 unknown
	began   time.Time
	done    int                      // runs ended, failed ones included
	took    map[string]time.Duration // by scenario, the runs ended
	ran     map[string]int
	tookAll time.Duration
}

func newSteps(w io.Writer, plan []string, guess []time.Duration, now func() time.Time) *steps {
	return &steps{w: w, now: now, plan: plan, guess: guess, took: map[string]time.Duration{}, ran: map[string]int{}}
}

// begin announces the runs, and what they should take if every run has
// a guess.
func (s *steps) begin() {
	var all time.Duration
	for i := range s.plan {
		if i >= len(s.guess) || s.guess[i] <= 0 {
			fmt.Fprintf(s.w, "bench: %d runs\n", len(s.plan))
			return
		}
		all += s.guess[i]
	}
	fmt.Fprintf(s.w, "bench: %d runs, about %s\n", len(s.plan), all.Round(time.Second))
}

func (s *steps) start(what string) {
	s.began = s.now()
	fmt.Fprintf(s.w, "bench: step %d of %d: %s ...\n", s.done+1, len(s.plan), what)
}

func (s *steps) end(what string, err error) {
	took := s.now().Sub(s.began)
	s.count(took)
	if err != nil {
		fmt.Fprintf(s.w, "bench: step %d of %d: %s failed after %.1fs: %v%s\n", s.done, len(s.plan), what, took.Seconds(), err, s.left())
		return
	}
	fmt.Fprintf(s.w, "bench: step %d of %d: %s done in %.1fs%s\n", s.done, len(s.plan), what, took.Seconds(), s.left())
}

// skip counts a run that did not start.
func (s *steps) skip(what string, why error) {
	s.count(0)
	fmt.Fprintf(s.w, "bench: step %d of %d: %s skipped: %v\n", s.done, len(s.plan), what, why)
}

func (s *steps) count(took time.Duration) {
	if s.done < len(s.plan) {
		sc := s.plan[s.done]
		s.took[sc] += took
		s.ran[sc]++
	}
	s.tookAll += took
	s.done++
}

// left estimates the time the remaining runs will take.
func (s *steps) left() string {
	if s.done >= len(s.plan) || s.done == 0 {
		return ""
	}
	mean := s.tookAll / time.Duration(s.done)
	var rest time.Duration
	for i := s.done; i < len(s.plan); i++ {
		sc := s.plan[i]
		switch n := s.ran[sc]; {
		case n > 0:
			rest += s.took[sc] / time.Duration(n)
		case i < len(s.guess) && s.guess[i] > 0:
			rest += s.guess[i]
		default:
			rest += mean
		}
	}
	return fmt.Sprintf("; about %s left", rest.Round(time.Second))
}
