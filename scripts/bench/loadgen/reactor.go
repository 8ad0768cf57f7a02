package loadgen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// reactorEvents is how many ready sockets one epoll_wait returns at most.
const reactorEvents = 256

// reactor reads the plain-TCP members of a measured room with one
// goroutine and epoll(7), level-triggered: every socket that has data is
// read once per wake-up, into its member's buffer. Go's own net package
// would give each member a goroutine that, after every read with data,
// reads once more to learn there is nothing left (EAGAIN) before it
// parks: twice the system calls, and a goroutine switch per delivery. The
// generator shares the machine with the server it measures, so what it
// spends on reading is taken from the server.
type reactor struct {
	epfd int
	wake [2]int // a pipe: a byte written to wake[1] stops the loop

	mu      sync.Mutex
	members map[int32]*member
	stopped bool
	done    chan struct{}
}

func newReactor() (*reactor, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll: %w", err)
	}
	r := &reactor{epfd: epfd, members: make(map[int32]*member), done: make(chan struct{})}
	if err := syscall.Pipe2(r.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(r.wake[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, r.wake[0], &ev); err != nil {
		r.closeFDs()
		return nil, err
	}
	go r.run()
	return r, nil
}

// add takes m over from Go's net package and starts reading it. m's
// connection must be a plain TCP one.
//
// The reactor keeps a duplicate of the socket and closes m.conn, so Go's
// poller lets go of it (its close deregisters the socket; the duplicate
// keeps it open). A socket registered with two epoll instances makes every
// write to it by the server wake both: the generator would double the
// cost of the server's system calls it is measuring. The duplicate is put
// in blocking mode (reads happen only when epoll says there is something
// to read), with a send time-out for the publishers' writes.
func (r *reactor) add(m *member) error {
	sc, ok := m.conn.(syscall.Conn)
	if !ok {
		return fmt.Errorf("reactor: %T has no file descriptor", m.conn)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var dupErr error
	if err := rc.Control(func(fd uintptr) { m.fd, dupErr = syscall.Dup(int(fd)) }); err != nil {
		return err
	}
	if dupErr != nil {
		return dupErr
	}
	m.conn.Close()
	tv := syscall.NsecToTimeval(int64(writeTimeout))
	if err := errors.Join(syscall.SetNonblock(m.fd, false),
		syscall.SetsockoptTimeval(m.fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)); err != nil {
		syscall.Close(m.fd)
		return err
	}
	m.reactor = r
	// Under the lock, so that the loop sees m only once it is set up.
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members[int32(m.fd)] = m
	if m.n > 0 { // what setup read past its answers
		if err := m.consume(0, now()); err != nil {
			return err
		}
	}
	return r.readd(m)
}

// write writes b on m's socket, whole.
func (r *reactor) write(m *member, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(m.fd, b)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			return fmt.Errorf("write: %w", os.ErrDeadlineExceeded)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// readd watches m's socket (again).
func (r *reactor) readd(m *member) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(m.fd)}
	return syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, m.fd, &ev)
}

// remove stops watching m's socket; m stays the reactor's.
func (r *reactor) remove(m *member) {
	syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_DEL, m.fd, nil)
}

// run is the reactor's goroutine.
func (r *reactor) run() {
	defer close(r.done)
	events := make([]syscall.EpollEvent, reactorEvents)
	for {
		n, err := syscall.EpollWait(r.epfd, events, -1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			r.failAll(fmt.Errorf("epoll_wait: %w", err))
			return
		}
		r.mu.Lock()
		for _, ev := range events[:n] {
			if int(ev.Fd) == r.wake[0] {
				r.mu.Unlock()
				return
			}
			m := r.members[ev.Fd]
			if m == nil || !m.alive() {
				continue
			}
			if err := r.readOnce(m); err != nil {
				r.remove(m)
				m.end(err)
			}
		}
		r.mu.Unlock()
	}
}

// readOnce reads what m's socket holds, once. What it reads arrived when
// the read returned: the clock is read for every read, not once per
// wake-up, or the last of a hundred sockets ready together would seem to
// have been served as early as the first.
func (r *reactor) readOnce(m *member) error {
	k, err := syscall.Read(m.fd, m.buf[m.n:])
	t := now()
	switch {
	case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
		return nil
	case err != nil:
		return err
	case k == 0:
		return io.EOF
	}
	return m.consume(k, t)
}

func (r *reactor) failAll(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.members {
		m.end(err)
	}
}

// stop ends the loop and waits for it; the members' sockets are the
// callers to close (member.close). Calling it again does nothing.
func (r *reactor) stop() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	r.mu.Unlock()
	syscall.Write(r.wake[1], []byte{0})
	<-r.done
	r.closeFDs()
}

func (r *reactor) closeFDs() {
	syscall.Close(r.epfd)
	syscall.Close(r.wake[0])
	syscall.Close(r.wake[1])
}
