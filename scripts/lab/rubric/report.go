package rubric

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ReasonWidth is where the terminal table folds a reason.
const ReasonWidth = 100

// WriteTable prints rep as the terminal shows it: one numbered row per
// check with its points and result, the reason of every failure under its
// row, and the total. When the server speaks another protocol
// (rep.Mismatch), that is said once at the top, and the failures that
// follow from it are listed together instead of one reason each.
func WriteTable(w io.Writer, rep Report) {
	fmt.Fprintf(w, "Grading %s (%s)\n", rep.Stage, rep.Title)
	fmt.Fprintf(w, "Target: %s\n", rep.Target)
	if rep.Spec != "" {
		fmt.Fprintf(w, "Rules: %s\n", rep.Spec)
	}
	if rep.Mismatch != "" {
		fmt.Fprintf(w, "\n%s\n", rep.Mismatch)
	}
	fmt.Fprintln(w)
	nameWidth := len("check")
	for _, res := range rep.Results {
		nameWidth = max(nameWidth, utf8.RuneCountInString(label(res.Check)))
	}
	var folded []int
	fmt.Fprintf(w, "%3s  %-*s  %6s  %s\n", "#", nameWidth, "check", "points", "result")
	for _, res := range rep.Results {
		fmt.Fprintf(w, "%3d  %s  %6s  %s\n", res.N, pad(label(res.Check), nameWidth),
			fmt.Sprintf("%d/%d", res.Earned(), res.Check.Points), res.Status)
		if res.Reason == "" {
			continue
		}
		if rep.Mismatch != "" && res.Status == Fail {
			folded = append(folded, res.N)
			continue
		}
		for _, line := range fold(res.Reason, ReasonWidth) {
			fmt.Fprintf(w, "%3s  %s %s\n", "", strings.Repeat(" ", 2), line)
		}
	}
	if len(folded) > 0 {
		first := rep.Results[folded[0]-1]
		fmt.Fprintf(w, "\n%s (%s) follow from that; the first, #%d, says:\n", plural(len(folded), "failure"), ranges(folded), first.N)
		for _, line := range fold(first.Reason, ReasonWidth) {
			fmt.Fprintf(w, "  %s\n", line)
		}
		fmt.Fprintln(w, "  (the Markdown report has every reason)")
	}
	fmt.Fprintf(w, "\n%s\n", Total(rep))
}

// ranges writes check numbers, in order, as "2–7, 9, 11–31".
func ranges(ns []int) string {
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d–%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// Scaled is the score on the rubric's whole scale, counting only the
// checks that were graded: earned out of graded, as a share of total. It
// is 0 when nothing was graded.
func (r Report) Scaled() float64 {
	earned, graded, total := r.Score()
	if graded == 0 {
		return 0
	}
	return float64(earned) * float64(total) / float64(graded)
}

// ScoreText is the score as a summary shows it: "93/100" when every
// check was graded, "92/96 graded = 95.8/100" when some were not.
func ScoreText(r Report) string {
	earned, graded, total := r.Score()
	switch graded {
	case total:
		return fmt.Sprintf("%d/%d", earned, total)
	case 0:
		return fmt.Sprintf("nothing graded (of %d)", total)
	}
	return fmt.Sprintf("%d/%d graded = %s/%d", earned, graded, decimal(r.Scaled()), total)
}

// Total is the report's last line: "Total: 93/100 (2 checks failed)".
// Checks not graded are left out of the points, and the score is scaled
// to what was graded: "Total: 92/96 of the graded points = 95.8/100
// (1 check failed; 2 checks (4 points) not graded here)".
func Total(rep Report) string {
	earned, graded, total := rep.Score()
	failed, skipped := 0, 0
	for _, res := range rep.Results {
		switch res.Status {
		case Fail:
			failed++
		case NotGraded:
			skipped++
		}
	}
	var s string
	switch graded {
	case total:
		s = fmt.Sprintf("Total: %d/%d", earned, total)
	case 0:
		s = fmt.Sprintf("Total: nothing graded (of %d points)", total)
	default:
		s = fmt.Sprintf("Total: %d/%d of the graded points = %s/%d", earned, graded, decimal(rep.Scaled()), total)
	}
	var notes []string
	if failed > 0 {
		notes = append(notes, plural(failed, "check")+" failed")
	}
	if skipped > 0 {
		notes = append(notes, fmt.Sprintf("%s (%d points) not graded here", plural(skipped, "check"), total-graded))
	}
	if len(notes) == 0 {
		notes = append(notes, "every check passed")
	}
	return s + " (" + strings.Join(notes, "; ") + ")"
}

// decimal writes x with one decimal, without a trailing ".0".
func decimal(x float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", x), ".0")
}

// WriteMarkdown writes reports as a Markdown document: a summary table,
// then each rubric with its reasons.
func WriteMarkdown(w io.Writer, title string, reps []Report) {
	fmt.Fprintf(w, "# %s\n\n", title)
	if len(reps) > 0 {
		fmt.Fprintf(w, "Graded %s.\n\n", reps[0].Started.UTC().Format(time.RFC1123))
	}
	if len(reps) > 1 {
		fmt.Fprintln(w, "| Stage | Score | Target |")
		fmt.Fprintln(w, "|---|---|---|")
		for _, rep := range reps {
			fmt.Fprintf(w, "| %s | %s | %s |\n", rep.Stage, ScoreText(rep), cell(rep.Target))
		}
		fmt.Fprintln(w)
	}
	for _, rep := range reps {
		fmt.Fprintf(w, "## %s — %s\n\n", rep.Stage, rep.Title)
		fmt.Fprintf(w, "Target: %s\n\n", cell(rep.Target))
		if rep.Spec != "" {
			fmt.Fprintf(w, "Rules: %s\n\n", rep.Spec)
		}
		if rep.Mismatch != "" {
			fmt.Fprintf(w, "**%s**\n\n", rep.Mismatch)
		}
		fmt.Fprintln(w, "| # | Check | Rule | Points | Result | Reason |")
		fmt.Fprintln(w, "|---:|---|---|---:|---|---|")
		for _, res := range rep.Results {
			fmt.Fprintf(w, "| %d | %s | %s | %d/%d | %s | %s |\n", res.N, cell(res.Check.Name), cell(res.Check.Rule),
				res.Earned(), res.Check.Points, res.Status, cell(res.Reason))
		}
		fmt.Fprintf(w, "\n**%s**\n\n", Total(rep))
	}
}

func label(c Check) string {
	if c.Rule == "" {
		return c.Name
	}
	return c.Name + " (" + c.Rule + ")"
}

func pad(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-utf8.RuneCountInString(s)))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// fold cuts s into lines of at most width runes, at spaces where it can.
func fold(s string, width int) []string {
	var lines []string
	for utf8.RuneCountInString(s) > width {
		cut := byteIndexOfRune(s, width)
		if sp := strings.LastIndexByte(s[:cut], ' '); sp > 0 {
			cut = sp
		}
		lines = append(lines, s[:cut])
		s = strings.TrimLeft(s[cut:], " ")
	}
	return append(lines, s)
}

func byteIndexOfRune(s string, n int) int {
	i := 0
	for j := range s {
		if i == n {
			return j
		}
		i++
	}
	return len(s)
}
