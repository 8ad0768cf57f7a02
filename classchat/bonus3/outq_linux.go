package bonus3

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// TCP states (linux/tcp_states.h) after which the peer sends nothing
// more: it reset the connection, or closed its side.
const (
	tcpClose     = 7
	tcpCloseWait = 8
)

// control runs f on conn's socket, and reports whether it could.
func control(conn net.Conn, f func(fd int)) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	return raw.Control(func(fd uintptr) { f(int(fd)) }) == nil
}

// unacked returns how many bytes written to conn its peer's TCP has not
// acknowledged yet (the socket's send queue: SIOCOUTQ), whether the
// connection was reset (the bytes never will be), and whether the system
// could tell.
func unacked(conn net.Conn) (n int, reset, ok bool) {
	var err error
	var info *unix.TCPInfo
	if !control(conn, func(fd int) {
		n, err = unix.IoctlGetInt(fd, unix.SIOCOUTQ)
		if err == nil {
			info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		}
	}) || err != nil {
		return 0, false, false
	}
	return n, info.State == tcpClose, true
}

// peek copies what waits in conn's receive buffer into buf without taking
// it, and returns how many bytes, whether the peer ended the connection
// (nothing more will come), and whether the system could tell.
func peek(conn net.Conn, buf []byte) (n int, ended, ok bool) {
	var rerr, ierr error
	var info *unix.TCPInfo
	if !control(conn, func(fd int) {
		n, _, rerr = unix.Recvfrom(fd, buf, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		info, ierr = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	}) {
		return 0, false, false
	}
	switch {
	case rerr == unix.EAGAIN || rerr == unix.EINTR:
		n, rerr = 0, nil
	case rerr != nil:
		return 0, true, true
	}
	return n, ierr == nil && (info.State == tcpClose || info.State == tcpCloseWait), true
}
