package chatserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"chatlab/chat-v1/proto"
	"chatlab/shared/flow"
	"chatlab/shared/framing"
	"chatlab/shared/outbox"
)

// session is one client's connection. Only its own goroutine sets name and
// room, and only while holding the hub's lock for writing; others read
// them under the lock.
type session struct {
	hub    *Hub
	conn   *lingerConn
	in     *framing.Reader
	out    *outbox.Outbox
	remote string // the client's address, for the logs

	name string
	room *room
	slot int // index in room.members
}

func newSession(h *Hub, conn net.Conn) *session {
	lc := &lingerConn{Conn: conn}
	return &session{
		hub:    h,
		conn:   lc,
		out:    outbox.New(lc, outbox.Config{MaxBytes: h.cfg.QueueBytes, WriteTimeout: h.cfg.WriteTimeout}),
		remote: conn.RemoteAddr().String(),
	}
}

// log logs a line about this session, its remote address first. A
// session does not keep a logger of its own (slog's With): on an idle
// server that would be a few hundred bytes per connection.
func (s *session) log(level slog.Level, msg string, args ...any) {
	h := s.hub.cfg.Logger.Handler()
	if !h.Enabled(context.Background(), level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(slog.String("remote", s.remote))
	r.Add(args...)
	h.Handle(context.Background(), r)
}

// send queues one message for this client.
func (s *session) send(m *proto.Message) {
	frame := s.hub.encode(m)
	if s.hub.cfg.Trace {
		s.hub.trace("→", s.who(), frame, proto.ServerToClient)
	}
	s.out.Send(frame)
}

// who names the client in traces: its user name once logged in, and its
// address. Only the session's own goroutine calls it.
func (s *session) who() string {
	if s.name == "" {
		return s.conn.RemoteAddr().String()
	}
	return s.name + " " + s.conn.RemoteAddr().String()
}

func (s *session) sendError(code proto.ErrorCode, text string) {
	s.log(slog.LevelInfo, "error sent", "user", s.name, "code", code, "text", text)
	s.send(&proto.Message{Kind: proto.KindErrorMsg, Code: code, Text: text})
}

// end flushes what is queued, closes the connection, waits until it is
// closed, and logs why the session ended.
func (s *session) end(reason error) {
	s.conn.linger.Store(true)
	s.out.CloseAfterFlush()
	<-s.out.Done()
	if err := s.out.Err(); err != nil {
		reason = err // the outbox cut the client off: that is the cause
	}
	level := slog.LevelInfo
	if errors.Is(reason, outbox.ErrSlowConsumer) || errors.Is(reason, framing.ErrFrameTimeout) || errors.Is(reason, framing.ErrBusy) {
		level = slog.LevelWarn
	}
	s.log(level, "disconnect", "user", s.name, "reason", reason)
}

// run reads and answers the client's messages until the connection ends
// or must be closed, and returns why.
func (s *session) run(ctx context.Context) error {
	h := s.hub
	in := framing.NewReader(s.conn)
	in.SetLimits(framing.Limits{FrameTimeout: h.cfg.FrameTimeout, MinRate: h.cfg.FrameMinRate, Budget: h.budget})
	defer in.Release()
	s.in = in
	in.SetReadDeadline(time.Now().Add(h.cfg.LoginTimeout))
	if w := readWaiter(s.conn.Conn); w != nil {
		in.SetWaiter(w)
	}
	bucket := flow.New(*h.cfg.Flow)
	dec := h.cfg.Codec.NewDecoder(in, proto.ClientToServer)
	raw, _ := dec.(proto.RawDecoder)
	var m proto.Message
	for {
		// Wait for the client here, near the top of the goroutine's stack,
		// rather than deep in the decoder: the stack of an idle session
		// can then be shrunk by the garbage collector (to 4 KiB from 8).
		// It also ends the last message, for the reader's limits.
		in.Wait()
		err := dec.Decode(&m)
		var perr *proto.Error
		if err == nil || errors.As(err, &perr) && !perr.Fatal {
			// Flow control: wait for the client's allowance before
			// handling its message. Meanwhile nothing more is read, so a
			// client that sends too fast is slowed by TCP, and only it.
			if bucket != nil && bucket.Wait(ctx, msgSize(raw, &m)) != nil {
				return errShutdown
			}
			if raw != nil && s.hub.cfg.Trace {
				s.hub.trace("←", s.who(), raw.Last(), proto.ClientToServer)
			}
		}
		if err != nil {
			var perr *proto.Error
			switch {
			case errors.As(err, &perr):
				if s.badInput(perr) {
					return perr
				}
				continue
			case errors.Is(err, os.ErrDeadlineExceeded) && s.name == "":
				return errLoginTimeout
			case errors.Is(err, io.EOF):
				return errClosedByPeer
			case errors.Is(err, framing.ErrFrameTimeout):
				return fmt.Errorf("%w (--frame-timeout %s without progress, or below %d bytes a second)", err, h.cfg.FrameTimeout, h.cfg.FrameMinRate)
			case errors.Is(err, framing.ErrBusy):
				return fmt.Errorf("%w (--read-budget: %d bytes held in partly read messages, server-wide)", err, h.budget.Max())
			}
			return err
		}
		if h.debug {
			s.log(slog.LevelDebug, "received", "user", s.name, "kind", m.Kind)
		}
		if s.name == "" && m.Kind != proto.KindLogin {
			if s.badInput(proto.Errorf(proto.CodeNotLoggedIn, "log in first")) {
				return errors.New("message before log-in")
			}
			continue
		}
		if err := s.handle(&m); err != nil {
			return err
		}
	}
}

// msgSize is the size of the message just decoded, for flow control: its
// bytes on the wire if the decoder says, else its text.
func msgSize(raw proto.RawDecoder, m *proto.Message) int {
	if raw != nil {
		return len(raw.Last())
	}
	return len(m.Text) + len(m.To) + len(m.Room) + len(m.Username)
}

// badInput answers a protocol error by the server's policy and reports
// whether to close the connection. A fatal error always closes it.
func (s *session) badInput(perr *proto.Error) bool {
	reply, closeConn := s.hub.cfg.OnBadInput(perr)
	closeConn = closeConn || perr.Fatal
	s.log(slog.LevelInfo, "protocol error", "user", s.name, "code", perr.Code, "detail", perr.Detail, "closing", closeConn)
	s.send(&reply)
	return closeConn
}

// handle answers one message from a client that is logged in (or is
// logging in). A non-nil error ends the session.
func (s *session) handle(m *proto.Message) error {
	switch m.Kind {
	case proto.KindLogin:
		return s.login(m.Username)
	case proto.KindRoomMsg:
		s.roomMsg(m.Text)
	case proto.KindPrivateMsg:
		s.privateMsg(m.To, m.Text)
	case proto.KindJoinRoom:
		s.joinRoom(m.Room)
	case proto.KindListUsers:
		s.send(s.hub.listUsers(s))
	case proto.KindListRooms:
		s.send(s.hub.listRooms())
	}
	return nil
}

func (s *session) login(name string) error {
	if s.name != "" {
		s.sendError(proto.CodeAlreadyLoggedIn, "you are already logged in as "+s.name)
		return nil
	}
	reject := func(reason proto.RejectReason, text string) error {
		s.log(slog.LevelInfo, "login rejected", "user", name, "reason", reason)
		s.send(&proto.Message{Kind: proto.KindLoginReject, Reason: reason, Text: text})
		return errRejected
	}
	if !proto.ValidUsername(name) {
		return reject(proto.ReasonNameInvalid, fmt.Sprintf(
			"a username is 1 to %d letters, digits, '_', '-' or '.'", proto.MaxUsernameLen))
	}
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	key := proto.FoldName(name)
	if other, taken := h.users[key]; taken {
		return reject(proto.ReasonNameTaken, fmt.Sprintf("the name %s is taken", other.name))
	}
	if len(h.users) >= h.cfg.MaxUsers {
		return reject(proto.ReasonServerFull, fmt.Sprintf("the server is full (%d users)", h.cfg.MaxUsers))
	}
	s.name = name
	h.users[key] = s
	s.send(&proto.Message{Kind: proto.KindLoginAck, Username: name, Room: proto.GeneralRoom})
	h.joinLocked(s, proto.GeneralRoom)
	s.in.SetReadDeadline(time.Time{})
	s.log(slog.LevelInfo, "login", "user", name, "room", proto.GeneralRoom)
	return nil
}

func (s *session) checkText(text string) bool {
	switch proto.CheckText(text) {
	case proto.CodeEmpty:
		s.sendError(proto.CodeEmpty, "a message needs some text")
		return false
	case proto.CodeTooLong:
		s.sendError(proto.CodeTooLong, fmt.Sprintf("a message is at most %d bytes; this one is %d", proto.MaxTextBytes, len(text)))
		return false
	case proto.CodeMalformed:
		s.sendError(proto.CodeMalformed, "a message must be valid UTF-8")
		return false
	}
	return true
}

func (s *session) roomMsg(text string) {
	if !s.checkText(text) {
		return
	}
	h := s.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	r := s.room
	// What the room gathered to announce goes first: a message never
	// overtakes the notice of its sender's arrival.
	h.sendGathered(r)
	frame := h.encode(&proto.Message{Kind: proto.KindRoomMsg, Room: r.name, From: s.name, Text: text})
	n := h.fanOut(r.members, s, frame)
	h.traceRoom(r, n, frame)
	s.send(&proto.Message{Kind: proto.KindRoomMsgAck, Room: r.name, Recipients: n})
}

func (s *session) privateMsg(to, text string) {
	if !s.checkText(text) {
		return
	}
	h := s.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	target := h.users[proto.FoldName(to)]
	var frame []byte
	if target != nil {
		frame = h.encode(&proto.Message{Kind: proto.KindPrivateMsg, From: s.name, Text: text})
		if h.cfg.Trace {
			h.trace("→", target.name, frame, proto.ServerToClient)
		}
	}
	if target == nil || target.out.Send(frame) != nil {
		s.send(&proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusNoSuchUser, To: to})
		return
	}
	s.send(&proto.Message{Kind: proto.KindPrivateMsgDelivery, Status: proto.StatusDelivered, To: target.name})
}

func (s *session) joinRoom(name string) {
	if !proto.ValidRoom(name) {
		s.sendError(proto.CodeNameInvalid, fmt.Sprintf(
			"a room name is 1 to %d letters, digits, '_', '-' or '.'", proto.MaxRoomLen))
		return
	}
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.room.name == name {
		s.send(&proto.Message{Kind: proto.KindJoinRoom, Room: name})
		return
	}
	from := s.room.name
	h.leaveLocked(s)
	r, created := h.joinLocked(s, name)
	s.send(&proto.Message{Kind: proto.KindJoinRoom, Room: r.name, Created: created})
	s.log(slog.LevelInfo, "room change", "user", s.name, "from", from, "to", r.name, "created", created)
}

// readWaiter returns what can wait for the client without reading, if the
// transport has one: v4's TLS connections are over a connection that can
// (see framing.Waiter). A plain TCP connection waits well enough by
// reading.
func readWaiter(c net.Conn) framing.Waiter {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = tc.NetConn()
	}
	w, _ := c.(framing.Waiter)
	return w
}
