package loadgen

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v3/binwire"
)

// The lean server is the floor the chat servers are measured against: a
// fan-out loop with no chat logic, in the binary encoding. It knows four
// messages (LOGIN, JOIN_ROOM, ROOM_MSG and, to the sender, ROOM_MSG_ACK),
// checks nothing, logs nothing, and gives each connection a reader and a
// writer goroutine and a buffered channel; a member whose channel is full
// is cut off. The generator runs it as the stage "lean", in a process of
// its own (itself, with -serve-lean).

// leanQueue is how many frames a lean connection may have waiting: about
// what the chat servers' 1 MiB queues hold of the generator's messages
// (40 to 160 bytes), so that the floor does not cut off members that the
// servers measured against it keep. A channel's buffer is allocated
// whole, but pages never written to cost no memory.
const leanQueue = 16384

// ServeLean runs the lean server on 127.0.0.1:port until SIGINT or
// SIGTERM, and then returns nil.
func ServeLean(port string) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		l.Close()
	}()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	fmt.Printf("[INFO] lean server started on 127.0.0.1:%s\n", p)
	s := &leanServer{rooms: make(map[string][]*leanConn)}
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		lc := &leanConn{c: c, out: make(chan []byte, leanQueue), done: make(chan struct{})}
		go lc.write()
		go s.read(lc)
	}
}

type leanServer struct {
	mu    sync.RWMutex
	rooms map[string][]*leanConn // copy-on-write member lists
}

type leanConn struct {
	c    net.Conn
	out  chan []byte
	done chan struct{} // closed when the connection is
	name string
	room string
	once sync.Once
}

func (lc *leanConn) close() {
	lc.once.Do(func() {
		close(lc.done)
		lc.c.Close()
	})
}

// send queues a frame, or cuts the connection off if its queue is full.
func (lc *leanConn) send(frame []byte) bool {
	select {
	case lc.out <- frame:
		return true
	default:
		lc.close()
		return false
	}
}

// write drains the queue, all that is waiting in one write.
func (lc *leanConn) write() {
	buf := make([]byte, 0, 64<<10)
	for {
		select {
		case frame := <-lc.out:
			buf = append(buf[:0], frame...)
		case <-lc.done:
			return
		}
		for more := true; more && len(buf) < 64<<10; {
			select {
			case f := <-lc.out:
				buf = append(buf, f...)
			default:
				more = false
			}
		}
		if _, err := lc.c.Write(buf); err != nil {
			lc.close()
			return
		}
	}
}

func (s *leanServer) read(lc *leanConn) {
	defer func() {
		s.leave(lc)
		lc.close()
	}()
	r := binwire.Codec{}.NewDecoder(lc.c, proto.ClientToServer)
	var m proto.Message
	for {
		if err := r.Decode(&m); err != nil {
			var perr *proto.Error
			if errors.As(err, &perr) && !perr.Fatal {
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				log.Printf("lean: %v", err)
			}
			return
		}
		switch m.Kind {
		case proto.KindLogin:
			lc.name = m.Username
			lc.send(encodeS2C(&proto.Message{Kind: proto.KindLoginAck, Username: m.Username, Room: proto.GeneralRoom}))
			s.join(lc, proto.GeneralRoom)
		case proto.KindJoinRoom:
			s.join(lc, m.Room)
			lc.send(encodeS2C(&proto.Message{Kind: proto.KindJoinRoom, Room: m.Room}))
		case proto.KindRoomMsg:
			s.fanOut(lc, m.Text)
		}
	}
}

func (s *leanServer) join(lc *leanConn, room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaveLocked(lc)
	lc.room = room
	s.rooms[room] = append(s.rooms[room][:len(s.rooms[room]):len(s.rooms[room])], lc)
}

func (s *leanServer) leave(lc *leanConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaveLocked(lc)
}

func (s *leanServer) leaveLocked(lc *leanConn) {
	old := s.rooms[lc.room]
	members := make([]*leanConn, 0, len(old))
	for _, m := range old {
		if m != lc {
			members = append(members, m)
		}
	}
	s.rooms[lc.room] = members
}

// fanOut encodes the message once and queues the same bytes for every
// other member, then acknowledges it.
func (s *leanServer) fanOut(from *leanConn, text string) {
	s.mu.RLock()
	members := s.rooms[from.room]
	s.mu.RUnlock()
	frame := encodeS2C(&proto.Message{Kind: proto.KindRoomMsg, Room: from.room, From: from.name, Text: text})
	var n uint32
	for _, m := range members {
		if m != from && m.send(frame) {
			n++
		}
	}
	from.send(encodeS2C(&proto.Message{Kind: proto.KindRoomMsgAck, Room: from.room, Recipients: n}))
}

func encodeS2C(m *proto.Message) []byte {
	b, err := binwire.Codec{}.Append(nil, m, proto.ServerToClient)
	if err != nil {
		panic(err)
	}
	return b
}

// leanStage is the lean server as a stage: the generator's own binary.
func leanStage() Stage {
	return Stage{Name: "lean", Dialect: binaryDialect{}, self: true,
		args: func(string) []string { return []string{"-serve-lean", "0"} }}
}

// selfBinary is the generator's own executable, which serves the lean
// stage.
func selfBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(exe); err != nil {
		return "", err
	}
	return exe, nil
}
