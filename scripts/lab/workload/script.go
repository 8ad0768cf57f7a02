// Package workload is the lab kit's deterministic chat session: five
// users and a fixed mix of log-ins, room messages, room changes, private
// messages and lists, drawn from a fixed-seed PRNG (Generate). Run drives
// it against a server of any stage, step by step: after each action it
// waits, with a deadline, until every client has received exactly what a
// model of the chat state says it must (Model), so the bytes on the wire
// are the same on every run.
package workload

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"chatlab/chat-v1/proto"
)

// Defaults of the session the lab kit measures and captures.
const (
	// DefaultSeed seeds the PRNG that draws the mix and the texts.
	DefaultSeed = 586
	// DefaultActions is how many actions are drawn between the first
	// log-ins and the last log-outs. The JSON session it makes is about
	// as long as the course project's captures (about 650 kB).
	DefaultActions = 2800
)

// Users are the session's five users, in the order they first log in.
var Users = []string{"alice", "bob", "carol", "dave", "erin"}

// Rooms are the rooms users join ("general" is where everyone starts).
var Rooms = []string{proto.GeneralRoom, "tech-talk", "random", "homework"}

// Nobody is a name that never logs in: a private message to it is
// answered with no_such_user.
const Nobody = "frank"

// Op is what a user does in one step.
type Op uint8

// The actions of the session.
const (
	OpLogin Op = iota + 1
	OpLogout
	OpRoomMsg
	OpPrivateMsg
	OpJoinRoom
	OpListUsers
	OpListRooms
)

var opNames = [...]string{
	OpLogin:      "log-in",
	OpLogout:     "log-out",
	OpRoomMsg:    "room message",
	OpPrivateMsg: "private message",
	OpJoinRoom:   "room change",
	OpListUsers:  "user list",
	OpListRooms:  "room list",
}

func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Ops lists the actions in a fixed order, for reports.
var Ops = []Op{OpLogin, OpLogout, OpRoomMsg, OpPrivateMsg, OpJoinRoom, OpListUsers, OpListRooms}

// Mix is the weight of each action among the drawn ones, in thousandths.
// An action that cannot be done at that point (a log-in when everyone is
// online, a log-out that would leave fewer than three users) becomes a
// room message. Users mostly stay: each new connection costs a TLS
// handshake, and the course's captures had five users connected
// throughout.
var Mix = []struct {
	Op     Op
	Weight int
}{
	{OpRoomMsg, 600},
	{OpPrivateMsg, 150},
	{OpJoinRoom, 100},
	{OpListUsers, 70},
	{OpListRooms, 70},
	{OpLogout, 5},
	{OpLogin, 5},
}

// minOnline is the fewest users a drawn log-out leaves online.
const minOnline = 3

// Action is one step of the session.
type Action struct {
	Op   Op
	User int    // index in Users
	To   string // OpPrivateMsg: the recipient's name (maybe not online)
	Room string // OpJoinRoom
	Text string // OpRoomMsg, OpPrivateMsg
}

// Describe is the action in words, with the names of its users.
func (a Action) Describe(users []string) string {
	who := users[a.User]
	switch a.Op {
	case OpRoomMsg:
		return fmt.Sprintf("%s: room message (%d bytes)", who, len(a.Text))
	case OpPrivateMsg:
		return fmt.Sprintf("%s: private message to %s (%d bytes)", who, a.To, len(a.Text))
	case OpJoinRoom:
		return fmt.Sprintf("%s: join %s", who, a.Room)
	}
	return who + ": " + a.Op.String()
}

// Script is a whole session: the users and their actions in order.
type Script struct {
	Seed    uint64
	Users   []string
	Actions []Action
}

// Count returns how many actions of each kind the script holds.
func (s Script) Count() map[Op]int {
	n := make(map[Op]int)
	for _, a := range s.Actions {
		n[a.Op]++
	}
	return n
}

// Generate draws a script from seed: every user logs in, then n actions
// are drawn from Mix, then everyone still online logs out. The same seed
// and n give the same script on every machine (math/rand/v2's PCG is
// specified).
func Generate(seed uint64, n int) Script {
	rng := rand.New(rand.NewPCG(seed, seed^0x63686174)) // "chat"
	m := NewModel(Users)
	s := Script{Seed: seed, Users: Users}
	add := func(a Action) {
		s.Actions = append(s.Actions, a)
		m.Apply(a)
	}
	for u := range Users {
		add(Action{Op: OpLogin, User: u})
	}
	total := 0
	for _, w := range Mix {
		total += w.Weight
	}
	for range n {
		op := OpRoomMsg
		pick := rng.IntN(total)
		for _, w := range Mix {
			if pick < w.Weight {
				op = w.Op
				break
			}
			pick -= w.Weight
		}
		online, offline := m.Online(), m.Offline()
		switch {
		case op == OpLogin && len(offline) == 0,
			op == OpLogout && len(online) <= minOnline:
			op = OpRoomMsg
		}
		a := Action{Op: op}
		if op == OpLogin {
			a.User = offline[rng.IntN(len(offline))]
		} else {
			a.User = online[rng.IntN(len(online))]
		}
		switch op {
		case OpRoomMsg:
			a.Text = text(rng)
		case OpPrivateMsg:
			a.Text = text(rng)
			a.To = recipient(rng, a.User)
		case OpJoinRoom:
			a.Room = Rooms[rng.IntN(len(Rooms))]
		}
		add(a)
	}
	for _, u := range m.Online() {
		add(Action{Op: OpLogout, User: u})
	}
	return s
}

// recipient draws whom a private message goes to: anyone but the sender
// (a message to oneself would reach the sender twice in one step), now and
// then someone who is offline or never comes.
func recipient(rng *rand.Rand, from int) string {
	if rng.IntN(20) == 0 {
		return Nobody
	}
	to := rng.IntN(len(Users) - 1)
	if to >= from {
		to++
	}
	return Users[to]
}

// words are what the users say: chat about a networking lab.
var words = strings.Fields(`
	hi hey ok yes no maybe sure thanks lol nice great cool right
	the a an and or but so if then when is are was it this that to of in on at for with
	I you we they my your our lab code server client socket port packet byte bytes
	header frame JSON binary TLS handshake cert key wireshark capture tcp ip ack seq
	room message chat user list join leave test tests bug fix build run make go
	today tonight tomorrow deadline due submit grade office hours question answer
	anyone help please works broken timeout refused reset works-for-me again later
	Wireshark tshark nc netcat struct big-endian length prefix utf-8 newline`)

// endings close a message.
var endings = []string{"", "", "", ".", "!", "?", "?", " :)", "..."}

// text draws a message: mostly a few words, now and then a paragraph.
func text(rng *rand.Rand) string {
	n := 2 + rng.IntN(12)
	if rng.IntN(10) == 0 {
		n = 25 + rng.IntN(50)
	}
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[rng.IntN(len(words))])
	}
	b.WriteString(endings[rng.IntN(len(endings))])
	return b.String()
}
