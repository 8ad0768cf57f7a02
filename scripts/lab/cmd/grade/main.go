// Command grade grades ChatLab stages over the wire: each stage's rubric
// of numbered checks with points, a reason for every failure, and a
// Markdown report. By default it starts the stage's own server from the
// bin folder; --addr grades a server running elsewhere (a student's, in
// any language), --server starts another server program, and --client
// drives a client program where the stage has client checks.
package main

import (
	"fmt"
	"os"
	"strings"

	"chatlab/lab/grade"
	"chatlab/lab/grade/chatproto"
	"chatlab/lab/grade/classchat"
	"chatlab/lab/rubric"
	"chatlab/shared/cli"
)

// stages is every stage the grader knows, in the order of the course.
var stages = append(append(grade.Registry{}, chatproto.Stages...), classchat.Stages...)

func main() {
	cmd := cli.NewCommand("grade", "[stage...]",
		"Grade ChatLab stages over the wire, check by check, and write a Markdown report.", 0, len(stages))
	bin := cmd.FlagSet.String("bin", "bin", "the `folder` of the stages' own binaries (make build)")
	addr := cmd.FlagSet.String("addr", "", "grade the server running at `host:port` instead of starting the stage's own")
	server := cmd.FlagSet.String("server", "", "start this server `command` instead (the grader appends a free port, and for TLS stages a certificate and key)")
	client := cmd.FlagSet.String("client", "", "drive this client `command` where the stage has client checks")
	ca := cmd.FlagSet.String("ca", "", "the `certificate` a TLS server at --addr must present (default: any)")
	report := cmd.FlagSet.String("report", "", "write the Markdown report to `file` too")
	list := cmd.FlagSet.Bool("list", false, "print the rubrics and their points without grading")
	markdown := cmd.FlagSet.Bool("markdown", false, "with --list: print the rubrics as Markdown")
	timeout := cmd.FlagSet.Duration("timeout", rubric.DefaultTimeout, "the longest one check may take")
	verbose := cmd.FlagSet.Bool("v", false, "print what each check does")
	cmd.Details = []string{
		"Stages: " + strings.Join(stages.Names(), " ") + " (all of them when none is given).",
		"Examples:\n  grade v3                            grade bin/server-v3, started on a free port\n" +
			"  grade --addr 127.0.0.1:5555 v2      grade a server already running\n" +
			"  grade --server 'python3 srv.py' v1  start and grade another implementation",
		"Exit status: 0 when every graded check passed, 1 when one failed, 2 for bad arguments.",
	}
	args := cmd.Parse(os.Args[1:])

	var picked []grade.Stage
	for _, name := range args {
		st, err := stages.Lookup(name)
		if err != nil {
			cmd.Fatal(cli.ExitUsage, err)
		}
		picked = append(picked, st)
	}
	if len(picked) == 0 {
		picked = stages
	}
	if *list {
		for i, st := range picked {
			if *markdown {
				grade.RubricMarkdown(os.Stdout, st)
				continue
			}
			if i > 0 {
				fmt.Println()
			}
			grade.ListRubric(os.Stdout, st)
		}
		return
	}
	if (*addr != "" || *server != "") && len(picked) != 1 {
		cmd.Fatal(cli.ExitUsage, fmt.Errorf("--addr and --server grade one stage: name it"))
	}
	if *addr != "" && *server != "" {
		cmd.Fatal(cli.ExitUsage, fmt.Errorf("give --addr or --server, not both"))
	}
	opts := grade.Options{Bin: *bin, Addr: *addr, Server: strings.Fields(*server), Client: strings.Fields(*client),
		CA: *ca, Timeout: *timeout}
	if *verbose {
		opts.Logf = func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	}
	if *verbose || isTerminal(os.Stderr) {
		opts.Progress = func(r rubric.Result) {
			fmt.Fprintf(os.Stderr, "  %-4s %2d. %s\n", r.Status, r.N, r.Check.Name)
		}
	}

	var reports []rubric.Report
	failed := false
	for i, st := range picked {
		if i > 0 {
			fmt.Println()
		}
		fmt.Fprintf(os.Stderr, "grading %s ...\n", st.Name)
		rep, err := grade.Grade(st, opts)
		if err != nil {
			fmt.Fprintf(os.Stderr, "grade %s: %v\n", st.Name, err)
			failed = true
			continue
		}
		rubric.WriteTable(os.Stdout, rep)
		reports = append(reports, rep)
		failed = failed || rep.Failed()
	}
	if len(reports) > 1 {
		fmt.Println("\nSummary:")
		for _, rep := range reports {
			fmt.Printf("  %-7s %s\n", rep.Stage, rubric.Total(rep))
		}
	}
	if *report != "" && len(reports) > 0 {
		if err := grade.WriteReport(*report, reports); err != nil {
			cmd.Fatal(cli.ExitError, err)
		}
		fmt.Printf("\nReport written to %s\n", *report)
	}
	if failed {
		os.Exit(cli.ExitError)
	}
}

// isTerminal reports whether f is a terminal (progress lines go there).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
