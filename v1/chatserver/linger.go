package chatserver

import (
	"io"
	"net"
	"sync/atomic"
	"time"
)

// Bounds of a lingering close.
const (
	lingerTime     = time.Second
	lingerMaxBytes = 1 << 20
)

// lingerConn is the connection as a session's outbox sees it. Once the
// session has ended, Close is a lingering close: it sends FIN, discards
// what the client is still sending until the client closes too (within
// bounds), and only then closes. Closing a socket with unread input makes
// the kernel reset the connection, and a reset can destroy our last words
// (a LOGIN_REJECT, a fatal ERROR_MSG) before the client reads them.
type lingerConn struct {
	net.Conn
	linger atomic.Bool // set by the session once it no longer reads
}

func (c *lingerConn) Close() error {
	if c.linger.Load() {
		if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok && hc.CloseWrite() == nil {
			c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
			io.Copy(io.Discard, io.LimitReader(c.Conn, lingerMaxBytes))
		}
	}
	return c.Conn.Close()
}
