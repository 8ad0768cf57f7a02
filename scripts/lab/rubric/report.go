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
// row, and the total.
func WriteTable(w io.Writer, rep Report) {
	fmt.Fprintf(w, "Grading %s (%s)\n", rep.Stage, rep.Title)
	fmt.Fprintf(w, "Target: %s\n\n", rep.Target)
	nameWidth := len("check")
	for _, res := range rep.Results {
		nameWidth = max(nameWidth, utf8.RuneCountInString(label(res.Check)))
	}
	fmt.Fprintf(w, "%3s  %-*s  %6s  %s\n", "#", nameWidth, "check", "points", "result")
	for _, res := range rep.Results {
		fmt.Fprintf(w, "%3d  %s  %6s  %s\n", res.N, pad(label(res.Check), nameWidth),
			fmt.Sprintf("%d/%d", res.Earned(), res.Check.Points), res.Status)
		if res.Reason != "" {
			for _, line := range fold(res.Reason, ReasonWidth) {
				fmt.Fprintf(w, "%3s  %s %s\n", "", strings.Repeat(" ", 2), line)
			}
		}
	}
	fmt.Fprintf(w, "\n%s\n", Total(rep))
}

// Total is the report's last line: "Total: 93/100 (2 checks failed)".
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
	s := fmt.Sprintf("Total: %d/%d", earned, total)
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
			earned, _, total := rep.Score()
			fmt.Fprintf(w, "| %s | %d/%d | %s |\n", rep.Stage, earned, total, cell(rep.Target))
		}
		fmt.Fprintln(w)
	}
	for _, rep := range reps {
		fmt.Fprintf(w, "## %s — %s\n\n", rep.Stage, rep.Title)
		fmt.Fprintf(w, "Target: %s\n\n", cell(rep.Target))
		fmt.Fprintln(w, "| # | Check | Spec | Points | Result | Reason |")
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
