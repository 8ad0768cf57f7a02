package loadgen

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Plot geometry, in SVG user units.
const (
	plotW, plotH           = 760, 470
	padL, padR, padT, padB = 78, 170, 58, 58
	markerR                = 3.5
	plotFont               = `font-family="DejaVu Sans, Helvetica, Arial, sans-serif"`
)

var plotColours = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"}

// WritePlot draws the latency scenario, and the flat-out point of the
// fan-out scenario (medians of the repetitions), as latency (p50 dashed, p99 solid) against the
// delivered rate, both on log scales, one colour per stage, as an SVG
// file.
func WritePlot(path string, rep *Report) error {
	type point struct{ x, p50, p99 float64 }
	type series struct {
		name    string
		points  []point
		flatOut *point
	}
	var all []series
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	add := func(p point) {
		xmin, xmax = min(xmin, p.x), max(xmax, p.x)
		ymin, ymax = min(ymin, p.p50, p.p99), max(ymax, p.p50, p.p99)
	}
	summary := rep.Summary
	if summary == nil {
		summary = Summarise(rep)
	}
	for _, s := range rep.Stages {
		se := series{name: s.Stage + " (" + encoding(s) + ")"}
		var flat []Summary
		for _, m := range summary {
			if m.Stage != s.Stage || m.PerSecond.Median <= 0 || m.P99.Median <= 0 {
				continue
			}
			switch m.Scenario {
			case ScenarioLatency:
				p := point{m.PerSecond.Median, m.P50.Median, m.P99.Median}
				se.points = append(se.points, p)
				add(p)
			case ScenarioFanOut:
				flat = append(flat, m)
			}
		}
		// The flat-out point of the room's own workload, else the
		// sweep's first.
		if len(flat) > 0 {
			m := flat[0]
			for _, f := range flat {
				if f.TextBytes == rep.Room.TextBytes && f.Window == rep.Room.Window {
					m = f
				}
			}
			se.flatOut = &point{m.PerSecond.Median, m.P50.Median, m.P99.Median}
			add(*se.flatOut)
		}
		if len(se.points) > 0 || se.flatOut != nil {
			all = append(all, se)
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("%w: nothing to plot (run the latency or fan-out scenario)", ErrConfig)
	}
	lx0, lx1 := math.Floor(math.Log10(xmin)), math.Ceil(math.Log10(xmax))
	ly0, ly1 := math.Floor(math.Log10(ymin)), math.Ceil(math.Log10(ymax))
	if lx1 == lx0 {
		lx1++
	}
	if ly1 == ly0 {
		ly1++
	}
	iw, ih := float64(plotW-padL-padR), float64(plotH-padT-padB)
	px := func(x float64) float64 { return padL + (math.Log10(x)-lx0)/(lx1-lx0)*iw }
	py := func(y float64) float64 { return padT + ih - (math.Log10(y)-ly0)/(ly1-ly0)*ih }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n", plotW, plotH, plotW, plotH, plotFont)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	r := rep.Room
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">End-to-end latency against load: fan-out to a %d-member room</text>`+"\n", padL, r.Members)
	fmt.Fprintf(&b, `<text x="%d" y="40" fill="#555">%s</text>`+"\n", padL, html.EscapeString(fmt.Sprintf(
		"%d publishers, %d-byte texts; server and load generator share %d CPUs (%s)", r.Publishers, r.TextBytes, rep.Machine.CPUs, rep.Machine.GoVersion)))

	// Grid and ticks: every 1, 2 and 5 of each decade, labelled at 1.
	for d := lx0; d <= lx1; d++ {
		for _, k := range []float64{1, 2, 5} {
			x := k * math.Pow(10, d)
			if math.Log10(x) > lx1+1e-9 {
				break
			}
			X := px(x)
			stroke := "#eee"
			if k == 1 {
				stroke = "#ccc"
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", X, plotH-padB+18, SI(x))
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", X, padT, X, plotH-padB, stroke)
		}
	}
	for d := ly0; d <= ly1; d++ {
		for _, k := range []float64{1, 2, 5} {
			y := k * math.Pow(10, d)
			if math.Log10(y) > ly1+1e-9 {
				break
			}
			Y := py(y)
			stroke := "#eee"
			if k == 1 {
				stroke = "#ccc"
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", padL-6, Y, html.EscapeString(us(y)))
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", padL, Y, plotW-padR, Y, stroke)
		}
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", padL, padT, iw, ih)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">messages delivered per second (log scale)</text>`+"\n", padL+iw/2, plotH-14)
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">latency, send to receive (log scale)</text>`+"\n", padT+ih/2)

	for i, s := range all {
		c := plotColours[i%len(plotColours)]
		for _, q := range []struct {
			get  func(point) float64
			dash string
		}{{func(p point) float64 { return p.p99 }, ""}, {func(p point) float64 { return p.p50 }, ` stroke-dasharray="5 4"`}} {
			var pts []string
			for _, p := range s.points {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.x), py(q.get(p))))
			}
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), c, q.dash)
			}
			for _, p := range s.points {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>`+"\n", px(p.x), py(q.get(p)), markerR, c)
			}
			if f := s.flatOut; f != nil {
				X, Y := px(f.x), py(q.get(*f))
				fmt.Fprintf(&b, `<path d="M%.1f %.1fl8 8m0 -8l-8 8" stroke="%s" stroke-width="2"/>`+"\n", X-4, Y-4, c)
			}
		}
		// Legend.
		ly := float64(padT + 10 + 22*i)
		lx := float64(plotW - padR + 14)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="2"/>`+"\n", lx, ly, lx+22, ly, c)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" dominant-baseline="middle">%s</text>`+"\n", lx+28, ly, html.EscapeString(s.name))
	}
	ly := float64(padT + 10 + 22*len(all) + 12)
	lx := float64(plotW - padR + 14)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333" stroke-width="2"/><text x="%.0f" y="%.0f" dominant-baseline="middle">p99</text>`+"\n", lx, ly, lx+22, ly, lx+28, ly)
	ly += 20
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333" stroke-width="2" stroke-dasharray="5 4"/><text x="%.0f" y="%.0f" dominant-baseline="middle">p50</text>`+"\n", lx, ly, lx+22, ly, lx+28, ly)
	ly += 20
	fmt.Fprintf(&b, `<path d="M%.0f %.0fl8 8m0 -8l-8 8" stroke="#333" stroke-width="2"/><text x="%.0f" y="%.0f" dominant-baseline="middle">flat out</text>`+"\n", lx+7, ly-4, lx+28, ly)
	b.WriteString("</svg>\n")

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
