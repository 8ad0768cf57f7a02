package tlsconf

import (
	"encoding/binary"
	"errors"
	"net"
	"syscall"

	"chatlab/shared/framing"
)

// recordHeaderLen is the size of a TLS record's header: type, version,
// length (RFC 8446 §5.1).
const recordHeaderLen = 5

// recordConn is the TCP connection under a server's TLS connection. It
// gives TLS one record at a time: a read never goes past the end of the
// record TLS is reading, so once TLS has returned a record's plaintext
// nothing of the client's is left buffered above the socket.
//
// That lets an idle session wait for its client on the socket itself
// (WaitRead) instead of deep inside crypto/tls: the waiting goroutine then
// uses little enough of its stack for the garbage collector to shrink it,
// 4 KiB per idle connection instead of 8. The cost is a read for the
// header and one for the body of each record.
type recordConn struct {
	net.Conn
	hdr  [recordHeaderLen]byte
	have int // bytes of the next record's header read so far
	left int // bytes of the current record's body still to read
}

// Read reads at most up to the end of the current record's header or
// body.
func (c *recordConn) Read(p []byte) (int, error) {
	if c.left == 0 {
		n, err := c.Conn.Read(p[:min(len(p), recordHeaderLen-c.have)])
		copy(c.hdr[c.have:], p[:n])
		if c.have += n; c.have == recordHeaderLen {
			c.left = int(binary.BigEndian.Uint16(c.hdr[3:]))
			c.have = 0
		}
		return n, err
	}
	n, err := c.Conn.Read(p[:min(len(p), c.left)])
	c.left -= n
	return n, err
}

// WaitRead waits, between records, for the client to send something; it
// implements framing.Waiter.
func (c *recordConn) WaitRead() error {
	if c.left != 0 || c.have != 0 {
		return framing.ErrNotIdle
	}
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return framing.ErrNotIdle
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	// Peek without taking: data (or the end, or an error) stops the wait.
	// Go's poller is edge-triggered and forgets readiness at every read,
	// so waiting without first looking could miss what already came.
	var one [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, perr := syscall.Recvfrom(int(fd), one[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return !errors.Is(perr, syscall.EAGAIN) && !errors.Is(perr, syscall.EINTR)
	})
	return err
}
