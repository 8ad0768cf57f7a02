package workload

import (
	"cmp"
	"fmt"
	"slices"

	"chatlab/chat-v1/proto"
)

// Model is the chat state as docs/protocol.md §1 defines it, enough to say
// what every client receives after each action: who is online, which room
// each user is in, and the members of every room. It follows the reference
// server's order of delivery (v1/chatserver): a log-in is answered before
// the room hears of it, a room's members hear of a join or a leave before
// the one who moved gets JOIN_ROOM.
type Model struct {
	users  []string
	online []bool
	room   []string         // by user, "" when offline
	rooms  map[string][]int // room name → members, in the order they came
}

// NewModel returns the state before anyone logs in: only general exists.
func NewModel(users []string) *Model {
	return &Model{
		users:  users,
		online: make([]bool, len(users)),
		room:   make([]string, len(users)),
		rooms:  map[string][]int{proto.GeneralRoom: nil},
	}
}

// Online returns the users online, in index order.
func (m *Model) Online() []int { return m.filter(true) }

// Offline returns the users offline, in index order.
func (m *Model) Offline() []int { return m.filter(false) }

func (m *Model) filter(online bool) []int {
	var us []int
	for u, on := range m.online {
		if on == online {
			us = append(us, u)
		}
	}
	return us
}

// Check reports whether a may be done now: a log-in of someone offline,
// anything else by someone online, with valid names and text.
func (m *Model) Check(a Action) error {
	if a.User < 0 || a.User >= len(m.users) {
		return fmt.Errorf("%w: no user %d", ErrBadScript, a.User)
	}
	who := m.users[a.User]
	switch {
	case a.Op == OpLogin && m.online[a.User]:
		return fmt.Errorf("%w: %s logs in twice", ErrBadScript, who)
	case a.Op != OpLogin && !m.online[a.User]:
		return fmt.Errorf("%w: %s acts (%s) while offline", ErrBadScript, who, a.Op)
	case a.Op == OpJoinRoom && !proto.ValidRoom(a.Room):
		return fmt.Errorf("%w: %s joins a room with an invalid name %q", ErrBadScript, who, a.Room)
	case (a.Op == OpRoomMsg || a.Op == OpPrivateMsg) && proto.CheckText(a.Text) != 0:
		return fmt.Errorf("%w: %s sends text the server refuses (%s)", ErrBadScript, who, proto.CheckText(a.Text))
	case a.Op == OpPrivateMsg && proto.FoldName(a.To) == proto.FoldName(who):
		return fmt.Errorf("%w: %s sends a private message to itself (two frames in one step)", ErrBadScript, who)
	case a.Op < OpLogin || a.Op > OpListRooms:
		return fmt.Errorf("%w: unknown action %s", ErrBadScript, a.Op)
	}
	return nil
}

// Request is the message the acting client sends for a, or nil for a
// log-out (the client closes the connection).
func (m *Model) Request(a Action) *proto.Message {
	switch a.Op {
	case OpLogin:
		return &proto.Message{Kind: proto.KindLogin, Username: m.users[a.User]}
	case OpRoomMsg:
		return &proto.Message{Kind: proto.KindRoomMsg, Text: a.Text}
	case OpPrivateMsg:
		return &proto.Message{Kind: proto.KindPrivateMsg, To: a.To, Text: a.Text}
	case OpJoinRoom:
		return &proto.Message{Kind: proto.KindJoinRoom, Room: a.Room}
	case OpListUsers:
		return &proto.Message{Kind: proto.KindListUsers}
	case OpListRooms:
		return &proto.Message{Kind: proto.KindListRooms}
	}
	return nil
}

// Apply does a (which Check accepts) to the state and returns what each
// user receives because of it, in order, by user index.
func (m *Model) Apply(a Action) map[int][]proto.Message {
	out := make(map[int][]proto.Message)
	send := func(u int, msg proto.Message) { out[u] = append(out[u], msg) }
	announce := func(room string, text string) {
		for _, u := range m.rooms[room] {
			send(u, proto.Message{Kind: proto.KindSystemMsg, Text: text})
		}
	}
	who := m.users[a.User]
	switch a.Op {
	case OpLogin:
		m.online[a.User] = true
		send(a.User, proto.Message{Kind: proto.KindLoginAck, Username: who, Room: proto.GeneralRoom})
		announce(proto.GeneralRoom, who+" joined "+proto.GeneralRoom)
		m.enter(a.User, proto.GeneralRoom)
	case OpLogout:
		room := m.leave(a.User)
		m.online[a.User] = false
		announce(room, who+" left "+room)
	case OpRoomMsg:
		room := m.room[a.User]
		var n uint32
		for _, u := range m.rooms[room] {
			if u != a.User {
				send(u, proto.Message{Kind: proto.KindRoomMsg, Room: room, From: who, Text: a.Text})
				n++
			}
		}
		send(a.User, proto.Message{Kind: proto.KindRoomMsgAck, Room: room, Recipients: n})
	case OpPrivateMsg:
		to := m.find(a.To)
		if to < 0 {
			send(a.User, proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusNoSuchUser, To: a.To})
			break
		}
		send(to, proto.Message{Kind: proto.KindPrivateMsg, From: who, Text: a.Text})
		send(a.User, proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusDelivered, To: m.users[to]})
	case OpJoinRoom:
		from := m.room[a.User]
		if from == a.Room {
			send(a.User, proto.Message{Kind: proto.KindJoinRoom, Room: a.Room})
			break
		}
		m.leave(a.User)
		announce(from, who+" left "+from)
		_, exists := m.rooms[a.Room]
		announce(a.Room, who+" joined "+a.Room)
		m.enter(a.User, a.Room)
		send(a.User, proto.Message{Kind: proto.KindJoinRoom, Room: a.Room, Created: !exists})
	case OpListUsers:
		room := m.room[a.User]
		users := make([]string, 0, len(m.rooms[room]))
		for _, u := range m.rooms[room] {
			users = append(users, m.users[u])
		}
		slices.Sort(users)
		send(a.User, proto.Message{Kind: proto.KindListUsers, Room: room, Users: users})
	case OpListRooms:
		rooms := make([]proto.RoomInfo, 0, len(m.rooms))
		for name, members := range m.rooms {
			rooms = append(rooms, proto.RoomInfo{Name: name, Members: len(members)})
		}
		slices.SortFunc(rooms, func(a, b proto.RoomInfo) int { return cmp.Compare(a.Name, b.Name) })
		send(a.User, proto.Message{Kind: proto.KindListRooms, Rooms: rooms})
	}
	return out
}

// find returns the online user called name (ignoring case), or -1.
func (m *Model) find(name string) int {
	for u, n := range m.users {
		if m.online[u] && proto.FoldName(n) == proto.FoldName(name) {
			return u
		}
	}
	return -1
}

func (m *Model) enter(u int, room string) {
	m.room[u] = room
	m.rooms[room] = append(m.rooms[room], u)
}

// leave takes u out of its room, removes the room if it is empty and not
// general, and returns the room's name.
func (m *Model) leave(u int) string {
	room := m.room[u]
	m.room[u] = ""
	members := slices.DeleteFunc(slices.Clone(m.rooms[room]), func(v int) bool { return v == u })
	if len(members) == 0 && room != proto.GeneralRoom {
		delete(m.rooms, room)
	} else {
		m.rooms[room] = members
	}
	return room
}
