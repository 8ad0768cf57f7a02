package rubric

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func report(statuses ...Status) Report {
	rep := Report{Stage: "v9", Title: "a stage", Spec: "docs/protocol.md: §1.2 is its section 1, rule 2", Target: "127.0.0.1:1"}
	for i, s := range statuses {
		res := Result{N: i + 1, Check: Check{Name: "check", Rule: "§1.2", Points: 2 * (i + 1)}, Status: s}
		if s != Pass {
			res.Reason = "why"
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

// Test: checks not graded are left out of the points, and the total says
// so: the score is scaled to what was graded.
func TestTotalScalesToWhatWasGraded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []Status
		total    string
		score    string
	}{
		{"all passed", []Status{Pass, Pass}, "Total: 6/6 (every check passed)", "6/6"},
		{"one failed", []Status{Pass, Fail}, "Total: 2/6 (1 check failed)", "2/6"},
		// Graded: 2 + 6 = 8 of 12 points, 6 earned: 9/12 on the whole scale.
		{"one not graded", []Status{Fail, NotGraded, Pass}, "Total: 6/8 of the graded points = 9/12 (1 check failed; 1 check (4 points) not graded here)", "6/8 graded = 9/12"},
		{"a fraction", []Status{Pass, Fail, NotGraded}, "Total: 2/6 of the graded points = 4/12 (1 check failed; 1 check (6 points) not graded here)", "2/6 graded = 4/12"},
		{"two thirds", []Status{NotGraded, Pass, Fail}, "Total: 4/10 of the graded points = 4.8/12 (1 check failed; 1 check (2 points) not graded here)", "4/10 graded = 4.8/12"},
		{"nothing graded", []Status{NotGraded}, "Total: nothing graded (of 2 points) (1 check (2 points) not graded here)", "nothing graded (of 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := report(tc.statuses...)
			assert.Equal(t, tc.total, Total(rep))
			assert.Equal(t, tc.score, ScoreText(rep))
		})
	}
}

// Test: every table names the document the rules cite.
func TestTablesNameTheSpec(t *testing.T) {
	rep := report(Pass, Fail)
	var term, md strings.Builder
	WriteTable(&term, rep)
	WriteMarkdown(&md, "report", []Report{rep})
	for _, out := range []string{term.String(), md.String()} {
		assert.Contains(t, out, "Rules: docs/protocol.md: §1.2 is its section 1, rule 2\n")
	}
	assert.Contains(t, term.String(), "  why\n", "a failure's reason under its row")
}

// Test: a server of another protocol is named once at the top, and the
// failures that follow from it are shown together, not reason by reason.
func TestMismatchIsSaidOnce(t *testing.T) {
	rep := report(Pass, Fail, Fail, Fail, NotGraded, Fail)
	rep.Results[1].Reason = "LOGIN: no LOGIN_ACK"
	rep.Mismatch = "the server at 127.0.0.1:1 speaks JSON lines (ChatProto v1/v2), not ChatProto v1.0"
	var b strings.Builder
	WriteTable(&b, rep)
	out := b.String()
	assert.Equal(t, 1, strings.Count(out, rep.Mismatch))
	assert.Less(t, strings.Index(out, rep.Mismatch), strings.Index(out, "points  result"), "the mismatch comes first")
	assert.Contains(t, out, "4 failures (2–4, 6) follow from that; the first, #2, says:\n  LOGIN: no LOGIN_ACK\n")
	assert.Equal(t, 1, strings.Count(out, "  why\n"), "only the check not graded keeps its own reason")
}
