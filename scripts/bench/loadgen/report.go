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
// side by side in rows. The tables are Markdown, readable as they are.
func WriteTable(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "ChatLab load generator: %d CPUs (%s), %s, Linux %s.\n", m.CPUs, m.CPUModel, m.GoVersion, m.Kernel)
	fmt.Fprintf(w, "Server and generator are separate processes on the same machine, on 127.0.0.1.\n")
	if m.WriteBefore > 0 && m.WriteAfter > 0 {
		fmt.Fprintf(w, "A 64-byte loopback write cost %.1f µs before the runs and %.1f µs after (the machine's speed at the time).\n",
			float64(m.WriteBefore)/1e3, float64(m.WriteAfter)/1e3)
	}
	r := rep.Room
	fmt.Fprintf(w, "Room: %d members, %d publishers, window %d, text %d bytes; %s measured after %s of warm-up.\n",
		r.Members, r.Publishers, r.Window, r.TextBytes, r.Duration, r.Warmup)

	if rows := stagesWith(rep, func(s StageReport) bool { return s.FanOut != nil }); len(rows) > 0 {
		fmt.Fprintf(w, "\nFan-out, flat out (publishers limited only by their window of unacknowledged messages)\n\n")
		t := newTable("stage", "encoding", "delivered/s", "messages/s", "p50", "p99", "p99.9", "lost", "cut off", "server CPU", "generator CPU", "machine busy", "others")
		for _, s := range rows {
			f := s.FanOut
			t.row(s.Stage, encoding(s), SI(f.PerSecond), SI(f.MessagesPer), us(f.Latency.P50), us(f.Latency.P99), us(f.Latency.P999),
				strconv.FormatUint(f.Lost, 10), strconv.Itoa(f.CutOff), cores(f.ServerCPU), cores(f.GenCPU), cores(f.MachineCPU), cores(f.OtherCPU))
		}
		t.write(w)
		if v3 := find(rep, "v3"); v3 != nil && v3.FanOut != nil && v3.FanOut.PerSecond > 0 {
			for _, s := range rows {
				if s.Stage != "v3" {
					fmt.Fprintf(w, "%s (%s) delivers %.0f%% of v3's rate.\n", s.Stage, encoding(s), 100*s.FanOut.PerSecond/v3.FanOut.PerSecond)
				}
			}
		}
	}

	if rows := stagesWith(rep, func(s StageReport) bool { return len(s.Latency) > 0 }); len(rows) > 0 {
		fmt.Fprintf(w, "\nLatency against load: p50 / p99 / p99.9 at each offered load (deliveries/s); the rate reached in brackets when short of it\n\n")
		head := []string{"stage"}
		for _, l := range rep.Loads {
			head = append(head, SI(l)+"/s")
		}
		t := newTable(head...)
		for _, s := range rows {
			cells := []string{s.Stage}
			for _, l := range rep.Loads {
				cell := "-"
				for _, f := range s.Latency {
					if f.Offered == l {
						cell = fmt.Sprintf("%s / %s / %s", us(f.Latency.P50), us(f.Latency.P99), us(f.Latency.P999))
						if f.PerSecond < 0.95*l {
							cell += " (" + SI(f.PerSecond) + ")"
						}
						if f.Lost > 0 {
							cell += fmt.Sprintf(", %d lost", f.Lost)
						}
					}
				}
				cells = append(cells, cell)
			}
			t.row(cells...)
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

	if worst := otherLoad(rep); worst > 0.1 {
		fmt.Fprintf(w, "\nNote: other processes used up to %.2f CPUs during a measured run: those figures are disturbed.\n", worst)
	}
	for _, s := range rep.Stages {
		for _, e := range s.Errors {
			fmt.Fprintf(w, "\n%s FAILED: %s", s.Stage, e)
		}
	}
	if rep.Failures > 0 {
		fmt.Fprintln(w)
	}
	stages := "stages"
	if len(rep.Stages) == 1 {
		stages = "stage"
	}
	fmt.Fprintf(w, "\n%d %s measured in %.0f s.\n", len(rep.Stages), stages, rep.Seconds)
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

// otherLoad is the most CPU the rest of the machine used during any
// measured run.
func otherLoad(rep *Report) float64 {
	var worst float64
	note := func(f *FanOutResult) {
		if f != nil {
			worst = max(worst, f.OtherCPU)
		}
	}
	for _, s := range rep.Stages {
		note(s.FanOut)
		note(s.Slow)
		for _, f := range s.Latency {
			note(f)
		}
		if s.Scale != nil {
			note(s.Scale.FanOut)
		}
	}
	return worst
}
