//go:build unix

package task2

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/framing"
	"chatlab/shared/safetext"
)

func chat(addr string, in *os.File, out io.Writer) error {
	// One goroutine on one OS thread for the whole session: under
	// `strace -f` every connect, poll, read and write of the session
	// carries the same thread id.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	raddr, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", addr, err)
	}
	sock, err := connect(raddr, ConnectTimeout)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", raddr, err) // cc.Fail explains it
	}
	defer unix.Close(sock)

	s := &session{
		sock:   sock,
		in:     int(in.Fd()), // blocking mode: we read it only when poll says it is ready
		out:    out,
		server: newSplitter(cc.MaxLine),
		typed:  newSplitter(cc.MaxLine),
		buf:    make([]byte, readSize),
	}
	err = s.run()
	runtime.KeepAlive(in) // in's finalizer must not close the descriptor we poll
	return err
}

// session is the state of the one loop: the two descriptors, the lines
// begun on each, and how far the session has gone.
type session struct {
	sock, in      int
	out           io.Writer
	server, typed *splitter
	buf           []byte // one read(2), from either descriptor
	line          []byte // one line being shown

	leaving  bool      // exit was sent: only the server's last words now
	deadline time.Time // when leaving, how long they may take
	done     bool      // the session is over
}

// run is the event loop: wait in poll(2) until the socket or the input
// has something (data, an end, an error), handle it, and wait again.
func (s *session) run() error {
	fds := []unix.PollFd{
		{Fd: int32(s.sock), Events: unix.POLLIN},
		{Fd: int32(s.in), Events: unix.POLLIN},
	}
	for !s.done {
		watch, timeout := fds, -1 // -1: no timeout; one of the two will speak
		if s.leaving {
			left := time.Until(s.deadline)
			if left <= 0 {
				return nil // the server said nothing more and did not close
			}
			// No more typing: only the socket, for at most what is left.
			watch, timeout = fds[:1], int((left+time.Millisecond-1)/time.Millisecond)
		}
		n, err := unix.Poll(watch, timeout)
		if err == unix.EINTR {
			continue // a signal (Go's runtime sends itself some): wait again
		}
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		if n == 0 {
			continue // timed out: the deadline check above ends the session
		}
		// The server first: if it said exit, what was typed meanwhile is
		// not sent.
		if ev := watch[0].Revents; ev != 0 {
			if ev&unix.POLLNVAL != 0 {
				return errors.New("poll: the socket is not open")
			}
			// POLLIN, and also POLLHUP and POLLERR: the read says which
			// (data, 0 for the end, or the pending error).
			if err := s.fromServer(); err != nil {
				return err
			}
		}
		if len(watch) > 1 && !s.done && !s.leaving {
			if ev := watch[1].Revents; ev != 0 {
				if ev&unix.POLLNVAL != 0 {
					return errors.New("poll: the input is not open")
				}
				if err := s.fromUser(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fromServer reads what the socket has and shows each complete line.
func (s *session) fromServer() error {
	n, err := read(s.sock, s.buf)
	switch {
	case err == unix.EAGAIN:
		return nil // nothing after all
	case err != nil && s.leaving:
		s.done = true // a reset after we said exit: we are leaving anyway
		return nil
	case err != nil:
		return fmt.Errorf("read from the server: %w", err)
	case n == 0:
		if rest := s.server.flush(); len(rest) > 0 {
			s.show(string(rest)) // the server's last line had no "\n"
		}
		s.done = true
		if !s.leaving {
			s.show(ServerClosed)
			return ErrClosed
		}
		return nil
	}
	tooLong := false
	s.server.split(s.buf[:n], func(line []byte, long bool) bool {
		if long {
			tooLong = true
			return false
		}
		s.show(string(line))
		if cc.IsExit(string(line)) {
			s.show(ServerExited)
			s.done = true
			return false
		}
		return true
	})
	if tooLong {
		s.show(fmt.Sprintf(ServerLineTooLong, cc.MaxLine))
		return fmt.Errorf("from the server: %w", framing.ErrLineTooLong)
	}
	return nil
}

// fromUser reads what was typed and sends each complete line.
func (s *session) fromUser() error {
	n, err := read(s.in, s.buf)
	switch {
	case err == unix.EAGAIN:
		return nil
	case err != nil:
		return fmt.Errorf("read standard input: %w", err)
	case n == 0:
		// The end of input ends the session as exit does; a last line
		// without "\n" is sent first.
		if rest := s.typed.flush(); len(rest) > 0 {
			if err := s.typedLine(rest); err != nil || s.leaving {
				return err
			}
		}
		return s.leave(cc.Exit)
	}
	var sendErr error
	s.typed.split(s.buf[:n], func(line []byte, long bool) bool {
		if long {
			s.show(fmt.Sprintf(TypedLineTooLong, cc.MaxLine))
			return true
		}
		sendErr = s.typedLine(line)
		return sendErr == nil && !s.leaving // after exit, nothing more is sent
	})
	return sendErr
}

// typedLine sends one typed line, unless it is blank, and shows it; exit
// (or /quit, which sends exit) starts leaving.
func (s *session) typedLine(b []byte) error {
	line := strings.TrimSuffix(string(b), "\r")
	switch {
	case strings.TrimSpace(line) == "":
		return nil
	case cc.IsQuit(line):
		return s.leave(cc.Exit)
	}
	if err := s.send(line); err != nil {
		return err
	}
	s.show(cc.Own("", line))
	return nil
}

// leave sends the last line (exit), shuts the sending half of the
// connection (the server reads an end after it), and from then on waits
// only for the server's last words, for at most LastWords.
func (s *session) leave(line string) error {
	if err := s.send(line); err != nil {
		return err
	}
	unix.Shutdown(s.sock, unix.SHUT_WR) // best effort: the session ends anyway
	s.leaving = true
	s.deadline = time.Now().Add(LastWords)
	return nil
}

// send writes one line and its "\n". The write may block, if the server
// stops reading and its buffers fill; a client that must never block would
// queue the bytes and ask poll for POLLOUT too.
func (s *session) send(line string) error {
	if err := writeAll(s.sock, []byte(line+"\n")); err != nil {
		return fmt.Errorf("send to the server: %w", err)
	}
	return nil
}

// show writes one line to the user, in one Write, cleaned
// (safetext.AppendClean): the server's lines carry what other clients
// typed, and a control character in them (an escape sequence that clears
// the screen or sets the window title, a carriage return that writes a
// forged line over the real one) or an invisible one (a right-to-left
// override) is shown as U+FFFD, not obeyed by the terminal.
func (s *session) show(line string) {
	s.line = append(safetext.AppendClean(s.line[:0], line), '\n')
	s.out.Write(s.line) // like a terminal: what cannot be shown is lost
}

// read is read(2), restarted when a signal interrupts it.
func read(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// writeAll writes all of p to fd. A write may take only part of p; the
// rest is written next. (Writing to a socket the server closed fails with
// EPIPE: Go's runtime does not die of SIGPIPE for descriptors other than
// 1 and 2.)
func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			// Only if the descriptor was left non-blocking: wait until
			// there is room.
			if _, err := waitWritable(fd, -1); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		p = p[n:]
	}
	return nil
}

// waitWritable waits until fd can be written to (or has an error to
// report), for at most timeout (-1: for ever), restarting after signals.
// It reports false if the timeout passed first.
func waitWritable(fd int, timeout time.Duration) (bool, error) {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		ms := -1
		if timeout >= 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return false, nil
			}
			ms = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
}

// connect makes a TCP socket and connects it to addr within timeout. The
// connect is started in non-blocking mode, so that its wait is a poll(2)
// with a timeout (a connection that is done makes the socket writable);
// the socket is then put back in blocking mode.
func connect(addr *net.TCPAddr, timeout time.Duration) (fd int, err error) {
	sa, family, err := sockaddr(addr)
	if err != nil {
		return -1, err
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	unix.CloseOnExec(fd)
	defer func() {
		if err != nil {
			unix.Close(fd)
			fd = -1
		}
	}()
	if err := unix.SetNonblock(fd, true); err != nil {
		return -1, err
	}
	switch err := unix.Connect(fd, sa); err {
	case nil:
	case unix.EINPROGRESS, unix.EINTR: // EINTR: the connect goes on regardless
		ready, err := waitWritable(fd, timeout)
		if err != nil {
			return -1, err
		}
		if !ready {
			return -1, ErrConnectTimeout
		}
		soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return -1, fmt.Errorf("getsockopt SO_ERROR: %w", err)
		}
		if soErr != 0 {
			return -1, syscall.Errno(soErr)
		}
	default:
		return -1, err
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		return -1, err
	}
	return fd, nil
}

// sockaddr converts a resolved address to the kernel's form.
func sockaddr(a *net.TCPAddr) (unix.Sockaddr, int, error) {
	if a.IP == nil || a.IP.IsUnspecified() {
		// As net.Dial does: no host, or 0.0.0.0, means this machine.
		return &unix.SockaddrInet4{Port: a.Port, Addr: [4]byte{127, 0, 0, 1}}, unix.AF_INET, nil
	}
	if ip4 := a.IP.To4(); ip4 != nil {
		return &unix.SockaddrInet4{Port: a.Port, Addr: [4]byte(ip4)}, unix.AF_INET, nil
	}
	if ip16 := a.IP.To16(); ip16 != nil {
		sa := &unix.SockaddrInet6{Port: a.Port, Addr: [16]byte(ip16)}
		if a.Zone != "" {
			if ifi, err := net.InterfaceByName(a.Zone); err == nil {
				sa.ZoneId = uint32(ifi.Index)
			} else if n, err := strconv.ParseUint(a.Zone, 10, 32); err == nil {
				sa.ZoneId = uint32(n)
			} else {
				return nil, 0, fmt.Errorf("zone %q: no such interface", a.Zone)
			}
		}
		return sa, unix.AF_INET6, nil
	}
	return nil, 0, fmt.Errorf("%s: not an IP address", a)
}
