package classchat

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
)

// Goodbye is what task 3's server answers exit with.
const Goodbye = "Goodbye! Disconnecting..."

// Task2 is task 2's rubric. Task 2 is a client: each check runs the client
// program (env.Client, given the host and port as its arguments) against a
// server the grader plays on 127.0.0.1, speaking task 1's dialect.
//
// What can be seen from outside of a client that waits on its keyboard
// and its socket together is that it never waits on one alone: a line from
// the server is shown while nothing is typed, and a typed line is sent
// while the server says nothing. (Whether that is one thread with poll(2)
// or a thread per direction is for a reader of the code to judge.)
func Task2(env grade.Env) rubric.Rubric {
	r := newRun(env)
	// Each check runs a client of its own against a server of its own:
	// they may run side by side.
	return rubric.Rubric{Stage: "task2", Title: "ClassChat task 2: one thread, poll(2)", Parallel: 3, Checks: []rubric.Check{
		{Name: "shows the server's lines while nothing is typed", Rule: "task 2, waiting on both", Points: 4, Run: r.t2ShowsLines},
		{Name: "sends a typed line while the server says nothing", Rule: "task 2, waiting on both", Points: 4, Run: r.t2SendsLines},
		{Name: "a line that arrives in pieces is shown whole", Rule: "tasks 1–3, framing", Points: 3, Run: r.t2Pieces},
		{Name: "typing exit ends the session", Rule: "tasks 1–3", Points: 3, Run: r.t2TypedExit},
		{Name: "the server's exit ends the session", Rule: "task 1", Points: 3, Run: r.t2ServerExit},
		{Name: "the server closing the connection ends the session", Rule: "tasks 1–3", Points: 3, Run: r.t2ServerCloses},
	}}
}

// t2Session is one run of the client: the program, and the grader's end
// of its connection.
type t2Session struct {
	c    *rubric.C
	prog *grade.Program
	srv  *linePeer
}

// t2Start runs the client against a server of the grader's, which greets
// it as task 1's does.
func (r *run) t2Start(c *rubric.C) *t2Session {
	argv := r.env.NeedClient(c)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.Fatalf("the grader could not listen on 127.0.0.1: %v", err)
	}
	c.Cleanup(func() { l.Close() })
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	prog := grade.StartProgram(c, "the client", argv, "", "127.0.0.1", port)

	l.(*net.TCPListener).SetDeadline(deadline(c, wait))
	conn, err := l.Accept()
	if err != nil {
		c.Fatalf("the client did not connect to 127.0.0.1:%s within %v (it was run as %s); %s",
			port, wait, quote(strings.Join(append(argv, "127.0.0.1", port), " ")), prog.Printed())
	}
	c.Cleanup(func() { conn.Close() })
	s := &t2Session{c: c, prog: prog,
		srv: &linePeer{c: c, who: "the grader's server", from: "the client", conn: conn, r: bufio.NewReaderSize(conn, 4096)}}
	s.srv.send(Greeting)
	return s
}

func (r *run) t2ShowsLines(c *rubric.C) {
	s := r.t2Start(c)
	s.prog.WaitFor(Greeting, "the server's greeting, while nothing was typed")
	text := "hello from the server " + r.token()
	s.srv.send(text)
	s.prog.WaitFor(text, "a second line from the server, while nothing was typed")
}

func (r *run) t2SendsLines(c *rubric.C) {
	s := r.t2Start(c)
	text := "hello from the client " + r.token()
	s.prog.Type(text + "\n")
	s.srv.expect(text, nil)
}

func (r *run) t2Pieces(c *rubric.C) {
	s := r.t2Start(c)
	s.prog.WaitFor(Greeting, "the server's greeting")
	tok := r.token()
	hello, world := "hello "+tok, "world "+tok
	// Each piece is sent once the client has read the one before: in one
	// read, pieces would make a whole line even for a client that shows
	// each read as it comes.
	s.srv.write("hel")
	s.drained(quote("hel"))
	s.srv.write("lo " + tok + "\nwor")
	s.drained(quote("lo " + tok + "\nwor"))
	s.srv.write("ld " + tok + "\n")
	why := fmt.Sprintf("sent as %s, then %s, then %s", quote("hel"), quote("lo "+tok+"\nwor"), quote("ld "+tok+"\n"))
	s.prog.WaitFor(hello, "one line, "+why)
	s.prog.WaitFor(world, "the next line, "+why)
}

func (r *run) t2TypedExit(c *rubric.C) {
	s := r.t2Start(c)
	s.prog.Type("exit\n")
	s.srv.expect("exit", nil)
	// As task 3's server does; the client may have closed already.
	s.srv.conn.SetWriteDeadline(deadline(c, wait))
	io.WriteString(s.srv.conn, Goodbye+"\n")
	s.srv.conn.Close()
	s.prog.WaitExit("it sent exit and the server answered "+quote(Goodbye)+" and closed the connection", true)
}

func (r *run) t2ServerExit(c *rubric.C) {
	s := r.t2Start(c)
	s.prog.WaitFor(Greeting, "the server's greeting")
	s.srv.send("exit") // the operator typed exit; the connection stays open
	s.prog.WaitExit("the server sent the line "+quote("exit")+" (its operator typed exit)", true)
}

func (r *run) t2ServerCloses(c *rubric.C) {
	s := r.t2Start(c)
	s.srv.conn.Close()
	s.prog.WaitExit("the server closed the connection", false)
}

// drained waits until the client has read all the grader sent it: the
// receive queue of its socket, which Linux shows in /proc/net/tcp, is
// empty. Where there is no such file it returns at once.
func (s *t2Session) drained(what string) {
	client := s.srv.conn.RemoteAddr().(*net.TCPAddr).Port
	grader := s.srv.conn.LocalAddr().(*net.TCPAddr).Port
	end := deadline(s.c, wait)
	for {
		queued, known := receiveQueue(client, grader)
		if !known || queued == 0 {
			return
		}
		if time.Now().After(end) {
			s.c.Fatalf("the client did not read %s from its socket within %v (%d bytes wait there); %s", what, wait, queued, s.prog.Printed())
		}
		time.Sleep(time.Millisecond) // no event announces it: look again
	}
}

// receiveQueue returns the bytes waiting to be read on the established
// TCP socket from local port to remote port, and whether /proc/net/tcp
// tells.
func receiveQueue(local, remote int) (int, bool) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0, false
	}
	port := func(addr string) string { _, p, _ := strings.Cut(addr, ":"); return p }
	for _, l := range strings.Split(string(b), "\n") {
		// "  0: 0100007F:D2A4 0100007F:1F90 01 00000000:00000000 ..."
		f := strings.Fields(l)
		if len(f) < 5 || f[3] != "01" || // ESTABLISHED
			port(f[1]) != fmt.Sprintf("%04X", local) || port(f[2]) != fmt.Sprintf("%04X", remote) {
			continue
		}
		_, rx, _ := strings.Cut(f[4], ":")
		n, err := strconv.ParseInt(rx, 16, 64)
		return int(n), err == nil
	}
	return 0, false
}
