// Package target starts the program a grader grades — a stage's own
// server, or a student's given as a command — on a free port of
// 127.0.0.1, keeps its output, and stops it.
package target

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StartTimeout bounds how long a server may take to start listening.
const StartTimeout = 15 * time.Second

// Spec says how to run a server program.
type Spec struct {
	// Argv is the command and its arguments. Args holds the arguments
	// that come after the port.
	Argv []string
	Args []string
	// Ready, if set, is the output line that says the server listens;
	// otherwise the grader knows it is ready when a connection is
	// accepted. (A server that serves one client only, ClassChat's task 1,
	// needs Ready: a probe would use up its one client.)
	Ready *regexp.Regexp
}

// Process is a running server.
type Process struct {
	Addr  string // 127.0.0.1:port
	Port  int
	Stdin io.WriteCloser

	spec Spec
	cmd  *exec.Cmd
	out  *Output
	done chan struct{}
	err  error
}

// Start runs spec's program with a free port of 127.0.0.1 as its first
// argument after Argv, and waits until it is ready.
func Start(spec Spec) (*Process, error) {
	if len(spec.Argv) == 0 {
		return nil, errors.New("no server command")
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &Process{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Port: port, spec: spec}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// start runs the program on p.Port and waits until it is ready.
func (p *Process) start() error {
	args := append(append(append([]string{}, p.spec.Argv[1:]...), strconv.Itoa(p.Port)), p.spec.Args...)
	cmd := exec.Command(p.spec.Argv[0], args...)
	out, done := NewOutput(), make(chan struct{})
	cmd.Stdout, cmd.Stderr = out, out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.spec.Argv[0], err)
	}
	p.cmd, p.out, p.done, p.err, p.Stdin = cmd, out, done, nil, stdin
	go func() {
		p.err = cmd.Wait()
		close(done)
	}()
	if err := p.waitReady(p.spec.Ready); err != nil {
		p.Kill()
		return err
	}
	return nil
}

// Restart ends the process with SIGKILL if it still runs, as a crash
// would, and starts the same program again with the same arguments on the
// same port, waiting until it is ready. From then on Stdin, Output and
// Exited are the new process's. (ClassChat's task 1 server serves one
// client, and a second session needs a second process; bonus 3's offline
// queue must survive a crash.)
func (p *Process) Restart() error {
	p.Kill()
	return p.start()
}

func (p *Process) waitReady(ready *regexp.Regexp) error {
	deadline := time.Now().Add(StartTimeout)
	if ready != nil {
		if _, err := p.out.WaitFor(ready, deadline, p.done); err != nil {
			return p.notReady(err)
		}
		return nil
	}
	for {
		conn, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-p.done:
			return p.notReady(errors.New("it exited"))
		case <-time.After(20 * time.Millisecond): // the pace of connection attempts
		}
		if time.Now().After(deadline) {
			return p.notReady(fmt.Errorf("nothing listens on %s after %v", p.Addr, StartTimeout))
		}
	}
}

func (p *Process) notReady(err error) error {
	out := strings.TrimSpace(p.out.String())
	if out == "" {
		out = "(it printed nothing)"
	}
	return fmt.Errorf("the server did not start: %w; its output:\n%s", err, out)
}

// Output is everything the server printed so far.
func (p *Process) Output() *Output { return p.out }

// Exited returns a channel closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Interrupt sends SIGINT, as Ctrl-C in its terminal would.
func (p *Process) Interrupt() error { return p.cmd.Process.Signal(syscall.SIGINT) }

// Wait waits at most d for the process to end and returns its error.
func (p *Process) Wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("still running after %v", d)
	}
}

// Kill ends the process if it still runs and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

// FreePort returns a port of 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Output collects a program's output and lets a grader wait for a line.
type Output struct {
	mu   sync.Mutex
	buf  strings.Builder
	grew chan struct{}
}

// NewOutput returns an empty Output.
func NewOutput() *Output { return &Output{grew: make(chan struct{}, 1)} }

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.buf.Write(p)
	o.mu.Unlock()
	select {
	case o.grew <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Lines returns the complete lines printed so far.
func (o *Output) Lines() []string {
	s := o.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// Last quotes the last n complete lines, for failure reasons.
func (o *Output) Last(n int) string {
	lines := o.Lines()
	if len(lines) == 0 {
		return "(nothing)"
	}
	lines = lines[max(0, len(lines)-n):]
	q := make([]string, len(lines))
	for i, l := range lines {
		q[i] = strconv.Quote(l)
	}
	return strings.Join(q, ", ")
}

// WaitFor waits until a complete line matches re and returns it. It gives
// up at deadline, or when stop is closed and nothing more can come.
func (o *Output) WaitFor(re *regexp.Regexp, deadline time.Time, stop <-chan struct{}) (string, error) {
	var line string
	err := o.wait(func() bool {
		for _, l := range o.Lines() {
			if re.MatchString(l) {
				line = l
				return true
			}
		}
		return false
	}, deadline, stop)
	if err != nil {
		return "", fmt.Errorf("no line matching %q %w", re, err)
	}
	return line, nil
}

// WaitText waits until text appears anywhere in the output, a line not
// yet ended (a prompt) included.
func (o *Output) WaitText(text string, deadline time.Time, stop <-chan struct{}) error {
	if err := o.wait(func() bool { return strings.Contains(o.String(), text) }, deadline, stop); err != nil {
		return fmt.Errorf("no %q %w", text, err)
	}
	return nil
}

func (o *Output) wait(ok func() bool, deadline time.Time, stop <-chan struct{}) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	stopped := false
	for {
		if ok() {
			return nil
		}
		if stopped {
			return errors.New("before it exited")
		}
		select {
		case <-o.grew:
		case <-stop:
			stopped, stop = true, nil
		case <-timer.C:
			return errors.New("within the time allowed")
		}
	}
}
