//go:build !linux

package bonus3

import "net"

// unacked cannot tell, off Linux, what the peer's TCP has acknowledged:
// delivery falls back to waiting TCPAckFallback after the write.
func unacked(net.Conn) (n int, reset, ok bool) { return 0, false, false }

// peek cannot look at a socket's receive buffer off Linux: a client's
// acknowledgements are then taken only as the session reads them.
func peek(net.Conn, []byte) (n int, ended, ok bool) { return 0, false, false }
