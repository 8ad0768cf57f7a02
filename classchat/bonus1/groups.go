// Package bonus1 is ClassChat's first bonus: groups. On top of task 4's
// direct messages, a user can create, join and leave groups, list them,
// and post to every online member of a group with "@name" as the
// receiver. Commands travel in the receiver field, as the original
// client sends them: "/create g", "/join g", "/leave g", "/groups".
//
// Unlike the original, only members may post to a group, and group names
// are checked. A group whose last member leaves (or disconnects) is
// deleted.
package bonus1

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"chatlab/classchat/task4"
	"chatlab/shared/outbox"
	"chatlab/shared/server"
)

// Welcome is the bonus 1 welcome's format.
const Welcome = "Welcome %s! You are now connected to ClassChat with Group Support."

// Commands is the help the server sends after the welcome.
var Commands = map[string]string{
	"Direct message": "Use receiver's username",
	"Group message":  "Use @groupname as receiver",
	"Create group":   "/create groupname",
	"Join group":     "/join groupname",
	"Leave group":    "/leave groupname",
	"List groups":    "/groups",
}

// GroupList is the group_list object: every group with its members.
type GroupList struct {
	Status string              `json:"status"`
	Groups map[string][]string `json:"groups"`
}

// GroupMessage is a message to a group, as its members receive it.
type GroupMessage struct {
	Status string `json:"status"`
	Group  string `json:"group"`
	Sender string `json:"sender"`
	Text   string `json:"text"`
}

// Help is the help object.
type Help struct {
	Status   string            `json:"status"`
	Commands map[string]string `json:"commands"`
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// Groups is the group registry: names to their members.
type Groups struct {
	reg *task4.Registry
	// keepAbsent keeps a user in their groups when they leave the chat
	// (bonus 3: group messages wait for them); otherwise leaving the chat
	// leaves every group, as in the original.
	keepAbsent bool

	mu     sync.Mutex
	groups map[string][]string // members in the order they joined

	creators map[string]string // who created each group
	origins  map[string]string // where each was created from (Limits.Origin)
	saver    Saver             // nil: the groups live in memory only
	limits   Limits
}

// Saver keeps the groups across restarts (bonus 3). SaveGroup is given a
// group with its members after a change (none: the group is gone), before
// the change is made; if it fails, the change is refused.
type Saver interface {
	SaveGroup(g Saved) error
}

// Saved is a group as a Saver kept it.
type Saved struct {
	Name, Creator string
	// Origin is where the group was created from (Limits.Origin), or ""
	// if that is not known.
	Origin  string
	Members []string
}

// Limits bound the groups where they outlive their members' sessions
// (bonus 3); a zero field is no bound.
type Limits struct {
	MaxGroups  int // groups on the server
	MaxCreated int // groups one user created that still exist
	MaxJoined  int // groups one user is a member of
	// MaxPerOrigin bounds the groups created from one origin (by Origin)
	// that still exist. Names cost nothing, so the bounds per user alone
	// let one machine log in as many names as it takes and fill
	// MaxGroups, for good where groups outlive their members' sessions.
	MaxPerOrigin int
	// Origin says where a user logged in is connected from (bonus 3: its
	// IP address); "" is counted for no origin.
	Origin func(name string) string
	// TextOnly answers /create, /join and /leave with their text alone,
	// without the group list (whose size grows with every group).
	TextOnly bool
}

// Keep restores the groups saved, has every later change saved by
// saver, and bounds the groups by limits. Call it before the server
// serves.
func (g *Groups) Keep(saver Saver, saved []Saved, limits Limits) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.saver, g.limits = saver, limits
	for _, s := range saved {
		g.groups[s.Name] = slices.Clone(s.Members)
		g.creators[s.Name] = s.Creator
		if s.Origin != "" {
			g.origins[s.Name] = s.Origin
		}
	}
}

// origin is where name is connected from, or "" if that is not known.
func (g *Groups) origin(name string) string {
	if g.limits.Origin == nil {
		return ""
	}
	return g.limits.Origin(name)
}

// refuse says why name, connected from origin, may not create (or join)
// a group, or "" if it may. Call with g.mu held.
func (g *Groups) refuse(name, origin string, create bool) string {
	l := g.limits
	if create && l.MaxGroups > 0 && len(g.groups) >= l.MaxGroups {
		return fmt.Sprintf("the server holds %d groups, its limit", l.MaxGroups)
	}
	created, fromOrigin, joined := 0, 0, 0
	for group, members := range g.groups {
		if create && task4.FoldName(g.creators[group]) == task4.FoldName(name) {
			created++
		}
		if create && origin != "" && g.origins[group] == origin {
			fromOrigin++
		}
		if slices.ContainsFunc(members, func(m string) bool { return task4.FoldName(m) == task4.FoldName(name) }) {
			joined++
		}
	}
	switch {
	case create && l.MaxCreated > 0 && created >= l.MaxCreated:
		return fmt.Sprintf("you created %d groups that still exist, the limit for one user", created)
	case create && l.MaxPerOrigin > 0 && fromOrigin >= l.MaxPerOrigin:
		return fmt.Sprintf("%d groups created from your address still exist, the limit for one address", fromOrigin)
	case l.MaxJoined > 0 && joined >= l.MaxJoined:
		return fmt.Sprintf("you are a member of %d groups, the limit for one user", joined)
	}
	return ""
}

// save keeps a group's new members, if the groups are kept. Call with
// g.mu held.
func (g *Groups) save(group, creator, origin string, members []string) bool {
	return g.saver == nil || g.saver.SaveGroup(Saved{Name: group, Creator: creator, Origin: origin, Members: members}) == nil
}

// New returns a bonus 1 server: task 4 with groups.
func New(log *slog.Logger) *server.Server {
	srv, _ := NewGroups(log, task4.Options{Welcome: Welcome}, Commands, false)
	return srv
}

// NewGroups returns a server with groups, built on task 4 with opts (a
// later bonus adds its own) and sending commands as its help, and the
// group registry. With keepAbsent, users stay in their groups while away
// (where the server holds messages for them).
func NewGroups(log *slog.Logger, opts task4.Options, commands map[string]string, keepAbsent bool) (*server.Server, *Groups) {
	g := &Groups{groups: make(map[string][]string), creators: make(map[string]string), origins: make(map[string]string),
		keepAbsent: keepAbsent}
	greet := opts.Greet // a later stage's (bonus 3: the offline messages) comes first
	opts.Greet = func(name string, out *outbox.Outbox) {
		if greet != nil {
			greet(name, out)
		}
		out.Send(encode(Help{Status: "help", Commands: commands}))
	}
	next := opts.Handle
	opts.Handle = func(name string, req task4.Request, raw []byte, out *outbox.Outbox) bool {
		return g.handle(name, req, out) || (next != nil && next(name, req, raw, out))
	}
	left := opts.Left
	opts.Left = func(name string) {
		if !g.keepAbsent {
			g.leaveAll(name)
		}
		if left != nil {
			left(name)
		}
	}
	srv, reg := task4.NewRegistry(log, opts)
	g.reg = reg
	return srv, g
}

// Registry is the task 4 registry the groups live in.
func (g *Groups) Registry() *task4.Registry { return g.reg }

// handle answers group commands and group messages. A file (bonus 2 on)
// is left to the stage that knows files, whatever its receiver.
func (g *Groups) handle(name string, req task4.Request, out *outbox.Outbox) bool {
	switch {
	case req.Type == "file":
		return false
	case strings.HasPrefix(req.Receiver, "/"):
		g.command(name, req.Receiver, out)
		return true
	case strings.HasPrefix(req.Receiver, "@"):
		out.Send(g.post(name, strings.TrimPrefix(req.Receiver, "@"), req.Text).Encode())
		return true
	}
	return false
}

func (g *Groups) command(name, line string, out *outbox.Outbox) {
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	reply := func(ok bool, format string, a ...any) {
		status := task4.StatusSuccess
		if !ok {
			status = task4.StatusError
		}
		out.Send(task4.Notice(status, format, a...).Encode())
	}
	switch cmd {
	case "/groups":
		out.Send(g.list())
		return
	case "/create", "/join", "/leave":
	default:
		reply(false, "Unknown command: %s", cmd)
		return
	}
	if arg == "" {
		reply(false, "Usage: %s groupname", cmd)
		return
	}
	if problem := task4.CheckName(arg); problem != "" {
		reply(false, "Invalid group name '%s': %s", arg, strings.Replace(problem, "a name", "a group name", 1))
		return
	}
	origin := ""
	if cmd == "/create" {
		origin = g.origin(name) // before g.mu: it asks the stage that knows the connection
	}
	g.mu.Lock()
	members, exists := g.groups[arg]
	member := isMember(members, name)
	var ok bool
	var msg string
	switch {
	case cmd == "/create" && exists:
		msg = fmt.Sprintf("Group '%s' already exists", arg)
	case cmd == "/create" && g.refuse(name, origin, true) != "":
		msg = fmt.Sprintf("Group '%s' not created: %s", arg, g.refuse(name, origin, true))
	case cmd == "/create" && !g.save(arg, name, origin, []string{name}):
		msg = fmt.Sprintf("Group '%s' not created: the server could not save it", arg)
	case cmd == "/create":
		g.groups[arg], g.creators[arg] = []string{name}, name
		if origin != "" {
			g.origins[arg] = origin
		}
		ok, msg = true, fmt.Sprintf("Group '%s' created successfully", arg)
	case !exists:
		msg = fmt.Sprintf("Group '%s' does not exist", arg)
	case cmd == "/join" && !member && g.refuse(name, "", false) != "":
		msg = fmt.Sprintf("Not joined '%s': %s", arg, g.refuse(name, "", false))
	case cmd == "/join" && !member && !g.save(arg, g.creators[arg], g.origins[arg], append(slices.Clone(members), name)):
		msg = fmt.Sprintf("Not joined '%s': the server could not save it", arg)
	case cmd == "/join":
		if !member {
			g.groups[arg] = append(members, name)
		}
		ok, msg = true, fmt.Sprintf("Joined group '%s'", arg)
	case !member: // /leave
		msg = fmt.Sprintf("You are not a member of '%s'", arg)
	default: // /leave
		rest := slices.DeleteFunc(slices.Clone(members), func(m string) bool { return sameName(m, name) })
		if !g.save(arg, g.creators[arg], g.origins[arg], rest) {
			msg = fmt.Sprintf("Not left '%s': the server could not save it", arg)
			break
		}
		ok, msg = true, fmt.Sprintf("Left group '%s'", arg)
		if len(rest) == 0 {
			delete(g.groups, arg)
			delete(g.creators, arg)
			delete(g.origins, arg)
			msg += " (group deleted - no members)"
		} else {
			g.groups[arg] = rest
		}
	}
	textOnly := g.limits.TextOnly
	g.mu.Unlock()
	reply(ok, "%s", msg)
	if !textOnly {
		out.Send(g.list())
	}
}

// post sends text from name to every online member of group, name
// included, and says how many got it.
func (g *Groups) post(name, group, text string) task4.Reply {
	if text == "" {
		return task4.Notice(task4.StatusError, "Message text is empty.")
	}
	g.mu.Lock()
	members, exists := g.groups[group]
	members = slices.Clone(members)
	g.mu.Unlock()
	switch {
	case !exists:
		return task4.Notice(task4.StatusError, "Group '%s' does not exist", group)
	case !isMember(members, name):
		return task4.Notice(task4.StatusError, "You are not a member of '%s'", group)
	}
	frame := encode(GroupMessage{Status: "group_message", Group: group, Sender: name, Text: text})
	sent := 0
	for _, m := range members {
		// A member who is offline gets it later, where the server holds
		// messages (bonus 3); n counts those who got it now.
		if outcome, _ := g.reg.DeliverOrHold(m, frame); outcome == task4.Delivered {
			sent++
		}
	}
	return task4.Notice(task4.StatusSuccess, "Message sent to %d/%d members in '%s'", sent, len(members), group)
}

func (g *Groups) list() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	groups := make(map[string][]string, len(g.groups))
	for name, members := range g.groups {
		groups[name] = slices.Clone(members)
	}
	return encode(GroupList{Status: "group_list", Groups: groups})
}

// leaveAll takes a departed user out of every group, deleting the groups
// left empty.
func (g *Groups) leaveAll(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for group, members := range g.groups {
		rest := slices.DeleteFunc(slices.Clone(members), func(m string) bool { return sameName(m, name) })
		if len(rest) == 0 {
			delete(g.groups, group)
			delete(g.creators, group)
			delete(g.origins, group)
		} else {
			g.groups[group] = rest
		}
	}
}

// sameName reports whether two names are one user's: names are known by
// task4.FoldName, whatever their case.
func sameName(a, b string) bool { return task4.FoldName(a) == task4.FoldName(b) }

// isMember reports whether name is among members.
func isMember(members []string, name string) bool {
	return slices.ContainsFunc(members, func(m string) bool { return sameName(m, name) })
}
