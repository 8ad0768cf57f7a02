package grade

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"chatlab/lab/rubric"
	"chatlab/lab/target"
	"chatlab/shared/certs"
)

// Options say what to grade and how.
type Options struct {
	// Bin is the folder of the stages' own binaries ("bin").
	Bin string
	// Addr grades a server already running there instead of starting one.
	Addr string
	// Server is a server command to start instead of the stage's own; the
	// grader appends a free port (and, for TLS stages, a certificate and
	// key it makes).
	Server []string
	// Client is a client program to drive instead of the stage's own.
	Client []string
	// CA is the certificate a TLS server at Addr must present.
	CA string
	// Timeout bounds each check; 0 is rubric.DefaultTimeout.
	Timeout time.Duration
	// Progress, if set, is told of each check as it ends.
	Progress func(rubric.Result)
	// Logf, if set, receives the checks' log lines (-v).
	Logf func(format string, args ...any)
}

// Grade grades one stage and returns its report.
func Grade(st Stage, opts Options) (rubric.Report, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	env := Env{Addr: opts.Addr, CA: opts.CA, Client: opts.Client, Logf: logf}
	if len(env.Client) == 0 && len(st.Client) > 0 && exists(filepath.Join(opts.Bin, st.Client[0])) {
		own := filepath.Join(opts.Bin, st.Client[0])
		env.Client = append([]string{own}, st.Client[1:]...)
	}
	var what string
	switch {
	case opts.Addr != "":
		what = opts.Addr + " (a server running elsewhere)"
	case len(opts.Server) == 0 && st.Server == "": // a client-only stage
		what = "its client, " + strings.Join(env.Client, " ")
	default:
		dir, err := os.MkdirTemp("", "chatlab-grade-")
		if err != nil {
			return rubric.Report{}, err
		}
		defer os.RemoveAll(dir)
		argv := opts.Server
		if len(argv) == 0 {
			argv = []string{filepath.Join(opts.Bin, st.Server)}
			if st.ServerArgs != nil {
				argv = append(argv, st.ServerArgs(dir)...)
			}
		}
		spec := target.Spec{Argv: argv, Ready: st.Ready}
		if st.TLS {
			cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
			if err := certs.Generate(cert, key, certs.Validity); err != nil {
				return rubric.Report{}, fmt.Errorf("make a certificate for the server: %w", err)
			}
			spec.Args = []string{cert, key}
			if env.CA == "" {
				env.CA = cert
			}
		}
		proc, err := target.Start(spec)
		if err != nil {
			var pathErr *os.PathError
			if errors.As(err, &pathErr) && len(opts.Server) == 0 {
				return rubric.Report{}, fmt.Errorf("%w (build the stage's binaries first: make build)", err)
			}
			return rubric.Report{}, err
		}
		defer proc.Kill()
		env.Addr, env.Server = proc.Addr, proc
		what = fmt.Sprintf("%s on %s (started by the grader)", strings.Join(argv, " "), proc.Addr)
	}
	r := st.Build(env)
	mismatch := ""
	if st.Probe != nil && env.Addr != "" {
		mismatch = st.Probe(env)
	}
	rep := rubric.Run(r, what, rubric.Options{Timeout: opts.Timeout, Progress: opts.Progress, Logf: opts.Logf})
	rep.Mismatch = mismatch
	return rep, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// WriteReport writes reps as a Markdown file, making its folder.
func WriteReport(path string, reps []rubric.Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	rubric.WriteMarkdown(f, "ChatLab grading report", reps)
	return f.Close()
}

// ListRubric prints a stage's checks and points without grading.
func ListRubric(w io.Writer, st Stage) {
	r := st.Build(Env{Logf: func(string, ...any) {}})
	fmt.Fprintf(w, "%s (%s): %d points\n", r.Stage, r.Title, r.Max())
	if r.Spec != "" {
		fmt.Fprintf(w, "     rules: %s\n", r.Spec)
	}
	for i, c := range r.Checks {
		rule := ""
		if c.Rule != "" {
			rule = " (" + c.Rule + ")"
		}
		fmt.Fprintf(w, "%3d  %3d  %s%s\n", i+1, c.Points, c.Name, rule)
	}
}

// RubricMarkdown writes a stage's rubric as a Markdown section.
func RubricMarkdown(w io.Writer, st Stage) {
	r := st.Build(Env{Logf: func(string, ...any) {}})
	fmt.Fprintf(w, "### %s — %s (%d points)\n\n", r.Stage, r.Title, r.Max())
	if r.Spec != "" {
		fmt.Fprintf(w, "Rules: %s\n\n", r.Spec)
	}
	fmt.Fprintln(w, "| # | Check | Rule | Points |")
	fmt.Fprintln(w, "|---:|---|---|---:|")
	for i, c := range r.Checks {
		fmt.Fprintf(w, "| %d | %s | %s | %d |\n", i+1, strings.ReplaceAll(c.Name, "|", `\|`), c.Rule, c.Points)
	}
	fmt.Fprintln(w)
}
