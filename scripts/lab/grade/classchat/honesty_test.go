package classchat

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
	"chatlab/lab/target"
)

// startServer runs one of the stage's servers for a test.
func startServer(t *testing.T, name string, args ...string) *target.Process {
	t.Helper()
	spec := target.Spec{Argv: append([]string{bin(t, name)}, args...)}
	if name == "server-task1" {
		spec.Ready = task1Ready
	}
	p, err := target.Start(spec)
	require.NoError(t, err)
	t.Cleanup(p.Kill)
	return p
}

// expectOutcome checks a report: the checks numbered in failing fail,
// those in skipped are not graded, and every other passes.
func expectOutcome(t *testing.T, rep rubric.Report, failing, skipped []int) {
	t.Helper()
	want := map[int]rubric.Status{}
	for _, n := range failing {
		want[n] = rubric.Fail
	}
	for _, n := range skipped {
		want[n] = rubric.NotGraded
	}
	for _, res := range rep.Results {
		w, named := want[res.N]
		if !named {
			w = rubric.Pass
		}
		assert.Equal(t, w, res.Status, "%d. %s: %s", res.N, res.Check.Name, res.Reason)
		if res.Status == rubric.Fail {
			assert.NotEmpty(t, res.Reason, "%d. %s fails with a reason", res.N, res.Check.Name)
			assert.NotContains(t, res.Reason, "\n", "%d. %s: a reason is one line", res.N, res.Check.Name)
		}
	}
}

// Test: a server that corrupts one thing fails exactly the check of that
// thing; every other check passes.
func TestOneDefectFailsOneCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stage   string
		server  string
		down    func(*proxyConn, []byte) []byte
		up      func(*proxyConn, []byte)
		failing []int
		reason  string // matches the failing check's reason
	}{
		{name: "task 3 without join notices", stage: "task3", server: "server-task3", down: dropJoins,
			failing: []int{2}, reason: "has joined the chat`"},
		{name: "task 4 trusting the sender", stage: "task4", server: "server-task4", down: trustSenderDown, up: trustSenderUp,
			failing: []int{10}, reason: "the server must use the name the connection logged in with"},
		// Bob's message finds the first alice gone, or on her way out.
		{name: "task 4 dropping the first of two alices", stage: "task4", server: "server-task4", down: dropOriginal,
			failing: []int{11}, reason: `is not connected\.|the server closed the connection`},
		{name: "task 4 writing objects back to back", stage: "task4", server: "server-task4", down: unterminated,
			failing: []int{8}, reason: `with no "\\n" after it`},
		{name: "bonus 1 trusting the sender", stage: "bonus1", server: "server-bonus1", down: trustSenderDown, up: trustSenderUp,
			failing: []int{4}, reason: `"sender":"carol_`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.server)
			p := startProxy(t, srv.Addr, tt.down, tt.up)
			rep, _ := gradeStage(t, tt.stage, grade.Options{Addr: p.addr()})
			expectOutcome(t, rep, tt.failing, nil)
			for _, n := range tt.failing {
				assert.Regexp(t, tt.reason, rep.Results[n-1].Reason)
			}
		})
	}
}

// Test: task 1's rubric, with the operator's side (the process) and the
// client's (through a proxy that drops the greeting's newline): only the
// greeting check fails.
func TestTask1GreetingWithoutNewline(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "server-task1")
	p := startProxy(t, srv.Addr, greetingUnended, nil)
	env := grade.Env{Addr: p.addr(), Server: srv, Logf: t.Logf}
	rep := rubric.Run(Task1(env), p.addr(), rubric.Options{Timeout: checkTimeout})
	expectOutcome(t, rep, []int{1}, nil)
	assert.Contains(t, rep.Results[0].Reason, `no "\n" after it`)
}

// Test: graded at an address, task 1's operator checks are not graded,
// and the client's are.
func TestTask1AtAnAddress(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "server-task1")
	rep, _ := gradeStage(t, "task1", grade.Options{Addr: srv.Addr})
	expectOutcome(t, rep, nil, []int{2, 3, 4, 6})
	assert.Contains(t, rep.Results[1].Reason, "needs the server process")
}

// Test: task 2's rubric against clients with one defect each.
func TestTask2Defects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		defect  string
		failing []int
	}{
		// Shows each read as a line: a line in pieces is shown in pieces.
		{defect: "raw", failing: []int{3}},
		// Never looks at the socket while nothing is typed.
		{defect: "nomux", failing: []int{1, 3, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.defect, func(t *testing.T) {
			t.Parallel()
			rep, _ := gradeStage(t, "task2", grade.Options{Client: []string{bin(t, "fakeclient"), "-defect", tt.defect}})
			expectOutcome(t, rep, tt.failing, nil)
		})
	}
}

// Test: a stage's rubric against the stage before it fails where the
// stage adds something: task 4's against task 3's server fails at the
// log-in, so everywhere; bonus 3's against bonus 2's (no offline queue)
// fails every queue check.
func TestEarlierStagesFail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stage, server string
		failing       []int
		skipped       []int
		reason        string // in the first check's reason
	}{
		{stage: "task4", server: "server-task3", failing: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
			reason: "expected the prompt `Enter your username: `, got `"},
		{stage: "bonus1", server: "server-task4", failing: []int{1, 2, 3, 4, 5, 6},
			reason: "expected the help"},
		{stage: "bonus3", server: "server-bonus2", failing: []int{1, 2, 3, 4, 5},
			reason: "is not connected."},
	}
	for _, tt := range tests {
		t.Run(tt.stage+" against "+tt.server, func(t *testing.T) {
			t.Parallel()
			rep, _ := gradeStage(t, tt.stage, grade.Options{Server: []string{bin(t, tt.server)}})
			expectOutcome(t, rep, tt.failing, tt.skipped)
			assert.True(t, strings.Contains(rep.Results[0].Reason, tt.reason), "reason %q", rep.Results[0].Reason)
		})
	}
}

// Test: a task 3 server that writes to its clients under its registry's
// lock, as the original did, fails the slow-reader check only.
func TestLockstepServerStalls(t *testing.T) {
	t.Parallel()
	addr := startLockstepTask3(t)
	rep, _ := gradeStage(t, "task3", grade.Options{Addr: addr})
	expectOutcome(t, rep, []int{8}, nil)
	assert.Contains(t, rep.Results[7].Reason, "who reads nothing")
}
