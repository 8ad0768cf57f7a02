package grade

import (
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"chatlab/lab/rubric"
	"chatlab/lab/target"
)

// ClientTimeout is how long a client program has to show something.
const ClientTimeout = 10 * time.Second

// Program is a client program the grader drives through its standard
// input and reads on its standard output.
type Program struct {
	Stdin io.WriteCloser
	out   *target.Output
	cmd   *exec.Cmd
	done  chan struct{}
	err   error
}

// StartProgram runs argv followed by args, ending it when the check ends.
// "{ca}" in argv is replaced by ca (a TLS client's certificate flag, say).
func StartProgram(c *rubric.C, argv []string, ca string, args ...string) *Program {
	full := make([]string, 0, len(argv)+len(args))
	for _, a := range argv {
		full = append(full, strings.ReplaceAll(a, "{ca}", ca))
	}
	full = append(full, args...)
	cmd := exec.Command(full[0], full[1:]...)
	p := &Program{out: target.NewOutput(), cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	var err error
	if p.Stdin, err = cmd.StdinPipe(); err != nil {
		c.Fatalf("client program: %v", err)
	}
	if err := cmd.Start(); err != nil {
		c.Fatalf("cannot start the client program %q: %v", strings.Join(full, " "), err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	c.Cleanup(func() {
		p.Stdin.Close()
		select {
		case <-p.done:
		case <-time.After(time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Type writes line and a newline to the program, as a user would.
func (p *Program) Type(c *rubric.C, line string) {
	if _, err := io.WriteString(p.Stdin, line+"\n"); err != nil {
		c.Fatalf("typing %q into the client: %v (it printed %q)", line, err, p.tail())
	}
}

// Shows waits until the program has printed text, failing the check if
// it does not in time.
func (p *Program) Shows(c *rubric.C, text, after string) {
	if err := p.out.WaitText(text, time.Now().Add(ClientTimeout), p.done); err != nil {
		c.Fatalf("%s, the client should show %q; it printed %q", after, text, p.tail())
	}
}

// Exits waits for the program to end, failing the check if it does not.
func (p *Program) Exits(c *rubric.C, after string) {
	select {
	case <-p.done:
	case <-time.After(ClientTimeout):
		c.Fatalf("%s, the client should exit; it is still running (it printed %q)", after, p.tail())
	}
}

// tail is the end of what the program printed, for reasons.
func (p *Program) tail() string {
	s := p.out.String()
	if len(s) > 300 {
		s = "…" + s[len(s)-300:]
	}
	return s
}

// String is everything the program printed.
func (p *Program) String() string { return p.out.String() }

// Describe names the program for the report.
func (p *Program) Describe() string { return fmt.Sprint(p.cmd.Args) }
