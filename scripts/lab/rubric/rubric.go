// Package rubric runs a grading rubric: numbered checks with points, each
// run against a server on the wire, each ending in pass, fail (with a
// one-line reason) or not graded. It prints the rubric as a terminal
// table and as a Markdown report.
//
// A check is written like a test: it gets a *C, which satisfies the
// harness's chattest.T (so scripted clients fail the check, not the
// program) and testify's TestingT.
//
//	rubric.Check{Name: "LOGIN is answered with LOGIN_ACK", Rule: "§1.2", Points: 8,
//		Run: func(c *rubric.C) { ... c.Fatalf("got %s", m) ... }}
package rubric

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds one check: a server that hangs fails that check
// and the grader goes on with the next.
const DefaultTimeout = 30 * time.Second

// Check is one numbered line of a rubric.
type Check struct {
	// Name says what is checked, as the rubric prints it.
	Name string
	// Rule names the part of the rubric's Spec the check covers ("§1.3").
	Rule string
	// Points are earned when the check passes.
	Points int
	// Slow checks (a time-out that must run out, say) start first and
	// run beside the others; they must not disturb what others observe.
	Slow bool
	// Final checks run after every other has ended, slow ones included:
	// one that stops the server, say.
	Final bool
	// Alone checks run one at a time, after the others of a Parallel
	// rubric and beside its slow ones only: what they do may reach other
	// checks' clients (text in a room every client starts in, say).
	Alone bool
	// Run performs the check; it passes unless it calls Fatalf, Errorf,
	// FailNow or Skipf.
	Run func(c *C)
}

// Rubric is a stage's list of checks.
type Rubric struct {
	Stage string // "v3", "task4"
	Title string // "ChatProto v1.0, binary over TCP"
	// Spec says where the checks' Rule citations point, as the rubric
	// prints it above its checks: "§1.2 is docs/protocol.md, section 1,
	// rule 2".
	Spec string
	// Parallel, if above 1, lets that many checks run at once: the
	// rubric's checks must then not disturb each other (names of their
	// own, notices of others passed over). Slow checks start first and
	// final ones run last, whatever it is.
	Parallel int
	Checks   []Check
}

// Max is the rubric's total points.
func (r Rubric) Max() int {
	n := 0
	for _, c := range r.Checks {
		n += c.Points
	}
	return n
}

// Status is how a check ended.
type Status int

// The three ends of a check.
const (
	Pass Status = iota
	Fail
	NotGraded
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "FAIL"
	}
	return "not graded"
}

// Result is one check's outcome.
type Result struct {
	N       int // 1-based number in the rubric
	Check   Check
	Status  Status
	Reason  string // why it failed or was not graded; "" when it passed
	Elapsed time.Duration
}

// Earned is the points the result earns.
func (r Result) Earned() int {
	if r.Status == Pass {
		return r.Check.Points
	}
	return 0
}

// Report is a graded rubric.
type Report struct {
	Stage, Title string
	Spec         string // where the rules cited point (Rubric.Spec)
	Target       string // what was graded: "bin/server-v3 (started by the grader)", "127.0.0.1:5555"
	// Mismatch, if set, is the one line that says the server speaks
	// another protocol than the rubric's, found before any check ran:
	// the failures that follow from it are shown together.
	Mismatch string
	Started  time.Time
	Elapsed  time.Duration
	Results  []Result
}

// Score returns the points earned, the points of the checks that were
// graded, and the rubric's total.
func (r Report) Score() (earned, graded, total int) {
	for _, res := range r.Results {
		earned += res.Earned()
		total += res.Check.Points
		if res.Status != NotGraded {
			graded += res.Check.Points
		}
	}
	return earned, graded, total
}

// Failed reports whether any check failed.
func (r Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == Fail {
			return true
		}
	}
	return false
}

// Options tune a run.
type Options struct {
	// Timeout bounds each check; 0 means DefaultTimeout.
	Timeout time.Duration
	// Progress, if set, is called as each check ends.
	Progress func(Result)
	// Logf, if set, receives the checks' Logf lines (for -v).
	Logf func(format string, args ...any)
}

// Run grades target with r. Checks run one at a time in order (or
// r.Parallel at once, then the Alone ones one at a time), except slow
// ones, which start first and run beside the rest, and final ones, which
// run last.
func Run(r Rubric, target string, opts Options) Report {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	rep := Report{Stage: r.Stage, Title: r.Title, Spec: r.Spec, Target: target, Started: time.Now()}
	results := make([]Result, len(r.Checks))
	var slow sync.WaitGroup
	for i, chk := range r.Checks {
		if chk.Slow {
			slow.Add(1)
			go func() {
				defer slow.Done()
				results[i] = runOne(i+1, chk, opts)
			}()
		}
	}
	var mu sync.Mutex // Progress is called from one goroutine at a time
	progress := func(res Result) {
		if opts.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			opts.Progress(res)
		}
	}
	var others sync.WaitGroup
	free := make(chan struct{}, max(1, r.Parallel))
	for i, chk := range r.Checks {
		if chk.Slow || chk.Final || chk.Alone {
			continue
		}
		free <- struct{}{}
		others.Add(1)
		go func() {
			defer others.Done()
			results[i] = runOne(i+1, chk, opts)
			progress(results[i])
			<-free
		}()
	}
	others.Wait()
	for i, chk := range r.Checks {
		if chk.Alone && !chk.Slow && !chk.Final {
			results[i] = runOne(i+1, chk, opts)
			progress(results[i])
		}
	}
	slow.Wait()
	for _, res := range results {
		if res.Check.Slow {
			progress(res)
		}
	}
	for i, chk := range r.Checks {
		if chk.Final {
			results[i] = runOne(i+1, chk, opts)
			progress(results[i])
		}
	}
	rep.Results = results
	rep.Elapsed = time.Since(rep.Started)
	return rep
}

func runOne(n int, chk Check, opts Options) Result {
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	c := &C{ctx: ctx, name: chk.Name, logf: opts.Logf}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.runCleanups()
		defer func() {
			if p := recover(); p != nil {
				c.record(Fail, fmt.Sprintf("the grader itself failed: %v", p))
				if c.logf != nil {
					c.logf("%s", debug.Stack())
				}
			}
		}()
		chk.Run(c)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		c.record(Fail, fmt.Sprintf("no answer within %v", opts.Timeout))
	}
	status, reason := c.outcome()
	return Result{N: n, Check: chk, Status: status, Reason: reason, Elapsed: time.Since(start)}
}

// C is a running check. It satisfies chattest.T and testify's TestingT.
type C struct {
	ctx  context.Context
	name string
	logf func(string, ...any)

	mu       sync.Mutex
	status   Status
	reason   string
	cleanups []func()
}

// Deadline is when the check runs out of time.
func (c *C) Deadline() time.Time {
	d, _ := c.ctx.Deadline()
	return d
}

// Helper does nothing; it is there for the harness.
func (c *C) Helper() {}

// Logf writes a line for -v.
func (c *C) Logf(format string, args ...any) {
	if c.logf != nil {
		c.logf("  [%s] %s", c.name, fmt.Sprintf(format, args...))
	}
}

// Errorf fails the check with a reason and goes on.
func (c *C) Errorf(format string, args ...any) { c.record(Fail, fmt.Sprintf(format, args...)) }

// Fatalf fails the check with a reason and ends it.
func (c *C) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	runtime.Goexit()
}

// FailNow ends a check that has already failed (testify's require).
func (c *C) FailNow() {
	c.record(Fail, "")
	runtime.Goexit()
}

// Skipf ends the check as not graded, saying why.
func (c *C) Skipf(format string, args ...any) {
	c.record(NotGraded, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// Cleanup registers f to run when the check ends (last first).
func (c *C) Cleanup(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanups = append(c.cleanups, f)
}

func (c *C) runCleanups() {
	c.mu.Lock()
	fs := c.cleanups
	c.cleanups = nil
	c.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// record keeps the first failure's reason: later ones are usually its
// consequences. A failure outranks "not graded".
func (c *C) record(s Status, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reason = oneLine(reason)
	switch {
	case c.status == Pass:
		c.status, c.reason = s, reason
	case c.status == NotGraded && s == Fail:
		c.status, c.reason = s, reason
	case c.reason == "" && reason != "":
		c.reason = reason
	}
}

func (c *C) outcome() (Status, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status == Fail && c.reason == "" {
		return Fail, "failed"
	}
	return c.status, c.reason
}

// oneLine folds a testify-style multi-line message into one line.
func oneLine(s string) string {
	fields := strings.Fields(s)
	return strings.Join(fields, " ")
}
