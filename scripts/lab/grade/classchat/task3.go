package classchat

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
)

// Task 3's texts.
const (
	WelcomeFormat = "Welcome to ClassChat! You are Client %d. Type 'exit' to quit."
	JoinedFormat  = "[SYSTEM] Client %d has joined the chat"
	LeftFormat    = "[SYSTEM] Client %d has left the chat"
	AckFormat     = "[Server received] %s"
	FromFormat    = "[Client %d] %s"
)

var (
	welcomeLine = regexp.MustCompile(`^Welcome to ClassChat! You are Client (\d+)\. Type 'exit' to quit\.$`)
	// aboutClient matches the lines about a client: its arrival, its
	// departure, and what it says.
	aboutClient = regexp.MustCompile(`^(?:\[SYSTEM\] Client (\d+) has (?:joined|left) the chat|\[Client (\d+)\] .*)$`)
	joinedLine  = regexp.MustCompile(`^\[SYSTEM\] Client \d+ has joined the chat$`)
)

// Task3 is task 3's rubric. Every check connects clients of its own; each
// client learns its number from its welcome, and passes over the lines
// about clients of other checks.
func Task3(env grade.Env) rubric.Rubric {
	r := newRun(env)
	return rubric.Rubric{Stage: "task3", Title: "ClassChat task 3: many clients, a goroutine each", Checks: []rubric.Check{
		{Name: "each client is welcomed with its own number", Rule: "task 3", Points: 3, Run: r.t3Welcome},
		{Name: "the others are told `[SYSTEM] Client N has joined the chat`", Rule: "task 3", Points: 3, Run: r.t3Joined},
		{Name: "a line is acknowledged to its sender", Rule: "task 3", Points: 2, Run: r.t3Ack},
		{Name: "a line reaches every other client as `[Client N] ...`", Rule: "task 3", Points: 3, Run: r.t3Broadcast},
		{Name: "exit is answered `Goodbye! Disconnecting...` and the connection closed", Rule: "task 3", Points: 2, Run: r.t3Exit},
		{Name: "the others are told `[SYSTEM] Client N has left the chat`", Rule: "task 3", Points: 2, Run: r.t3Left},
		{Name: "lines sent together or in pieces arrive one by one", Rule: "tasks 1–3, framing", Points: 3, Run: r.t3Framing},
		{Name: "a client that reads nothing stalls nobody", Rule: "task 3; original's bug 10", Points: 2, Run: r.t3Sloth},
	}}
}

// t3Client is a task 3 client and its number.
type t3Client struct {
	*linePeer
	id    int
	group *t3Group
}

// t3Group is a check's clients: lines about any other client are passed
// over.
type t3Group struct{ ids map[int]bool }

// join connects a client, reads its welcome and learns its number.
func (g *t3Group) join(c *rubric.C, addr, who string) *t3Client {
	p := dialLines(c, addr, who)
	l := p.expectMatch("the welcome "+quote(strings.Replace(WelcomeFormat, "%d", "N", 1)), welcomeLine.MatchString, g.foreign)
	id, _ := strconv.Atoi(welcomeLine.FindStringSubmatch(l)[1])
	if g.ids == nil {
		g.ids = map[int]bool{}
	}
	if g.ids[id] {
		c.Fatalf("%s was welcomed as Client %d, the number of another client of this check", who, id)
	}
	g.ids[id] = true
	return &t3Client{linePeer: p, id: id, group: g}
}

// foreign reports whether l is about a client of another check.
func (g *t3Group) foreign(l string) bool {
	m := aboutClient.FindStringSubmatch(l)
	if m == nil {
		return false
	}
	n := m[1] + m[2]
	id, err := strconv.Atoi(n)
	return err == nil && !g.ids[id]
}

// noise is what a client passes over while it waits for something else:
// lines about other checks' clients, and arrivals (their check is
// separate).
func (g *t3Group) noise(l string) bool { return g.foreign(l) || joinedLine.MatchString(l) }

func (cl *t3Client) expect(want string) { cl.linePeer.expect(want, cl.group.noise) }

func (r *run) t3Welcome(c *rubric.C) {
	var g t3Group
	g.join(c, r.env.Addr, "client A")
	g.join(c, r.env.Addr, "client B") // fails if it gets A's number
}

func (r *run) t3Joined(c *rubric.C) {
	var g t3Group
	a := g.join(c, r.env.Addr, "client A")
	b := g.join(c, r.env.Addr, "client B")
	a.linePeer.expect(fmt.Sprintf(JoinedFormat, b.id), g.foreign)
	cl := g.join(c, r.env.Addr, "client C")
	a.linePeer.expect(fmt.Sprintf(JoinedFormat, cl.id), g.foreign)
	// A's own arrival may still reach B: A's welcome comes before the
	// server tells the others of A, and B may be in by then.
	aJoined := fmt.Sprintf(JoinedFormat, a.id)
	b.linePeer.expect(fmt.Sprintf(JoinedFormat, cl.id), func(l string) bool { return g.foreign(l) || l == aJoined })
}

func (r *run) t3Ack(c *rubric.C) {
	var g t3Group
	a := g.join(c, r.env.Addr, "client A")
	text := "hello " + r.token()
	a.send(text)
	a.expect(fmt.Sprintf(AckFormat, text))
}

func (r *run) t3Broadcast(c *rubric.C) {
	var g t3Group
	a := g.join(c, r.env.Addr, "client A")
	b := g.join(c, r.env.Addr, "client B")
	cl := g.join(c, r.env.Addr, "client C")
	text := "hello everyone " + r.token()
	b.send(text)
	a.expect(fmt.Sprintf(FromFormat, b.id, text))
	cl.expect(fmt.Sprintf(FromFormat, b.id, text))
}

func (r *run) t3Exit(c *rubric.C) {
	var g t3Group
	a := g.join(c, r.env.Addr, "client A")
	a.send("exit")
	a.expect(Goodbye)
	a.expectClosed("the goodbye")
}

func (r *run) t3Left(c *rubric.C) {
	var g t3Group
	a := g.join(c, r.env.Addr, "client A")
	b := g.join(c, r.env.Addr, "client B")
	cl := g.join(c, r.env.Addr, "client C")
	b.send("exit")
	a.expect(fmt.Sprintf(LeftFormat, b.id))
	cl.conn.Close() // gone without a word
	a.expect(fmt.Sprintf(LeftFormat, cl.id))
}

func (r *run) t3Framing(c *rubric.C) {
	var g t3Group
	a := g.join(c, r.env.Addr, "client A")
	b := g.join(c, r.env.Addr, "client B")
	tok := r.token()
	b.write("one " + tok + "\ntwo " + tok + "\n")
	a.expect(fmt.Sprintf(FromFormat, b.id, "one "+tok))
	a.expect(fmt.Sprintf(FromFormat, b.id, "two "+tok))
	b.expect(fmt.Sprintf(AckFormat, "one "+tok))
	b.expect(fmt.Sprintf(AckFormat, "two "+tok))
	// A line in two pieces: A's line between them shows that the server
	// has run since the first piece came.
	b.write("thr")
	sync := "meanwhile " + tok
	a.send(sync)
	a.expect(fmt.Sprintf(AckFormat, sync))
	b.expect(fmt.Sprintf(FromFormat, a.id, sync))
	b.write("ee " + tok + "\n")
	a.expect(fmt.Sprintf(FromFormat, b.id, "three "+tok))
}

// slothBytes is how much the slow-reader checks send towards a client
// that reads nothing: more than the kernel's buffers on both sides of its
// connection hold, so that a server that writes to it while others wait
// is caught waiting.
const slothBytes = 16 << 20

func (r *run) t3Sloth(c *rubric.C) {
	var g t3Group
	sloth := g.join(c, r.env.Addr, "client A")
	talker := g.join(c, r.env.Addr, "client B")
	listener := g.join(c, r.env.Addr, "client C")
	// A is connected, and never read again; the server may cut it off.
	cutOff := fmt.Sprintf(LeftFormat, sloth.id)
	pass := func(l string) bool { return g.noise(l) || l == cutOff }
	line := strings.Repeat("x", 4000-len(r.tag)) + r.tag
	for sent := 0; sent < slothBytes; sent += len(line) {
		talker.who = fmt.Sprintf("client B (%.1f MB sent towards client A, who reads nothing)", float64(sent)/(1<<20))
		listener.who = "client C" + talker.who[len("client B"):]
		talker.send(line)
		talker.linePeer.expect(fmt.Sprintf(AckFormat, line), pass)
		listener.linePeer.expect(fmt.Sprintf(FromFormat, talker.id, line), pass)
	}
}
