package classchat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
	"chatlab/lab/target"
)

// Greeting is what a task 1 server says to its client first.
const Greeting = "Connection established. Welcome to ClassChat Server!"

// Task1 is task 1's rubric. A task 1 server serves one client, so checks 1
// to 5 are one session, step by step; the operator's exit (check 6) needs a
// second one, from a restarted server.
func Task1(env grade.Env) rubric.Rubric {
	s := &task1Session{run: newRun(env)}
	return rubric.Rubric{Stage: "task1", Title: "ClassChat task 1: one server, one client", Checks: []rubric.Check{
		{Name: "the client is greeted with one line", Rule: "tasks 1–3", Points: 6, Run: s.greeting},
		{Name: "a line from the client reaches the operator", Rule: "task 1", Points: 5, Run: s.clientToOperator},
		{Name: "a line from the operator reaches the client", Rule: "tasks 1–3", Points: 5, Run: s.operatorToClient},
		{Name: "two lines sent in one write stay two lines, both ways", Rule: "tasks 1–3, framing", Points: 4, Run: s.framing},
		{Name: "the client's exit ends the session", Rule: "task 1", Points: 5, Run: s.clientExits},
		{Name: "the operator's exit ends the session", Rule: "task 1", Points: 5, Run: s.operatorExits},
	}}
}

// task1Session is the one session checks 1 to 5 walk through.
type task1Session struct {
	*run
	mu     sync.Mutex
	peer   *linePeer
	broken string // why there is no session to go on with
}

// open connects the session's client.
func (s *task1Session) open(c *rubric.C) *linePeer {
	conn, err := net.DialTimeout("tcp", s.env.Addr, wait)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.broken = fmt.Sprintf("the client could not connect: %v", err)
		c.Fatalf("%s", s.broken)
	}
	s.peer = &linePeer{c: c, who: "the client", conn: conn, r: bufio.NewReaderSize(conn, 4096)}
	return s.peer
}

// session returns the session's client, bound to check c, or fails c if
// an earlier step ended it.
func (s *task1Session) session(c *rubric.C) *linePeer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peer == nil {
		why := s.broken
		if why == "" {
			why = "check 1 did not run"
		}
		c.Fatalf("not checked: this step continues the session of check 1, which is over (%s)", why)
	}
	s.peer.c = c
	return s.peer
}

// end marks the session over, for the reason given.
func (s *task1Session) end(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peer != nil {
		s.peer.conn.Close()
		s.peer = nil
	}
	s.broken = why
}

func (s *task1Session) greeting(c *rubric.C) {
	p := s.open(c)
	l, err := p.line()
	if err != nil {
		if errors.Is(err, errClosed) {
			s.end("the server closed the connection before the greeting")
		}
		c.Fatalf("expected the greeting %s: %v", quote(Greeting), err)
	}
	if l != Greeting {
		c.Fatalf("expected the greeting %s, got %s", quote(Greeting), quote(l))
	}
}

// operator returns the server process, whose standard input and output
// are the operator's.
func (s *task1Session) operator(c *rubric.C) operator {
	return operator{c: c, p: s.env.NeedServer(c, "the operator types at its standard input and reads its output")}
}

func (s *task1Session) clientToOperator(c *rubric.C) {
	op := s.operator(c)
	p := s.session(c)
	text := "hello operator " + s.token()
	p.send(text)
	op.waitFor(text, "a line from the client")
}

func (s *task1Session) operatorToClient(c *rubric.C) {
	op := s.operator(c)
	p := s.session(c)
	text := "hello client " + s.token()
	op.types(text + "\n")
	p.expectMatch("a line with "+quote(text), func(l string) bool { return strings.Contains(l, text) }, nil)
}

func (s *task1Session) framing(c *rubric.C) {
	op := s.operator(c)
	p := s.session(c)
	one, two := "one "+s.token(), "two "+s.token()
	p.write(one + "\n" + two + "\n")
	l1 := op.waitFor(one, "the first of two lines the client sent in one write")
	if strings.Contains(l1, two) {
		c.Fatalf("two lines the client sent in one write were shown as one: %s", quote(l1))
	}
	op.waitFor(two, "the second of two lines the client sent in one write")

	three, four := "three "+s.token(), "four "+s.token()
	op.types(three + "\n" + four + "\n")
	l3 := p.expectMatch("a line with "+quote(three), func(l string) bool { return strings.Contains(l, three) }, nil)
	if strings.Contains(l3, four) {
		c.Fatalf("two lines the operator typed together reached the client as one: %s", quote(l3))
	}
	p.expectMatch("a line with "+quote(four), func(l string) bool { return strings.Contains(l, four) }, nil)
}

func (s *task1Session) clientExits(c *rubric.C) {
	p := s.session(c)
	defer s.end("the client typed exit in check 5")
	p.send("exit")
	p.expectClosed("the client sent " + quote("exit"))
}

func (s *task1Session) operatorExits(c *rubric.C) {
	s.operator(c)
	s.end("check 6 started a new session")
	restart(c, s.env, "task 1 serves one client, and this check needs a second session")
	op := s.operator(c) // the restarted process's input and output
	p := dialLines(c, s.env.Addr, "the client")
	// The greeting (whatever its form, check 1 grades it) says the
	// session has begun.
	p.conn.SetReadDeadline(deadline(c, wait))
	if _, err := p.r.Peek(1); err != nil {
		c.Fatalf("the restarted server did not greet the client: %s", describeReadErr(err, "it"))
	}
	op.types("exit\n")
	p.expectClosed("the operator typed " + quote("exit"))
}

// operator is the person at the task 1 server's terminal: the process's
// standard input and output.
type operator struct {
	c *rubric.C
	p *target.Process
}

// types writes text at the server's standard input.
func (o operator) types(text string) {
	if _, err := io.WriteString(o.p.Stdin, text); err != nil {
		o.c.Fatalf("could not type %s at the server's standard input: %v", quote(text), err)
	}
}

// waitFor waits until the server prints a line holding text, and returns
// the line.
func (o operator) waitFor(text, what string) string {
	re := regexp.MustCompile(regexp.QuoteMeta(text))
	line, err := o.p.Output().WaitFor(re, deadline(o.c, wait), o.p.Exited())
	if err != nil {
		o.c.Fatalf("the operator's screen did not show %s (%s) within %v; its last lines: %s",
			quote(text), what, wait, o.p.Output().Last(3))
	}
	return line
}
