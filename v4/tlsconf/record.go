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

// TLS record types (RFC 8446 §5.1).
const recordHandshake = 22

// helloPiece is the most recordConn gives TLS of a plaintext handshake
// record at once (see recordConn).
const helloPiece = 256

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
//
// It also gives the client's first records, the plaintext handshake
// before anything encrypted (the ClientHello, and TLS 1.2's key
// exchange), in pieces of at most helloPiece bytes, each under a header
// of its own, as a client may send them (RFC 8446 §5.1: a handshake
// message may span records). crypto/tls keeps the buffer it reads records
// into for the life of the connection, grown to fit the largest record it
// has read, and a ClientHello with a post-quantum key share is 1.5 KiB or
// more: given in pieces, it leaves each idle connection 0.35 KiB less of
// live heap (10 000 idle clients of make bench's scale scenario).
type recordConn struct {
	net.Conn
	hdr     [recordHeaderLen]byte
	have    int  // bytes of the next record's header read so far
	hdrLeft int  // bytes of hdr, the current piece's header, still to give
	left    int  // bytes of the current piece's body still to give
	rest    int  // bytes of the client's record after the current piece
	started bool // a record other than a plaintext handshake has come
}

// Read reads at most up to the end of the current record's (or piece's)
// header or body.
func (c *recordConn) Read(p []byte) (int, error) {
	if c.hdrLeft == 0 && c.left == 0 {
		if c.rest > 0 {
			c.piece(c.rest)
		} else {
			for c.have < recordHeaderLen {
				n, err := c.Conn.Read(c.hdr[c.have:])
				c.have += n
				if err != nil && c.have < recordHeaderLen {
					return 0, err
				}
			}
			c.have = 0
			if c.hdr[0] != recordHandshake {
				c.started = true
			}
			c.piece(int(binary.BigEndian.Uint16(c.hdr[3:])))
		}
	}
	if c.hdrLeft > 0 {
		n := copy(p, c.hdr[recordHeaderLen-c.hdrLeft:])
		c.hdrLeft -= n
		return n, nil
	}
	n, err := c.Conn.Read(p[:min(len(p), c.left)])
	c.left -= n
	return n, err
}

// piece sets up the header of the next piece of a record of which size
// bytes are still to come.
func (c *recordConn) piece(size int) {
	n := size
	if !c.started {
		n = min(size, helloPiece)
	}
	c.rest = size - n
	c.left = n
	c.hdrLeft = recordHeaderLen
	binary.BigEndian.PutUint16(c.hdr[3:], uint16(n))
}

// WaitRead waits, between records, for the client to send something; it
// implements framing.Waiter.
func (c *recordConn) WaitRead() error {
	if c.left != 0 || c.have != 0 || c.rest != 0 || c.hdrLeft != 0 {
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
