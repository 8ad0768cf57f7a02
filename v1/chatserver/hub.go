// Package chatserver is the chat server of ChatProto, independent of the
// wire encoding: a hub that owns users and rooms, and one session per
// connection that reads the client's messages and answers them. v1 runs it
// with JSON lines; later stages import it with their own codec and policy.
//
// Concurrency: the hub's state (users, rooms, each session's name and
// room) is guarded by one RWMutex. Changes of state take it for writing and
// queue their replies and announcements while holding it, so every member
// of a room sees joins, leaves and messages in one order. Room messages,
// private messages and lists take it for reading, so they run in parallel.
// Queuing is outbox.Send, which never blocks; no lock is held while writing
// to a socket. A room's member set is changed in place, under the write
// lock, so joining and leaving cost the same in a room of 10 000 as of 2;
// a big room gathers its joins and leaves into one notice an interval
// (notices.go), sent before any later message to the room.
package chatserver

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"

	"chatlab/chat-v1/proto"
	"chatlab/shared/framing"
	"chatlab/shared/logging"
	"chatlab/shared/server"
)

// Hub owns the users and rooms of one server.
type Hub struct {
	cfg    Config
	debug  bool            // the logger takes debug lines: one per message received
	budget *framing.Budget // of bytes in partly read messages; nil: none

	mu       sync.RWMutex
	closing  bool
	sessions map[*session]struct{} // every connection, logged in or not
	users    map[string]*session   // by proto.FoldName
	rooms    map[string]*room
}

type room struct {
	name string
	// members, in no particular order; each member's slot is its index
	// here. Changed in place under the hub's write lock: readers hold
	// the read lock.
	members []*session
	notices notices // joins and leaves gathered in a big room
}

// minRoomCap is the capacity below which a room's member slice is never
// shrunk.
const minRoomCap = 64

// add puts s in r. The hub's write lock is held.
func (r *room) add(s *session) {
	s.slot = len(r.members)
	r.members = append(r.members, s)
}

// remove takes s out of r: the last member takes its slot. The hub's
// write lock is held. A slice left mostly empty is shrunk, so a room that
// held 10 000 and holds 10 does not keep their slots.
func (r *room) remove(s *session) {
	last := len(r.members) - 1
	moved := r.members[last]
	r.members[s.slot] = moved
	moved.slot = s.slot
	r.members[last] = nil
	r.members = r.members[:last]
	if cap(r.members) > minRoomCap && len(r.members) < cap(r.members)/4 {
		r.members = append(make([]*session, 0, 2*len(r.members)), r.members...)
	}
}

// NewHub returns a hub with only the room general.
func NewHub(cfg Config) *Hub {
	cfg.setDefaults()
	h := &Hub{
		cfg:      cfg,
		debug:    cfg.Logger.Enabled(context.Background(), slog.LevelDebug),
		budget:   framing.NewBudget(cfg.ReadBudget),
		sessions: make(map[*session]struct{}),
		users:    make(map[string]*session),
		rooms:    make(map[string]*room),
	}
	h.rooms[proto.GeneralRoom] = &room{name: proto.GeneralRoom}
	return h
}

// New returns a server running a new hub: the whole chat server of a
// stage, ready for Serve.
func New(cfg Config) *server.Server {
	h := NewHub(cfg)
	srv := server.New(h, h.cfg.Logger)
	srv.RegisterOnShutdown(h.Shutdown)
	return srv
}

// Shutdown tells every client "server shutting down" and closes each
// connection once what is queued for it is written.
func (h *Hub) Shutdown() {
	frame := h.encode(&proto.Message{Kind: proto.KindSystemMsg, Text: proto.ShutdownMessage})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closing = true
	for _, r := range h.rooms {
		r.notices.stop()
	}
	for s := range h.sessions {
		s.out.Send(frame)
		s.out.CloseAfterFlush()
	}
}

// ServeConn runs one client's session; it implements server.Handler.
func (h *Hub) ServeConn(ctx context.Context, conn net.Conn) {
	s := newSession(h, conn)
	if !h.register(s) {
		s.send(&proto.Message{Kind: proto.KindSystemMsg, Text: proto.ShutdownMessage})
		s.end(errShutdown)
		return
	}
	s.log(slog.LevelInfo, "connection")
	reason := s.run(ctx)
	if h.unregister(s) {
		reason = errShutdown
	}
	s.end(reason)
}

func (h *Hub) register(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.sessions[s] = struct{}{}
	return true
}

// unregister forgets s and announces its departure. It reports whether
// the server is shutting down.
func (h *Hub) unregister(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.sessions, s)
	if s.name != "" {
		delete(h.users, proto.FoldName(s.name))
		h.leaveLocked(s)
	}
	return h.closing
}

// trace logs a frame crossing the wire. Callers check cfg.Trace first,
// so that an untraced server spends nothing on it.
func (h *Hub) trace(arrow, who string, frame []byte, dir proto.Dir) {
	h.cfg.Logger.Log(context.Background(), logging.LevelTrace,
		arrow+" "+who+": "+proto.TraceFrame(h.cfg.Codec, frame, dir))
}

// recipients says how many members a broadcast went to, for the trace.
func recipients(n uint32) string {
	if n == 1 {
		return "1 recipient"
	}
	return fmt.Sprintf("%d recipients", n)
}

// encode encodes a server-to-client message. The hub only builds
// well-formed messages, so an error here is a bug.
func (h *Hub) encode(m *proto.Message) []byte {
	b, err := h.cfg.Codec.Append(nil, m, proto.ServerToClient)
	if err != nil {
		panic(fmt.Sprintf("chatserver: encoding %s: %v", m.Kind, err))
	}
	return b
}

// joinLocked puts s in the room called name, creating it if need be, and
// announces it to the room's other members. It reports whether the room
// was created.
func (h *Hub) joinLocked(s *session, name string) (*room, bool) {
	r, ok := h.rooms[name]
	if !ok {
		r = &room{name: name}
		h.rooms[name] = r
	}
	r.add(s)
	s.room = r
	h.noticeLocked(r, s, changeJoined)
	return r, !ok
}

// leaveLocked takes s out of its room, announces it to those left, and
// removes the room if it is empty and not general (with what it had
// gathered to announce: nobody is left to tell).
func (h *Hub) leaveLocked(s *session) {
	r := s.room
	if r == nil {
		return
	}
	s.room = nil
	r.remove(s)
	if len(r.members) == 0 && r.name != proto.GeneralRoom {
		delete(h.rooms, r.name)
		r.notices.stop()
	}
	h.noticeLocked(r, s, changeLeft)
}

// announceLocked sends a SYSTEM_MSG to every member of r but except. While
// the server shuts down nothing is announced: "server shutting down" is
// the last word.
func (h *Hub) announceLocked(r *room, except *session, text string) {
	if h.closing {
		return
	}
	frame := h.encode(&proto.Message{Kind: proto.KindSystemMsg, Text: text})
	h.traceRoom(r, h.fanOut(r.members, except, frame), frame)
}

// fanOut queues one encoded frame for every member but except, and returns
// how many took it.
func (h *Hub) fanOut(members []*session, except *session, frame []byte) uint32 {
	var n uint32
	for _, m := range members {
		if m != except && m.out.Send(frame) == nil {
			n++
		}
	}
	return n
}

func (h *Hub) listUsers(s *session) *proto.Message {
	h.mu.RLock()
	r := s.room
	users := make([]string, 0, len(r.members))
	for _, m := range r.members {
		users = append(users, m.name)
	}
	h.mu.RUnlock()
	slices.Sort(users)
	return &proto.Message{Kind: proto.KindListUsers, Room: r.name, Users: users[:min(len(users), proto.MaxListEntries)]}
}

func (h *Hub) listRooms() *proto.Message {
	h.mu.RLock()
	rooms := make([]proto.RoomInfo, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, proto.RoomInfo{Name: r.name, Members: len(r.members)})
	}
	h.mu.RUnlock()
	slices.SortFunc(rooms, func(a, b proto.RoomInfo) int { return cmp.Compare(a.Name, b.Name) })
	return &proto.Message{Kind: proto.KindListRooms, Rooms: rooms[:min(len(rooms), proto.MaxListEntries)]}
}
