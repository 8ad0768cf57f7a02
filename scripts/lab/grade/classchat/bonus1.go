package classchat

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"chatlab/lab/grade"
	"chatlab/lab/rubric"
)

// Bonus1 is bonus 1's rubric: groups. Commands travel in the receiver
// field, as the original client sends them; a check passes over the group
// lists a server may send after each command.
func Bonus1(env grade.Env) rubric.Rubric {
	r := &jsonRun{run: newRun(env), pass: passBonus}
	return rubric.Rubric{Stage: "bonus1", Title: "ClassChat bonus 1: groups", Checks: []rubric.Check{
		{Name: "the help (status `help`, with its commands) follows the welcome", Rule: "bonus 1", Points: 1, Run: r.b1Help},
		{Name: "/create makes a group, once", Rule: "bonus 1", Points: 2, Run: r.b1Create},
		{Name: "/join joins a group that exists", Rule: "bonus 1", Points: 1, Run: r.b1Join},
		{Name: "a message to @group reaches its members, from its sender", Rule: "bonus 1; original's bug 1", Points: 2, Run: r.b1Post},
		{Name: "/leave leaves, and the last one out deletes the group", Rule: "bonus 1", Points: 2, Run: r.b1Leave},
		{Name: "/groups lists groups and members; an unknown command is refused", Rule: "bonus 1", Points: 2, Run: r.b1List},
	}}
}

// command sends what the original bonus client sends for a command: the
// command in receiver, the text empty.
func command(p *jsonPeer, sender, cmd string) { p.write(typedMessage(sender, cmd, "")) }

// group creates a group named after base, as p (called name), and
// returns its name.
func (r *jsonRun) group(p *jsonPeer, name, base string) string {
	g := r.name(base)
	command(p, name, "/create "+g)
	p.expectNotice(done, fmt.Sprintf("Group '%s' created successfully", g))
	return g
}

// joinGroup joins group g as p.
func joinGroup(p *jsonPeer, name, g string) {
	command(p, name, "/join "+g)
	p.expectNotice(done, fmt.Sprintf("Joined group '%s'", g))
}

func (r *jsonRun) b1Help(c *rubric.C) {
	name := r.name("alice")
	p := r.dial(c, name)
	p.login(name, true)
	o, err := p.next(wait)
	want := quote(`{"status": "help", "commands": {"...": "...", ...}}`)
	if err != nil {
		c.Fatalf("%s expected the help %s right after the welcome: %v", name, want, err)
	}
	if cmds, isMap := o.m["commands"].(map[string]any); o.status() != "help" || !isMap || len(cmds) == 0 {
		c.Fatalf("%s expected the help %s right after the welcome, got %s", name, want, o)
	}
}

func (r *jsonRun) b1Create(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	g := r.group(alice, a, "g")
	command(bob, b, "/create "+g)
	bob.expectNotice(refused, fmt.Sprintf("Group '%s' already exists", g))
}

func (r *jsonRun) b1Join(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	g := r.group(alice, a, "g")
	joinGroup(bob, b, g)
	nope := r.name("nope")
	command(bob, b, "/join "+nope)
	bob.expectNotice(refused, fmt.Sprintf("Group '%s' does not exist", nope))
}

var sentToMembers = regexp.MustCompile(`^Message sent to (\d+)/(\d+) members in '(.*)'$`)

func (r *jsonRun) b1Post(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	_, carol := r.user(c, "carol")
	g := r.group(alice, a, "g")
	joinGroup(bob, b, g)
	text := "class starts in 5 minutes " + r.token()
	alice.write(typedMessage(carol, "@"+g, text)) // claiming to be carol
	want := py("status", "group_message", "group", g, "sender", a, "text", text)
	o := bob.expect(quote(want), func(o object) bool { return o.status() == "group_message" && o.str("text") == text })
	if o.str("group") != g || o.str("sender") != a {
		c.Fatalf("%s expected %s, got %s", b, quote(want), o)
	}
	what := quote(fmt.Sprintf(`{"status": "success", "message": "Message sent to n/m members in '%s'"}`, g))
	ack := alice.expect(what, func(o object) bool {
		return slices.Contains(done, o.status()) && sentToMembers.MatchString(o.str("message"))
	}, "group_message")
	m := sentToMembers.FindStringSubmatch(ack.str("message"))
	n, _ := strconv.Atoi(m[1])
	of, _ := strconv.Atoi(m[2])
	if m[3] != g || n < 1 || n > of || of > 2 {
		c.Fatalf("%s expected %s with n/m counting the 2 members who got it, got %s", a, what, ack)
	}
}

func (r *jsonRun) b1Leave(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	g := r.group(alice, a, "g")
	joinGroup(bob, b, g)
	command(bob, b, "/leave "+g)
	bob.expectNotice(done, fmt.Sprintf("Left group '%s'", g))
	command(bob, b, "/leave "+g)
	bob.expectNotice(refused, fmt.Sprintf("You are not a member of '%s'", g))
	command(alice, a, "/leave "+g)
	alice.expectNotice(done, fmt.Sprintf("Left group '%s' (group deleted - no members)", g))
	command(bob, b, "/join "+g)
	bob.expectNotice(refused, fmt.Sprintf("Group '%s' does not exist", g))
}

func (r *jsonRun) b1List(c *rubric.C) {
	alice, a := r.user(c, "alice")
	bob, b := r.user(c, "bob")
	g := r.group(alice, a, "g")
	joinGroup(bob, b, g)
	command(alice, a, "/groups")
	want := fmt.Sprintf(`{"status": "group_list", "groups": {"%s": ["%s", "%s"], ...}}`, g, a, b)
	alice.expect(quote(want), func(o object) bool {
		groups, _ := o.m["groups"].(map[string]any)
		members, _ := groups[g].([]any)
		return o.status() == "group_list" && len(members) == 2 &&
			slices.Contains(members, any(a)) && slices.Contains(members, any(b))
	}, "group_list")
	command(alice, a, "/dance")
	alice.expectNotice(refused, "Unknown command: /dance")
}
