package grade

import (
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"chatlab/lab/rubric"
	"chatlab/lab/target"
)

// ProgramWait bounds each wait for a client program: for a line, for its
// end.
const ProgramWait = 5 * time.Second

// Program is a client program the grader drives: its standard input is a
// pipe the check types into, its output is kept, and it is killed, if it
// still runs, when the check ends.
type Program struct {
	c     *rubric.C
	what  string // "the client", for reasons
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *target.Output
	done  chan struct{}
	err   error
}

// StartProgram runs argv followed by args. "{ca}" in argv stands for ca
// (the certificate a TLS client must trust).
func StartProgram(c *rubric.C, what string, argv []string, ca string, args ...string) *Program {
	full := make([]string, 0, len(argv)+len(args))
	for _, a := range argv {
		full = append(full, strings.ReplaceAll(a, "{ca}", ca))
	}
	full = append(full, args...)
	if strings.ContainsRune(full[0], filepath.Separator) {
		if abs, err := filepath.Abs(full[0]); err == nil {
			full[0] = abs
		}
	}
	cmd := exec.Command(full[0], full[1:]...)
	p := &Program{c: c, what: what, cmd: cmd, out: target.NewOutput(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		c.Fatalf("could not make a pipe for %s: %v", what, err)
	}
	if err := cmd.Start(); err != nil {
		c.Fatalf("could not run %s (%s): %v", what, strings.Join(full, " "), err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	c.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Type writes text to the program's standard input, as it is.
func (p *Program) Type(text string) {
	if _, err := io.WriteString(p.stdin, text); err != nil {
		p.c.Fatalf("could not type %q: %s has stopped reading its input (%v); %s", text, p.what, err, p.Printed())
	}
}

// WaitFor waits until the program prints a line holding text; what says
// what the line would show, for the reason.
func (p *Program) WaitFor(text, what string) string {
	re := regexp.MustCompile(regexp.QuoteMeta(text))
	line, err := p.out.WaitFor(re, p.deadline(), p.done)
	if err != nil {
		ended := ""
		if p.Exited() {
			ended = " (it has ended)"
		}
		p.c.Fatalf("%s did not show a line with %q (%s) within %v%s; %s", p.what, text, what, ProgramWait, ended, p.Printed())
	}
	return line
}

// WaitExit waits for the program to end, after what happened; with
// clean, it must end with status 0.
func (p *Program) WaitExit(after string, clean bool) {
	select {
	case <-p.done:
	case <-time.After(time.Until(p.deadline())):
		p.c.Fatalf("%s was still running %v after %s; %s", p.what, ProgramWait, after, p.Printed())
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
	case errors.As(p.err, &ee) && !clean:
	case errors.As(p.err, &ee):
		p.c.Fatalf("%s ended with status %d after %s; a session that ends so is not an error (want status 0); %s",
			p.what, ee.ExitCode(), after, p.Printed())
	default:
		p.c.Fatalf("%s: %v", p.what, p.err)
	}
}

// Exited reports whether the program has ended.
func (p *Program) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Printed quotes the last lines the program printed, for reasons.
func (p *Program) Printed() string { return "it printed: " + p.out.Last(4) }

// deadline is ProgramWait from now, or the check's own deadline if sooner.
func (p *Program) deadline() time.Time {
	d := time.Now().Add(ProgramWait)
	if cd := p.c.Deadline(); !cd.IsZero() && cd.Before(d) {
		return cd
	}
	return d
}
