// Package netfail explains the network failures every client meets the
// same way: an unknown host, a refused connection, a connection that
// times out, is reset, or is closed by the server. Each gets words a
// student understands, the next step, and its exit status
// (chatlab/shared/exitcode). What is particular to a protocol (a refused
// log-in, another protocol at the address) is the client's own affair.
package netfail

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"chatlab/shared/exitcode"
)

// Problem is a failure explained.
type Problem struct {
	Status int    // the exit status (exitcode)
	Cause  string // what happened, in words
	Remedy string // the next step
}

// String is what a client prints: the cause, and the next step on a line
// of its own.
func (p Problem) String() string { return p.Cause + "\n  next step: " + p.Remedy }

// Explain names the failure err, met talking to the server at addr. start
// says how to start that server ("make server-task4"), for the remedy of a
// refused connection. It reports false if err is none of the failures
// this package knows.
func Explain(err error, addr, start string) (Problem, bool) {
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return Problem{}, false
	case errors.As(err, &dnsErr):
		host, _, _ := net.SplitHostPort(addr)
		return Problem{exitcode.HostNotFound,
			"the host " + quote(host) + " was not found (no such name)",
			"check its spelling, or use an IP address such as 127.0.0.1"}, true
	case errors.Is(err, syscall.ECONNREFUSED):
		remedy := "is the server running? check the host and port"
		if start != "" {
			remedy = "is the server running? start it with " + start + ", and check the port"
		}
		return Problem{exitcode.Refused, "nothing is listening at " + addr, remedy}, true
	case IsReset(err):
		return Problem{exitcode.ConnectionLost,
			"the connection to " + addr + " was reset: the server crashed or was killed",
			"look at the server's terminal for what happened, restart it, then the client"}, true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Problem{exitcode.ConnectionLost,
			"the server at " + addr + " closed the connection",
			"the server was stopped or cut this client off; start the client again once the server is up"}, true
	case isTimeout(err):
		return Problem{exitcode.ConnectTimeout,
			addr + " did not answer in time",
			"check the host and port; a firewall may drop the packets"}, true
	}
	return Problem{}, false
}

// IsReset reports whether err says the peer reset the connection (or it
// broke while writing).
func IsReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// IsClosing reports whether err is what a read or write returns for a
// connection that is being closed on purpose: by this side (Go's
// net.ErrClosed), or by the peer (end of file, reset). A server logs such
// an end as "closed", not as an error.
func IsClosing(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || IsReset(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t") {
		return "'" + s + "'"
	}
	return s
}
