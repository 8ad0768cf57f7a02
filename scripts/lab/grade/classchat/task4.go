package classchat

import (
	"fmt"
	"strings"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
)

// Texts of task 4 on.
const (
	InvalidFormat  = "Invalid message format. Please use JSON."
	NotConnected   = "User '%s' is not connected."
	Delivered      = "Message delivered to %s"
	AlreadyTaken   = "Username '%s' is already taken. Disconnecting..."
	JoinedTheChat  = "%s has joined the chat"
	LeftTheChat    = "%s has left the chat"
	maxNameLetters = 20
)

// Task4 is task 4's rubric. Every check logs in users of its own.
func Task4(env grade.Env) rubric.Rubric {
	r := &jsonRun{run: newRun(env), pass: passTask4}
	return rubric.Rubric{Stage: "task4", Title: "ClassChat task 4: usernames and routed direct messages", Checks: []rubric.Check{
		{Name: "the server asks `Enter your username: `, with no newline", Rule: "task 4, log-in", Points: 3, Run: r.t4Prompt},
		{Name: "a bare name logs in: welcome, then the user list", Rule: "task 4, log-in", Points: 3, Run: r.t4BareName},
		{Name: "a name ending in a newline logs in too", Rule: "task 4, log-in", Points: 1, Run: r.t4NameNewline},
		{Name: "the others are told `<u> has joined the chat` and get the user list", Rule: "task 4", Points: 2, Run: r.t4Joined},
		{Name: "a direct message is routed, sender and all, and confirmed", Rule: "task 4", Points: 3, Run: r.t4Route},
		{Name: "a message for a user not connected gets `User '<r>' is not connected.`", Rule: "task 4", Points: 2, Run: r.t4NotConnected},
		{Name: "objects back to back, with or without white space, are all read", Rule: "task 4, framing", Points: 3, Run: r.t4BackToBack},
		{Name: "every object the server sends ends with a newline", Rule: "task 4, framing", Points: 2, Run: r.t4Newlines},
		{Name: "a departure is told `<u> has left the chat`, with the new user list", Rule: "task 4", Points: 2, Run: r.t4Left},
		{Name: "the sender a client claims is ignored", Rule: "original's bug 1", Points: 3, Run: r.t4Spoof},
		{Name: "a duplicate log-in is refused and the first session goes on", Rule: "original's bug 2", Points: 2, Run: r.t4Duplicate},
		{Name: "names are checked: 1–20 characters, no spaces, `@`, `/` or invisible characters", Rule: "original's bug 3", Points: 1, Run: r.t4Names},
		{Name: "a line that is not JSON gets `Invalid message format. Please use JSON.`", Rule: "task 4", Points: 1, Run: r.t4NotJSON},
		{Name: "a client that reads nothing stalls nobody", Rule: "original's bug 10", Points: 2, Run: r.t4Sloth},
	}}
}

// jsonRun is a rubric run of a JSON stage.
type jsonRun struct {
	*run
	pass []string // what checks pass over while they wait
}

// dial connects a client that will call itself who.
func (r *jsonRun) dial(c *rubric.C, who string) *jsonPeer {
	return dialJSON(c, r.env.Addr, who, r.pass)
}

// user logs in a new user, with base for its name (the original client's
// way: a bare name), and returns it after its welcome.
func (r *jsonRun) user(c *rubric.C, base string) (*jsonPeer, string) {
	name := r.name(base)
	p := r.dial(c, name)
	p.login(name, true)
	return p, name
}

// ourUser is user, logging in as our client does: the name and a
// newline. A server may pace what it writes to the original client (ours
// does: 20 ms between objects sent together), which a check that
// exchanges thousands of objects cannot wait for.
func (r *jsonRun) ourUser(c *rubric.C, base string) (*jsonPeer, string) {
	name := r.name(base)
	p := r.dial(c, name)
	p.login(name, false)
	return p, name
}

func (r *jsonRun) t4Prompt(c *rubric.C) {
	name := r.name("alice")
	p := r.dial(c, name)
	p.prompt()
	p.write(name)
	if _, err := p.next(wait); err != nil {
		c.Fatalf("after the prompt and the name, %s expected the welcome: %v", name, err)
	}
	if p.promptNewline {
		c.Fatalf("the prompt %s was followed by white space before the first object; it must be the prompt alone, with no newline", quote(Prompt))
	}
}

func (r *jsonRun) t4BareName(c *rubric.C) {
	alice, name := r.user(c, "alice")
	alice.expectList([]string{name}, nil)
}

func (r *jsonRun) t4NameNewline(c *rubric.C) {
	name := r.name("alice")
	p := r.dial(c, name)
	p.login(name, false)
}

func (r *jsonRun) t4Joined(c *rubric.C) {
	alice, a := r.user(c, "alice")
	_, b := r.user(c, "bob")
	alice.expectNotice(isSystem, fmt.Sprintf(JoinedTheChat, b))
	alice.expectList([]string{a, b}, nil)
}

// expectDM waits for a direct message from sender with text.
func expectDM(p *jsonPeer, sender, receiver, text string) object {
	what := quote(py("status", "message", "sender", sender, "receiver", receiver, "text", text))
	o := p.expect(what, func(o object) bool { return o.status() == "message" && o.str("text") == text })
	if o.str("sender") != sender || o.str("receiver") != receiver {
		p.c.Fatalf("%s expected %s, got %s", p.who, what, o)
	}
	return o
}

func (r *jsonRun) t4Route(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	text := "Hi, do you know how TCP works? " + r.token()
	alice.write(dm(a, b, text))
	expectDM(bob, a, b, text)
	alice.expectNotice(done, fmt.Sprintf(Delivered, b))
}

func (r *jsonRun) t4NotConnected(c *rubric.C) {
	alice, a := r.user(c, "alice")
	nobody := r.name("nobody")
	alice.write(dm(a, nobody, "hello? "+r.token()))
	alice.expectNotice(refused, fmt.Sprintf(NotConnected, nobody))
}

func (r *jsonRun) t4BackToBack(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	tok := r.token()
	texts := []string{"one " + tok, "two " + tok, "three " + tok, "four " + tok}
	// Two quick send()s of the original client, merged by TCP; then two
	// objects with white space and newlines around them.
	alice.write(dm(a, b, texts[0]) + dm(a, b, texts[1]))
	alice.write(" \n" + dm(a, b, texts[2]) + "\r\n\t" + dm(a, b, texts[3]) + "\n")
	for _, t := range texts {
		expectDM(bob, a, b, t)
	}
	for range texts {
		alice.expectNotice(done, fmt.Sprintf(Delivered, b))
	}
}

func (r *jsonRun) t4Newlines(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	tok := r.token()
	alice.write(dm(a, b, "ping "+tok))
	expectDM(bob, a, b, "ping "+tok)
	alice.expectNotice(done, fmt.Sprintf(Delivered, b))
	bob.write(dm(b, a, "pong "+tok))
	expectDM(alice, b, a, "pong "+tok)
	bob.expectNotice(done, fmt.Sprintf(Delivered, a))
	for _, p := range []*jsonPeer{alice, bob} {
		if len(p.unended) > 0 {
			c.Fatalf("%s got %s with no \"\\n\" after it: the server must write each object followed by \"\\n\"", p.who, p.unended[0])
		}
		if p.judged < 2 {
			c.Fatalf("%s got too few objects to tell (%d)", p.who, p.judged)
		}
	}
}

func (r *jsonRun) t4Left(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	bob.conn.Close()
	alice.expectNotice(isSystem, fmt.Sprintf(LeftTheChat, b))
	alice.expectList([]string{a}, []string{b})
}

func (r *jsonRun) t4Spoof(c *rubric.C) {
	bob, b := r.user(c, "bob")
	mallory, m := r.user(c, "mallory")
	claimed := r.name("alice")
	text := "it's me, " + claimed + " " + r.token()
	mallory.write(dm(claimed, b, text))
	o := bob.expect("the message "+quote(text), func(o object) bool { return o.status() == "message" && o.str("text") == text })
	if o.str("sender") != m {
		c.Fatalf("%s got %s: the sender is %s, as %s claimed; the server must use the name the connection logged in with, %s",
			b, o, quote(o.str("sender")), m, quote(m))
	}
}

func (r *jsonRun) t4Duplicate(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	twin := r.dial(c, "a second "+a)
	twin.prompt()
	twin.write(a)
	twin.expectNotice(refused, fmt.Sprintf(AlreadyTaken, a))
	twin.expectClosed("refusing the name")
	text := "still there? " + r.token()
	bob.write(dm(b, a, text))
	bob.expectNotice(done, fmt.Sprintf(Delivered, a))
	expectDM(alice, b, a, text)
}

func (r *jsonRun) t4Names(c *rubric.C) {
	long := strings.Repeat("x", maxNameLetters+1-len(r.tag)) + r.tag
	// A right-to-left override shows "x\u202eab" as "xba": a name that can
	// pass for another.
	for _, bad := range []string{"", "two " + r.tag, r.tag + "@b", r.tag + "/b", long, r.tag + "\u202eb"} {
		p := r.dial(c, fmt.Sprintf("a client named %s", quote(bad)))
		p.prompt()
		p.write(bad + "\n")
		p.expect(fmt.Sprintf(`an error (status "error") refusing the name %s`, quote(bad)),
			func(o object) bool { return o.status() == "error" })
		p.expectClosed("refusing the name " + quote(bad))
	}
	longest := r.name("n")
	longest += strings.Repeat("x", maxNameLetters-len(longest))
	r.dial(c, longest).login(longest, false)
}

func (r *jsonRun) t4NotJSON(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	alice.write("hello there\n")
	alice.expectNotice(refused, InvalidFormat)
	text := "still here " + r.token()
	alice.write(dm(a, b, text))
	expectDM(bob, a, b, text)
}

func (r *jsonRun) t4Sloth(c *rubric.C) {
	_, sloth := r.ourUser(c, "sloth") // logged in, and never read again
	alice, a := r.ourUser(c, "alice")
	bob, b := r.ourUser(c, "bob")
	carol, cn := r.ourUser(c, "carol")
	big := dm(a, sloth, strings.Repeat("z", 60000))
	for sent, i := 0, 0; sent < slothBytes; sent, i = sent+len(big), i+1 {
		// alice does not read the answers (small ones: her buffers hold
		// them); a server that stops reading her is stalled by sloth.
		alice.conn.SetWriteDeadline(deadline(c, wait))
		if _, err := alice.conn.Write([]byte(big)); err != nil {
			c.Fatalf("the server stopped reading %s after %.1f MB of messages for %s, who reads nothing (%v): one client that does not read must not stall the others",
				a, float64(sent)/(1<<20), sloth, err)
		}
		ping := fmt.Sprintf("ping %d %s", i, r.tag)
		carol.who = fmt.Sprintf("%s (with %.1f MB sent to %s, who reads nothing)", cn, float64(sent)/(1<<20), sloth)
		bob.who = b + carol.who[len(cn):]
		carol.write(dm(cn, b, ping))
		expectDM(bob, cn, b, ping)
		carol.expectNotice(done, fmt.Sprintf(Delivered, b))
	}
}
