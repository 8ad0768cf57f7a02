package diagnosis

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/proto"
)

// DefaultTimeout bounds connecting and the log-in, each.
const DefaultTimeout = 5 * time.Second

// firstBytes is how much of the server's first answer is kept, to tell
// what protocol it speaks.
const firstBytes = 16

// Dialer connects to the server and remembers what it first said, so that
// a failure can be diagnosed.
type Dialer struct {
	Timeout  time.Duration // for connecting (default DefaultTimeout)
	Resolver *net.Resolver // nil: the system's
	TLS      *tls.Config   // nil: plain TCP
	Stage    string        // "v2", for the remedies

	mu    sync.Mutex
	first []byte // the first bytes the server sent on the last connection
}

// Dial connects to addr.
func (d *Dialer) Dial(ctx context.Context, addr string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: d.Timeout, Resolver: d.Resolver}
	if nd.Timeout <= 0 {
		nd.Timeout = DefaultTimeout
	}
	raw, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.first = nil
	d.mu.Unlock()
	conn := net.Conn(&recorder{Conn: raw, d: d})
	if d.TLS == nil {
		return conn, nil
	}
	// The handshake runs here, within the time limit, so that a server
	// that never answers it is told apart from one that never answers
	// the log-in.
	tc := tls.Client(conn, d.TLS)
	hctx, cancel := context.WithTimeout(ctx, nd.Timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, &HandshakeError{Err: err}
	}
	return tc, nil
}

// HandshakeError is a failed TLS handshake.
type HandshakeError struct{ Err error }

func (e *HandshakeError) Error() string { return "TLS handshake: " + e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }

// recorder keeps the first bytes read from a connection.
type recorder struct {
	net.Conn
	d *Dialer
}

// CloseWrite half-closes the connection, as *net.TCPConn does: the client
// uses it at the end of input to let the server answer what was sent.
func (r *recorder) CloseWrite() error {
	if hc, ok := r.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.d.mu.Lock()
		if room := firstBytes - len(r.d.first); room > 0 {
			r.d.first = append(r.d.first, p[:min(n, room)]...)
		}
		r.d.mu.Unlock()
	}
	return n, err
}

// Diagnose names the problem that ended a session with err.
func (d *Dialer) Diagnose(err error, addr string) Problem {
	d.mu.Lock()
	first := d.first
	d.mu.Unlock()
	p := Problem{Addr: addr, Stage: d.Stage, Detail: err.Error()}
	p.Class = classify(err, first, d.TLS != nil)
	switch p.Class.Name {
	case "name taken", "name invalid", "server full":
		var rej *chatclient.RejectError
		var inv *chatclient.InvalidError
		if errors.As(err, &rej) {
			p.Detail = rej.Text
		} else if errors.As(err, &inv) {
			p.Detail = inv.Problem
		}
	}
	return p
}

func classify(err error, first []byte, overTLS bool) Class {
	var (
		rej       *chatclient.RejectError
		inv       *chatclient.InvalidError
		dnsErr    *net.DNSError
		recordErr tls.RecordHeaderError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
		alertErr  tls.AlertError
	)
	switch {
	case errors.As(err, &rej):
		switch rej.Reason {
		case proto.ReasonNameTaken:
			return classNamed("name taken")
		case proto.ReasonNameInvalid:
			return classNamed("name invalid")
		case proto.ReasonServerFull:
			return classNamed("server full")
		}
	case errors.As(err, &inv):
		return classNamed("name invalid")
	case errors.As(err, &dnsErr):
		return classNamed("host not found")
	case errors.Is(err, syscall.ECONNREFUSED):
		return classNamed("connection refused")
	case errors.As(err, &recordErr):
		return classNamed("TLS: not a TLS server")
	case errors.As(err, &authErr):
		return classNamed("TLS: certificate not trusted")
	case errors.As(err, &hostErr):
		return classNamed("TLS: wrong host name")
	case errors.As(err, &certErr) && certErr.Reason == x509.Expired:
		return classNamed("TLS: certificate expired")
	case errors.As(err, &certErr), errors.As(err, &alertErr), overTLS && isRemoteAlert(err):
		return classNamed("TLS: handshake failed")
	case errors.As(err, new(*HandshakeError)) && (isTimeout(err) || errors.Is(err, context.DeadlineExceeded)):
		return classNamed("TLS: no handshake")
	case errors.As(err, new(*HandshakeError)) && isClosed(err):
		return classNamed("TLS: not a TLS server")
	case errors.Is(err, chatclient.ErrNoLoginReply):
		if overTLS && len(first) == 0 && isTimeout(err) {
			return classNamed("TLS: no handshake")
		}
		return classifyLogin(err, first)
	case errors.Is(err, chatclient.ErrServerClosed):
		if isReset(err) {
			return classNamed("connection reset")
		}
		return classNamed("connection closed")
	case isTimeout(err):
		return classNamed("connection timed out")
	}
	return classNamed("other")
}

// classifyLogin tells why the log-in got no proper answer, from the first
// bytes the server sent. (A client never classifies its own encoding this
// way: it would have understood the answer.)
func classifyLogin(err error, first []byte) Class {
	switch {
	case len(first) == 0 && isTimeout(err):
		return classNamed("log-in timed out")
	case len(first) == 0:
		return classNamed("closed without answering")
	case len(first) >= 2 && (first[0] == 0x15 || first[0] == 0x16) && first[1] == 0x03:
		// A TLS record: an alert (0x15) or a handshake (0x16), version 3.x.
		return classNamed("speaks TLS")
	case bytes.HasPrefix(first, []byte{0x43, 0x50}):
		return classNamed("speaks binary ChatProto")
	case bytes.HasPrefix(first, []byte(`{"type":`)):
		return classNamed("speaks JSON ChatProto")
	}
	return classNamed("speaks something else")
}

// isRemoteAlert reports whether err is a TLS alert the server sent: Go
// reports it as a *net.OpError whose Op is "remote error".
func isRemoteAlert(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isClosed reports whether err says the peer ended the connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err)
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
