package chatserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"chatlab/chat-v1/proto"
)

// Announcements in big rooms (docs/protocol-notes.md, "Big rooms"). A
// room that announces each of n arrivals to everyone already there sends
// n²/2 notices: 50 million for a room of 10 000. Above a threshold, a room
// gathers its joins and leaves and announces them together, once an
// interval: `alice, bob and 48 others joined general`.
const (
	// DefaultNoticeBatch is the number of members above which a room
	// gathers its announcements.
	DefaultNoticeBatch = 50
	// DefaultNoticeInterval is how long a room gathers announcements
	// before it sends them.
	DefaultNoticeInterval = time.Second
	// noticeNames is how many names a gathered notice spells out before
	// it counts the others ("alice, bob and 48 others").
	noticeNames = 2
)

// change is what a member did, as a notice tells it.
type change int8

const (
	changeNone change = iota // joined and left again (or left and came back)
	changeJoined
	changeLeft
)

// notices holds a room's gathered announcements until they are sent.
//
// Locking: changes are recorded under the hub's write lock. They are sent
// under the write lock, or under the read lock together with mu, so that
// two senders under the read lock (the timer, a room message) take turns
// and a room message waits until a notice sent before it is queued for
// every member.
type notices struct {
	pending atomic.Bool // something waits; read under the hub's read lock alone
	mu      sync.Mutex
	timer   *time.Timer
	// net is each name's net change since the last notice, and its place
	// in order, the order in which names first changed.
	net   map[string]netChange
	order []string
}

type netChange struct {
	change change
	pos    int
}

// record notes that name joined or left. A name's changes alternate
// (one session at a time holds a name, in one room at a time), so a
// second change undoes the first: who joins and leaves within an interval
// is not announced, nor is who leaves and comes back.
func (n *notices) record(name string, c change) {
	if n.net == nil {
		n.net = make(map[string]netChange)
	}
	e, ok := n.net[name]
	switch {
	case !ok:
		e = netChange{change: c, pos: len(n.order)}
		n.order = append(n.order, name)
	case e.change == changeNone:
		e.change = c
	case e.change != c:
		e.change = changeNone
	}
	n.net[name] = e
}

// reset forgets what was gathered. What a wave of log-ins needed (a map
// and a slice of thousands of names) is not kept for the next interval.
func (n *notices) reset() {
	if len(n.order) > minRoomCap {
		n.net, n.order = nil, nil
	} else {
		clear(n.net)
		n.order = n.order[:0]
	}
	n.pending.Store(false)
}

// stop stops the timer and forgets what was gathered. The hub's write
// lock is held.
func (n *notices) stop() {
	if n.timer != nil {
		n.timer.Stop()
	}
	n.reset()
}

// gathers reports whether r gathers its announcements.
func (h *Hub) gathers(r *room) bool {
	return h.cfg.NoticeBatch > 0 && len(r.members) > h.cfg.NoticeBatch
}

// noticeLocked announces that s joined or left r. A big room gathers it
// for later. A small room announces it at once; if the room has just
// become small and still holds gathered changes, they go out with it in
// the same notices, so that a departure is never announced whose arrival
// was not. The write lock is held; s is already in r, or already out.
func (h *Hub) noticeLocked(r *room, s *session, c change) {
	if h.closing {
		return
	}
	n := &r.notices
	gathers := h.gathers(r)
	if !gathers && !n.pending.Load() {
		except, text := s, fmt.Sprintf("%s joined %s", s.name, r.name)
		if c == changeLeft {
			except, text = nil, fmt.Sprintf("%s left %s", s.name, r.name)
		}
		h.announceLocked(r, except, text)
		return
	}
	n.record(s.name, c)
	switch {
	case !gathers:
		h.flushNotices(r)
	case !n.pending.Load():
		n.pending.Store(true)
		if n.timer == nil {
			n.timer = time.AfterFunc(h.cfg.NoticeInterval, func() { h.noticeTimer(r) })
		} else {
			n.timer.Reset(h.cfg.NoticeInterval)
		}
	}
}

// sendGathered sends what r has gathered. The caller holds the read lock.
func (h *Hub) sendGathered(r *room) {
	if !r.notices.pending.Load() {
		return
	}
	r.notices.mu.Lock()
	defer r.notices.mu.Unlock()
	h.flushNotices(r)
}

// noticeTimer is the end of r's interval.
func (h *Hub) noticeTimer(r *room) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	h.sendGathered(r)
}

// flushNotices sends what r has gathered: one notice of the joins, one of
// the leaves, in the order of the first of each. The caller holds the
// write lock, or the read lock and r.notices.mu. Members named as having
// joined do not get the notice of their own arrival, as in a small room.
func (h *Hub) flushNotices(r *room) {
	n := &r.notices
	if !n.pending.Load() {
		return
	}
	defer n.reset()
	if h.closing {
		return // "server shutting down" is the last word
	}
	var joined, left gathered
	joinedFirst := false
	for i, name := range n.order {
		e := n.net[name]
		if e.pos != i {
			continue
		}
		switch e.change {
		case changeJoined:
			joinedFirst = joinedFirst || left.count == 0
			joined.add(name)
		case changeLeft:
			left.add(name)
		}
	}
	sendJoined := func() {
		if joined.count == 0 {
			return
		}
		frame := h.encode(&proto.Message{Kind: proto.KindSystemMsg, Text: joined.text("joined", r.name)})
		var sent uint32
		for _, m := range r.members {
			if e, ok := n.net[m.name]; ok && e.change == changeJoined {
				continue
			}
			if m.out.Send(frame) == nil {
				sent++
			}
		}
		h.traceRoom(r, sent, frame)
	}
	if joinedFirst {
		sendJoined()
	}
	if left.count > 0 {
		frame := h.encode(&proto.Message{Kind: proto.KindSystemMsg, Text: left.text("left", r.name)})
		h.traceRoom(r, h.fanOut(r.members, nil, frame), frame)
	}
	if !joinedFirst {
		sendJoined()
	}
}

// traceRoom traces a frame sent to a room, if the server traces.
func (h *Hub) traceRoom(r *room, sent uint32, frame []byte) {
	if h.cfg.Trace {
		h.trace("→", fmt.Sprintf("room %s (%s)", r.name, recipients(sent)), frame, proto.ServerToClient)
	}
}

// gathered is the names of one notice: the first few, and how many.
type gathered struct {
	names [noticeNames + 1]string
	count int
}

func (g *gathered) add(name string) {
	if g.count < len(g.names) {
		g.names[g.count] = name
	}
	g.count++
}

// text is the notice: `alice joined general`, `alice and bob joined
// general`, `alice, bob and carol joined general`, `alice, bob and 48
// others joined general`.
func (g *gathered) text(verb, room string) string {
	var b strings.Builder
	switch {
	case g.count == 1:
		b.WriteString(g.names[0])
	case g.count <= len(g.names):
		b.WriteString(strings.Join(g.names[:g.count-1], ", "))
		b.WriteString(" and ")
		b.WriteString(g.names[g.count-1])
	default:
		b.WriteString(strings.Join(g.names[:noticeNames], ", "))
		b.WriteString(" and ")
		b.WriteString(strconv.Itoa(g.count - noticeNames))
		b.WriteString(" others")
	}
	b.WriteString(" ")
	b.WriteString(verb)
	b.WriteString(" ")
	b.WriteString(room)
	return b.String()
}
