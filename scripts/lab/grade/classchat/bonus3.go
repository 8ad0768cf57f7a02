package classchat

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
)

// Texts and bounds of bonus 3.
const (
	Queued        = "Message queued for %s (currently offline)"
	OfflineCount  = "You have %d offline message(s)"
	boundMessages = 2000 // sent at most to find the queue's bound
	boundText     = 4096 // bytes of text in each
)

var timestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

// Bonus3 is bonus 3's rubric: offline messages. The users a check sends to
// have logged in once and left: a server may hold messages only for names
// it has seen (ChatLab's does, so that a typo is not "queued").
func Bonus3(env grade.Env) rubric.Rubric {
	r := &jsonRun{run: newRun(env), pass: passBonus}
	return rubric.Rubric{Stage: "bonus3", Title: "ClassChat bonus 3: offline messages", Checks: []rubric.Check{
		{Name: "a message for a user offline is queued, the sender told, and delivered at log-in", Rule: "bonus 3", Points: 2, Run: r.b3Queued},
		{Name: "at log-in: welcome, `offline_messages`, the messages in order with timestamps, help; then none", Rule: "bonus 3, log-in order", Points: 3, Run: r.b3Order},
		{Name: "a file for a user offline is queued and delivered at log-in", Rule: "bonus 3; original's bug 7", Points: 1, Run: r.b3File},
		{Name: "the queue survives a restart of the server", Rule: "original's bug 9", Points: 2, Run: r.b3Restart},
		{Name: "the queue is bounded, with an error to the sender once it is full", Rule: "original's bug 9", Points: 2, Run: r.b3Bound},
	}}
}

// away logs a new user in (with base for its name) and out again, and
// returns the name once witness has heard that the user left: the server
// has seen the name, and the user is offline.
func (r *jsonRun) away(c *rubric.C, witness *jsonPeer, base string) string {
	name := r.name(base)
	p := r.dial(c, name)
	p.login(name, false)
	p.conn.Close()
	witness.expectNotice(isSystem, fmt.Sprintf(LeftTheChat, name))
	return name
}

// queue sends text from p (called from) to the offline user to, and
// waits for the answer that it is queued.
func queue(p *jsonPeer, from, to, text string) {
	p.write(typedMessage(from, to, text))
	p.expectNotice(done, fmt.Sprintf(Queued, to))
}

// offlineNotice checks the offline_messages object.
func offlineNotice(p *jsonPeer, o object, n int) {
	count, _ := o.m["count"].(float64)
	if o.status() != "offline_messages" || int(count) != n || o.str("message") != fmt.Sprintf(OfflineCount, n) {
		p.c.Fatalf("%s expected %s, got %s", p.who,
			quote(fmt.Sprintf(`{"status": "offline_messages", "count": %d, "message": "You have %d offline message(s)"}`, n, n)), o)
	}
}

// mine is the next object for p that is not about other users: notices
// and lists are passed over, except lists that name p.
func mine(p *jsonPeer, what string) object {
	for {
		o, err := p.next(wait)
		if err != nil {
			p.c.Fatalf("%s expected %s: %v", p.who, what, err)
		}
		if o.status() == "system" || (o.status() == "user_list" && !slices.Contains(o.strs("users"), p.who)) {
			continue
		}
		return o
	}
}

// expectHeld checks a held direct message.
func expectHeld(p *jsonPeer, o object, from, text string) {
	want := quote(py("status", "message", "sender", from, "receiver", p.who, "text", text, "timestamp", "YYYY-MM-DD HH:MM:SS"))
	if o.status() != "message" || o.str("sender") != from || o.str("text") != text || !timestamp.MatchString(o.str("timestamp")) {
		p.c.Fatalf("%s expected %s, got %s", p.who, want, o)
	}
}

func (r *jsonRun) b3Queued(c *rubric.C) {
	alice, a := r.user(c, "alice")
	b := r.away(c, alice, "bob")
	text := "see you later " + r.token()
	queue(alice, a, b, text)
	bob := r.dial(c, b)
	bob.login(b, true)
	bob.expect(quote(py("status", "message", "sender", a, "receiver", b, "text", text, "timestamp", "...")),
		func(o object) bool { return o.status() == "message" && o.str("text") == text && o.str("sender") == a },
		"offline_messages")
}

func (r *jsonRun) b3Order(c *rubric.C) {
	alice, a := r.user(c, "alice")
	b := r.away(c, alice, "bob")
	tok := r.token()
	texts := []string{"first " + tok, "second " + tok, "third " + tok}
	for _, t := range texts {
		queue(alice, a, b, t)
	}
	bob := r.dial(c, b)
	bob.login(b, true)
	offlineNotice(bob, mine(bob, "the offline_messages notice right after the welcome"), len(texts))
	for _, t := range texts {
		expectHeld(bob, mine(bob, "the held message "+quote(t)), a, t)
	}
	if o := mine(bob, "the help after the held messages"); o.status() != "help" {
		c.Fatalf("%s expected the help after the held messages, got %s", b, o)
	}
	if o := mine(bob, "the user list after the help"); o.status() != "user_list" {
		c.Fatalf("%s expected the user list (with %s) after the help, got %s", b, b, o)
	}
	alice.expectNotice(isSystem, fmt.Sprintf(JoinedTheChat, b))
	alice.expectList([]string{a, b}, nil)

	// Delivered once: at the next log-in, nothing is waiting.
	bob.conn.Close()
	alice.expectNotice(isSystem, fmt.Sprintf(LeftTheChat, b))
	again := r.dial(c, b+" (again)")
	again.who = b
	again.login(b, true)
	if o := mine(again, "the help"); o.status() != "help" {
		c.Fatalf("%s logged in again and expected the help (the held messages were delivered already), got %s", b, o)
	}
}

func (r *jsonRun) b3File(c *rubric.C) {
	alice, a := r.user(c, "alice")
	b := r.away(c, alice, "bob")
	name := "notes_" + r.token() + ".txt"
	data := randomBytes(smallFile)
	alice.write(fileRequest(a, b, name, data))
	alice.expectNotice(done, fmt.Sprintf(fileQueued, name, b))
	bob := r.dial(c, b)
	bob.login(b, true)
	offlineNotice(bob, mine(bob, "the offline_messages notice"), 1)
	o := expectFile(bob, a, name, data)
	if !timestamp.MatchString(o.str("timestamp")) {
		c.Fatalf("%s got the held file without a timestamp (YYYY-MM-DD HH:MM:SS): %s", b, o)
	}
}

func (r *jsonRun) b3Restart(c *rubric.C) {
	r.env.NeedServer(c, "it is restarted")
	alice, a := r.user(c, "alice")
	b := r.away(c, alice, "bob")
	text := "kept across a restart " + r.token()
	queue(alice, a, b, text)
	restart(c, r.env, "the queue must survive it")
	bob := r.dial(c, b)
	bob.login(b, true)
	offlineNotice(bob, mine(bob, "the offline_messages notice after the restart"), 1)
	expectHeld(bob, mine(bob, "the held message "+quote(text)), a, text)
}

func (r *jsonRun) b3Bound(c *rubric.C) {
	// Both log in as our client does, with a newline: a server may pace
	// what it writes to the original client (ours does, 20 ms an object),
	// and a thousand answers would take a while.
	a := r.name("alice")
	alice := r.dial(c, a)
	alice.login(a, false)
	b := r.away(c, alice, "bob")
	text := strings.Repeat("q", boundText)
	msg := []byte(typedMessage(a, b, text))
	stop := make(chan struct{})
	written := make(chan int, 1)
	alice.conn.SetWriteDeadline(deadline(c, bigWait))
	go func() {
		// Not a check's goroutine: it writes until told to stop, and says
		// how many it wrote.
		n := 0
		defer func() { written <- n }()
		for n < boundMessages {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := alice.conn.Write(msg); err != nil {
				return
			}
			n++
		}
	}()
	stopped := false
	halt := func() int {
		if !stopped {
			stopped = true
			close(stop)
		}
		return <-written
	}
	defer func() {
		if !stopped {
			halt()
		}
	}()
	queuedText := fmt.Sprintf(Queued, b)
	answer := func() object {
		return alice.expectWithin(bigWait, fmt.Sprintf("%s, or an error once the queue is full", quote(queuedText)),
			func(o object) bool { return o.status() == "error" || o.str("message") == queuedText })
	}
	queued, answered := 0, 0
	for queued < boundMessages {
		o := answer()
		answered++
		if o.status() == "error" {
			break
		}
		queued++
	}
	if queued == boundMessages {
		c.Fatalf("%d messages of %d bytes for %s were all queued: the queue must be bounded, with an error to the sender once it is full",
			boundMessages, boundText, b)
	}
	if queued == 0 {
		c.Fatalf("not even one message was queued for %s", b)
	}
	// Every message sent is answered before bob logs in: one still on
	// its way would reach him live.
	for n := halt(); answered < n; answered++ {
		if o := answer(); o.status() != "error" {
			c.Fatalf("%s got %s after the queue for %s was full", a, o, b)
		}
	}
	// What was queued is what is delivered (and the queue is emptied).
	bob := r.dial(c, b)
	bob.login(b, false)
	offlineNotice(bob, mine(bob, "the offline_messages notice"), queued)
	for i := range queued {
		if o := mine(bob, fmt.Sprintf("held message %d of %d", i+1, queued)); o.status() != "message" || o.str("text") != text {
			c.Fatalf("%s expected held message %d of %d, got %s", b, i+1, queued, o)
		}
	}
}
