package bandwidth

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"chatlab/lab/workload"
)

// Write prints the report as text tables.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ChatProto bandwidth: one scripted session, the same against each stage\n")
	fmt.Fprintf(&b, "%s\n", r.describe())
	fmt.Fprintf(&b, "TCP payload in both directions, counted by a relay on 127.0.0.1.\n\n")

	t := table{align: "lrrrrrr", rows: [][]string{{"stage", "ChatLab", "vs JSON", "vs JSON+TLS", "seed", "vs JSON", "vs JSON+TLS"}}}
	for _, s := range r.Stages {
		t.add(s.Label, commas(s.Total)+" B", pct(s.VsJSON), pctp(s.VsJSONTLS),
			commas(s.Seed.Total)+" B", pct(s.Seed.VsJSON), pctp(s.Seed.VsJSONTLS))
	}
	t.write(&b)
	fmt.Fprintf(&b, "(seed: the course project's captures, 163-183 s, 5 users)\n\n")

	fmt.Fprintf(&b, "Per message kind: the messages themselves, before TLS\n")
	t = table{align: "llrrrrrr", rows: [][]string{{"kind", "dir", "count", "JSON", "binary", "binary vs JSON", "JSON/msg", "binary/msg"}}}
	var count, js, bin int64
	for _, k := range r.Kinds {
		t.add(k.Kind, k.Dir, commas(k.Count), commas(k.JSON)+" B", commas(k.Binary)+" B",
			pct(change(k.Binary, k.JSON)), avg(k.JSON, k.Count), avg(k.Binary, k.Count))
		count, js, bin = count+k.Count, js+k.JSON, bin+k.Binary
	}
	t.add("all messages", "", commas(count), commas(js)+" B", commas(bin)+" B", pct(change(bin, js)), avg(js, count), avg(bin, count))
	t.write(&b)

	if len(r.TLS) > 0 {
		first := r.TLS[0]
		fmt.Fprintf(&b, "\nWhat TLS adds (%s, %s, key exchange %s, Ed25519 certificate)\n", first.Version, first.Cipher, first.Group)
		t = table{align: "lrrrrrrr", rows: [][]string{{"stage", "connections", "handshake/conn C→S", "S→C", "records", "overhead/record", "close_notify/conn", "TLS adds"}}}
		for _, f := range r.TLS {
			t.add(f.Stage, strconv.Itoa(f.Connections), perConn(f.HandshakeClient, f), perConn(f.HandshakeServer, f),
				commas(f.Records), fmt.Sprintf("%d B", f.RecordOverhead), fmt.Sprintf("%d B", f.Close/int64(max(f.Connections, 1))),
				fmt.Sprintf("%s B (%s)", commas(f.Total-f.Plain), pct(change(f.Total, f.Plain))))
		}
		t.write(&b)
		if line := r.breakEven(); line != "" {
			fmt.Fprintf(&b, "%s\n", line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// breakEven says when binary over TLS (v4) becomes cheaper than plain JSON
// (v2): each message saves the difference of the encodings and pays a
// record's overhead; each connection pays a handshake and a close.
func (r *Report) breakEven() string {
	var n, js, bin int64
	for _, k := range r.Kinds {
		n, js, bin = n+k.Count, js+k.JSON, bin+k.Binary
	}
	var v4 *TLSFigures
	for i := range r.TLS {
		if r.TLS[i].Stage == "v4" {
			v4 = &r.TLS[i]
		}
	}
	if n == 0 || v4 == nil || v4.Connections == 0 {
		return ""
	}
	encoding := float64(js-bin) / float64(n)
	net := encoding - float64(v4.RecordOverhead)
	cost := (v4.HandshakeClient + v4.HandshakeServer + v4.Close) / int64(v4.Connections)
	s := fmt.Sprintf("Binary over TLS against plain JSON: each message saves %.1f B of encoding and pays %d B of record, %.1f B net;\n",
		encoding, v4.RecordOverhead, net)
	if net <= 0 {
		return s + fmt.Sprintf("a connection's handshake and close (%s B) are never paid back.", commas(cost))
	}
	return s + fmt.Sprintf("a connection's handshake and close (%s B) are paid back after %s messages.",
		commas(cost), commas(int64(float64(cost)/net+0.999999)))
}

// table lays out rows in columns two spaces apart, each aligned left (l)
// or right (r).
type table struct {
	align string
	rows  [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *strings.Builder) {
	widths := make([]int, len(t.align))
	for _, row := range t.rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range t.rows {
		var line strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if t.align[i] == 'r' {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// describe says what the session was.
func (r *Report) describe() string {
	var ops []string
	for _, op := range workload.Ops {
		if n := r.Actions[op.String()]; n > 0 {
			ops = append(ops, fmt.Sprintf("%s %s", commas(int64(n)), plural(op.String(), n)))
		}
	}
	return fmt.Sprintf("%d users (%s), %s steps from seed %d, %d connections:\n  %s.",
		len(r.Users), strings.Join(r.Users, ", "), commas(int64(r.Steps)), r.Seed, r.Sessions, strings.Join(ops, ", "))
}

// Markdown renders the report's tables for a document.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", strings.ReplaceAll(r.describe(), "\n ", ""))
	fmt.Fprintf(&b, "| stage | ChatLab TCP payload | vs JSON | vs JSON+TLS | seed TCP payload | seed vs JSON | seed vs JSON+TLS |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range r.Stages {
		fmt.Fprintf(&b, "| %s | %s B | %s | %s | %s B | %s | %s |\n", s.Label, commas(s.Total), pct(s.VsJSON), pctp(s.VsJSONTLS),
			commas(s.Seed.Total), pct(s.Seed.VsJSON), pctp(s.Seed.VsJSONTLS))
	}
	fmt.Fprintf(&b, "\nPer message kind, the messages themselves (before TLS):\n\n")
	fmt.Fprintf(&b, "| kind | dir | count | JSON | binary | binary vs JSON | JSON/msg | binary/msg |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|---:|---:|---:|\n")
	var count, js, bin int64
	for _, k := range r.Kinds {
		fmt.Fprintf(&b, "| %s | %s | %s | %s B | %s B | %s | %s | %s |\n", k.Kind, k.Dir, commas(k.Count), commas(k.JSON), commas(k.Binary),
			pct(change(k.Binary, k.JSON)), avg(k.JSON, k.Count), avg(k.Binary, k.Count))
		count, js, bin = count+k.Count, js+k.JSON, bin+k.Binary
	}
	fmt.Fprintf(&b, "| all messages | | %s | %s B | %s B | %s | %s | %s |\n", commas(count), commas(js), commas(bin),
		pct(change(bin, js)), avg(js, count), avg(bin, count))
	if len(r.TLS) > 0 {
		t := r.TLS[0]
		fmt.Fprintf(&b, "\nWhat TLS adds (%s, %s, key exchange %s, Ed25519 certificate):\n\n", t.Version, t.Cipher, t.Group)
		fmt.Fprintf(&b, "| stage | connections | handshake/conn C→S | handshake/conn S→C | records | overhead/record | close_notify/conn | TLS adds |\n")
		fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, t := range r.TLS {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d B | %d B | %s B (%s) |\n", t.Stage, t.Connections,
				perConn(t.HandshakeClient, t), perConn(t.HandshakeServer, t), commas(t.Records), t.RecordOverhead,
				t.Close/int64(max(t.Connections, 1)), commas(t.Total-t.Plain), pct(change(t.Total, t.Plain)))
		}
		if line := r.breakEven(); line != "" {
			fmt.Fprintf(&b, "\n%s\n", strings.ReplaceAll(line, ";\n", "; "))
		}
	}
	return b.String()
}

// perConn is a handshake's bytes per connection ("about" if they varied).
func perConn(total int64, t TLSFigures) string {
	n := int64(max(t.Connections, 1))
	if t.HandshakeSame {
		return commas(total/n) + " B"
	}
	return "about " + commas((total+n/2)/n) + " B"
}

func pct(p float64) string {
	if p == 0 {
		return "baseline"
	}
	return fmt.Sprintf("%+.1f%%", p)
}

func pctp(p *float64) string {
	if p == nil {
		return ""
	}
	return pct(*p)
}

func avg(total, n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatFloat(float64(total)/float64(n), 'f', 1, 64) + " B"
}

// commas writes n with thousands separated: 656,550.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func plural(s string, n int) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
