package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteTable writes the report as tables, one per scenario, the stages
// side by side in rows, then the targets. The tables are Markdown,
// readable as they are. A figure measured in several repetitions is
// written as its median with the least and greatest in brackets; "×lean"
// is the ratio to the lean server's run of the same repetition and
// setting, taken rep by rep, then summarised the same way.
func WriteTable(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "ChatLab load generator: %d CPUs (%s), %s, Linux %s.\n", m.CPUs, m.CPUModel, m.GoVersion, m.Kernel)
	fmt.Fprintf(w, "Server and generator are separate processes on the same machine, on 127.0.0.1.\n")
	if m.WriteBefore > 0 && m.WriteAfter > 0 {
		fmt.Fprintf(w, "A 64-byte loopback write cost %.1f µs before the runs and %.1f µs after (the machine's speed at the time).\n",
			float64(m.WriteBefore)/1e3, float64(m.WriteAfter)/1e3)
	}
	names := make([]string, len(rep.Stages))
	for i, s := range rep.Stages {
		names[i] = s.Stage
	}
	fmt.Fprintf(w, "Stages: %s", strings.Join(names, " "))
	if rep.LeanAdded {
		fmt.Fprintf(w, " (lean added: the reference every ratio is taken to)")
	}
	fmt.Fprintf(w, "; %d repetition%s, the stages' order rotated in each.\n", max(1, rep.Reps), plural(max(1, rep.Reps)))
	r := rep.Room
	fmt.Fprintf(w, "Room: %d members, %d publishers, window %d, text %d bytes (fan-out: the sweep's); %s measured after %s of warm-up.\n",
		r.Members, r.Publishers, r.Window, r.TextBytes, r.Duration, r.Warmup)
	summary := rep.Summary
	if summary == nil {
		summary = Summarise(rep)
	}
	of := func(scenario string) []Summary {
		var out []Summary
		for _, s := range summary {
			if s.Scenario == scenario {
				out = append(out, s)
			}
		}
		return out
	}

	if rows := of(ScenarioFanOut); len(rows) > 0 {
		fmt.Fprintf(w, "\nFan-out, flat out (publishers limited only by their window of unacknowledged messages): median (min–max) of the repetitions\n\n")
		t := newTable("text/window", "stage", "encoding", "delivered/s", "×lean", "p99", "p99 ×lean", "lost", "cut off", "server CPU", "runs", "disturbed")
		for i, s := range rows {
			if i > 0 && rows[i-1].Setting != s.Setting {
				t.gap()
			}
			t.row(Workload{s.TextBytes, s.Window}.String(), s.Stage, encodingOf(rep, s.Stage), s.PerSecond.with(SI), ratioCell(s, s.RateRatio),
				s.P99.with(us), ratioCell(s, s.P99Ratio), strconv.FormatUint(s.Lost, 10), strconv.Itoa(s.CutOff),
				s.ServerCPU.with(cores), strconv.Itoa(s.Runs), strconv.Itoa(s.Disturbed))
		}
		t.write(w)
	}

	if rows := of(ScenarioLatency); len(rows) > 0 {
		fmt.Fprintf(w, "\nLatency against load, paced (offered deliveries/s): median (min–max) of the repetitions\n\n")
		t := newTable("load", "stage", "delivered/s", "p50", "p99", "p99 ×lean", "lost", "runs", "disturbed")
		for i, s := range rows {
			if i > 0 && rows[i-1].Setting != s.Setting {
				t.gap()
			}
			rate := s.PerSecond.with(SI)
			if s.PerSecond.Median < 0.95*s.Offered {
				rate += " short"
			}
			t.row(SI(s.Offered)+"/s", s.Stage, rate, s.P50.with(us), s.P99.with(us), ratioCell(s, s.P99Ratio),
				strconv.FormatUint(s.Lost, 10), strconv.Itoa(s.Runs), strconv.Itoa(s.Disturbed))
		}
		t.write(w)
	}

	if rows := stagesWith(rep, func(s StageReport) bool { return s.Scale != nil }); len(rows) > 0 {
		fmt.Fprintf(w, "\nScale: idle clients logged in, the server's memory, and the room beside them\n\n")
		t := newTable("stage", "clients", "what they do", "log-in time", "RSS before", "RSS after", "RSS per connection",
			"heap+stack per connection", "room delivered/s", "room p99", "lost")
		for _, s := range rows {
			c := s.Scale
			t.row(s.Stage, strconv.Itoa(c.Clients), c.doing(), fmt.Sprintf("%.1f s", c.ConnectSeconds), bytesIEC(float64(c.RSSBefore)),
				bytesIEC(float64(c.RSSAfter)), bytesIEC(c.PerConn), c.goPerConn(), SI(c.FanOut.PerSecond), us(c.FanOut.Latency.P99), strconv.FormatUint(c.FanOut.Lost, 10))
		}
		t.write(w)
		for _, s := range rows {
			if s.Scale.Note != "" {
				fmt.Fprintf(w, "%s: %s.\n", s.Stage, s.Scale.Note)
			}
		}
	}

	if rows := stagesWith(rep, func(s StageReport) bool { return s.Slow != nil }); len(rows) > 0 {
		fmt.Fprintf(w, "\nSlow consumer: one member stops reading; the others' latency before and while it does\n\n")
		t := newTable("stage", "load", "others p99 before", "others p99 while slow", "cut off after", "how it was seen", "others lost")
		for _, s := range rows {
			f := s.Slow
			cut, seen := "not cut off", "-"
			if f.Slow.ServerLogged {
				cut = fmt.Sprintf("%.2f s", f.Slow.CutAfter)
			}
			var how []string
			if f.Slow.ServerLogged {
				how = append(how, "server log")
			}
			if f.Slow.ClientSaw {
				how = append(how, "connection closed")
			}
			if len(how) > 0 {
				seen = strings.Join(how, ", ")
			}
			t.row(s.Stage, SI(f.Offered)+"/s", us(f.Latency.P99), us(f.Slow.Latency.P99), cut, seen, strconv.FormatUint(f.Lost, 10))
		}
		t.write(w)
	}

	if rows := stagesWith(rep, func(s StageReport) bool { return s.BigRoom != nil }); len(rows) > 0 {
		fmt.Fprintf(w, "\nBig room: every client logs into %s and reads; then one more logs in and says something to the room\n\n", bigRoom)
		t := newTable("stage", "clients", "all in after", "failed", "cut off", "closed", "server CPU", "new log-in answered", "message reached all", "RSS")
		for _, s := range rows {
			b := s.BigRoom
			t.row(s.Stage, strconv.Itoa(b.Clients), fmt.Sprintf("%.1f s", b.InSeconds), strconv.Itoa(b.Failed), strconv.Itoa(b.CutOff),
				strconv.Itoa(b.Closed), fmt.Sprintf("%.1f s", b.ServerCPU), seconds(b.LoginSeconds),
				fmt.Sprintf("%s (%d)", seconds(b.MessageSeconds), b.Reached), bytesIEC(float64(b.RSS)))
		}
		t.write(w)
	}

	writeBackground(w, rep)
	for _, s := range rep.Stages {
		for _, e := range s.Errors {
			fmt.Fprintf(w, "\n%s FAILED: %s", s.Stage, e)
		}
	}
	if rep.Failures > 0 {
		fmt.Fprintln(w)
	}

	targets := rep.Targets
	if targets == nil {
		targets = Targets(rep)
	}
	if len(targets) > 0 {
		fmt.Fprintf(w, "\nTargets (ratios are medians over the repetitions, each taken to lean's run of the same repetition)\n\n")
		t := newTable("target", "measured", "state", "note")
		for _, tg := range targets {
			measured := tg.Measured
			if measured == "" {
				measured = "-"
			}
			t.row(tg.Name, measured, string(tg.State), tg.Why)
		}
		t.write(w)
		met := 0
		for _, tg := range targets {
			if tg.State == TargetMet {
				met++
			}
		}
		fmt.Fprintf(w, "%d of %d targets met.\n", met, len(targets))
	}
	fmt.Fprintf(w, "\n%d stage%s, %d runs, measured in %.0f s.\n", len(rep.Stages), plural(len(rep.Stages)), len(rep.Runs), rep.Seconds)
}

// maxDisturbedListed bounds the disturbed runs named in the table's note.
const maxDisturbedListed = 8

// writeBackground notes the runs other processes disturbed.
func writeBackground(w io.Writer, rep *Report) {
	var bad []RunInfo
	var worst float64
	for _, r := range rep.Runs {
		if r.Disturbed {
			bad = append(bad, r)
			worst = max(worst, r.CPU.Others)
		}
	}
	if len(bad) == 0 {
		if len(rep.Runs) > 0 {
			fmt.Fprintf(w, "\nBackground: no run was disturbed (other processes used at most %.2f CPUs).\n", rep.Disturbed)
		}
		return
	}
	fmt.Fprintf(w, "\nNote: other processes used more than %.2f CPUs during %d of %d runs (up to %.2f): those figures are disturbed",
		rep.Disturbed, len(bad), len(rep.Runs), worst)
	var list []string
	for i, r := range bad {
		if i == maxDisturbedListed {
			list = append(list, fmt.Sprintf("and %d more", len(bad)-i))
			break
		}
		what := r.Stage + " " + r.Scenario
		if r.Setting != "" {
			what += " " + r.Setting
		}
		list = append(list, fmt.Sprintf("%s rep %d (%.2f)", what, r.Rep, r.CPU.Others))
	}
	fmt.Fprintf(w, ": %s.\n", strings.Join(list, "; "))
}

// ratioCell writes a ratio to lean; lean's own row is the reference.
func ratioCell(s Summary, r Spread) string {
	if s.Stage == LeanStage {
		return "ref"
	}
	return r.ratio()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func encodingOf(rep *Report, stage string) string {
	if s := find(rep, stage); s != nil {
		return encoding(*s)
	}
	return ""
}

// WriteJSON writes the report to path, making its folder.
func WriteJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func stagesWith(rep *Report, ok func(StageReport) bool) []StageReport {
	var out []StageReport
	for _, s := range rep.Stages {
		if ok(s) {
			out = append(out, s)
		}
	}
	return out
}

func find(rep *Report, stage string) *StageReport {
	for i := range rep.Stages {
		if rep.Stages[i].Stage == stage {
			return &rep.Stages[i]
		}
	}
	return nil
}

func encoding(s StageReport) string {
	if s.TLS {
		return s.Encoding + ", TLS"
	}
	return s.Encoding
}

// table is a Markdown table with aligned columns.
type table struct{ rows [][]string }

func newTable(head ...string) *table { return &table{rows: [][]string{head}} }

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// gap separates groups of rows with an empty one.
func (t *table) gap() { t.rows = append(t.rows, make([]string, len(t.rows[0]))) }

func (t *table) write(w io.Writer) {
	width := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-len([]rune(c))) + " |")
		}
		fmt.Fprintln(w, b.String())
	}
	line(t.rows[0])
	sep := make([]string, len(width))
	for i, n := range width {
		sep[i] = strings.Repeat("-", n)
	}
	line(sep)
	for _, r := range t.rows[1:] {
		line(r)
	}
}

// SI writes a rate with a k or M suffix: 200000 is "200k".
func SI(v float64) string {
	switch {
	case v >= 1e6:
		return trimZero(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case v >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	}
	return trimZero(fmt.Sprintf("%.1f", v))
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// us writes a latency given in microseconds.
func us(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1000:
		return fmt.Sprintf("%.0f µs", v)
	case v < 1e6:
		return trimZero(fmt.Sprintf("%.2f", v/1e3)) + " ms"
	}
	return trimZero(fmt.Sprintf("%.2f", v/1e6)) + " s"
}

func cores(v float64) string { return fmt.Sprintf("%.2f", v) }

func bytesIEC(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
