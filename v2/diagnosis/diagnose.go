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
// what protocol it speaks (enough for ClassChat's greeting to name
// itself).
const firstBytes = 64

// probeWait bounds each probe of a server that did not answer the log-in
// (see recorder.Read and probeTLS).
const probeWait = time.Second

// Dialer connects to the server and remembers what it first said, so that
// a failure can be diagnosed.
type Dialer struct {
	Timeout  time.Duration // for connecting (default DefaultTimeout)
	Resolver *net.Resolver // nil: the system's
	TLS      *tls.Config   // nil: plain TCP
	Stage    string        // "v2", for the remedies

	mu    sync.Mutex
	first []byte // the first bytes the server sent on the last connection (inside TLS, if any)
	raw   []byte // the same on the wire: for TLS, the server's first records
	addr  string // the last address dialled
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
	d.first, d.raw, d.addr = nil, nil, addr
	d.mu.Unlock()
	if d.TLS == nil {
		return &recorder{Conn: raw, d: d, keep: bothFirst, probe: true}, nil
	}
	// The handshake runs here, within the time limit, so that a server
	// that never answers it is told apart from one that never answers
	// the log-in.
	tc := tls.Client(&recorder{Conn: raw, d: d, keep: rawFirst}, d.TLS)
	hctx, cancel := context.WithTimeout(ctx, nd.Timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, &HandshakeError{Err: err}
	}
	return &recorder{Conn: tc, d: d, keep: tlsFirst, probe: true}, nil
}

// HandshakeError is a failed TLS handshake.
type HandshakeError struct{ Err error }

func (e *HandshakeError) Error() string { return "TLS handshake: " + e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }

// recorder keeps the first bytes read from a connection. On a plain
// connection it also probes a server that stays silent after the log-in
// (see Read).
type recorder struct {
	net.Conn
	d      *Dialer
	keep   int  // which of the Dialer's records the bytes go to
	probe  bool // probe a silent server once
	probed bool
	last   byte // the last byte written
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.Conn.Write(p)
	if n > 0 {
		r.last = p[n-1]
	}
	return n, err
}

// What a recorder keeps.
const (
	bothFirst = iota // a plain connection: first and raw are the same
	rawFirst         // under TLS: the records on the wire
	tlsFirst         // above TLS: what the server said inside
)

// NetConn is the connection the recorder reads, a *tls.Conn over TLS, for
// whoever shows what TLS negotiated (v4's client).
func (r *recorder) NetConn() net.Conn { return r.Conn }

// CloseWrite half-closes the connection, as *net.TCPConn does: the client
// uses it at the end of input to let the server answer what was sent.
func (r *recorder) CloseWrite() error {
	if hc, ok := r.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return errors.ErrUnsupported
}

// Read reads and records. A server of a line protocol (JSON ChatProto,
// ClassChat) that gets a binary log-in waits for the end of a line that
// never comes, and the log-in times out in silence. So when the first
// read of a plain connection times out with nothing received, the
// recorder sends one newline and listens a moment more: a line server
// then answers the line, and its answer names what it speaks. (After a
// log-in that ended a line itself, a JSON one, there is nothing to add.)
func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n == 0 && r.probe && !r.probed && r.last != '\n' && isTimeout(err) && r.nothingYet() {
		r.probed = true
		r.Conn.SetDeadline(time.Now().Add(probeWait))
		if _, werr := r.Conn.Write([]byte("\n")); werr == nil {
			if m, _ := r.Conn.Read(p); m > 0 {
				n, err = m, nil // else nothing either way: the first time-out stands
			}
		}
	}
	if n > 0 {
		r.record(p[:n])
	}
	return n, err
}

func (r *recorder) nothingYet() bool {
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	if r.keep == tlsFirst {
		return len(r.d.first) == 0
	}
	return len(r.d.raw) == 0
}

func (r *recorder) record(b []byte) {
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	if r.keep != tlsFirst {
		r.d.raw = appendFirst(r.d.raw, b)
	}
	if r.keep != rawFirst {
		r.d.first = appendFirst(r.d.first, b)
	}
}

func appendFirst(first, b []byte) []byte {
	if room := firstBytes - len(first); room > 0 {
		first = append(first, b[:min(len(b), room)]...)
	}
	return first
}

// Diagnose names the problem that ended a session with err.
func (d *Dialer) Diagnose(err error, addr string) Problem {
	d.mu.Lock()
	first, raw := d.first, d.raw
	d.mu.Unlock()
	p := Problem{Addr: addr, Stage: d.Stage, Detail: err.Error()}
	p.Class = classify(err, first, raw, d.TLS != nil)
	if p.Class.Name == "closed without answering" && d.probeTLS(addr) {
		// Go's TLS servers, and most others, close without a word on
		// bytes that are not a TLS handshake: ask it for one.
		p.Class = classNamed("speaks TLS")
		p.Detail = "it closed the connection on the log-in, and answers a TLS handshake"
	}
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

// probeTLS reports whether the server at addr answers a TLS handshake
// with a TLS record (a ServerHello or an alert). Nothing is verified: the
// probe only asks what the server speaks, and says nothing to it after.
func (d *Dialer) probeTLS(addr string) bool {
	if d.TLS != nil || addr == "" {
		return false
	}
	conn, err := (&net.Dialer{Timeout: probeWait, Resolver: d.Resolver}).Dial("tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(probeWait))
	probe := &Dialer{}
	tc := tls.Client(&recorder{Conn: conn, d: probe, keep: rawFirst},
		&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}) // a probe: it reads the answer, and trusts nothing
	if tc.Handshake() == nil {
		return true
	}
	return isTLSRecord(probe.raw)
}

// isTLSRecord reports whether b starts with a TLS record header: an alert
// (0x15) or a handshake (0x16), version 3.x.
func isTLSRecord(b []byte) bool {
	return len(b) >= 2 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03
}

func classify(err error, first, raw []byte, overTLS bool) Class {
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
	case errors.As(err, &recordErr), errors.As(err, new(*HandshakeError)) && isClosed(err):
		// A plain server answered the handshake, or closed on it: what
		// it said, if anything, tells which.
		if c, ok := speaks(raw); ok {
			return c
		}
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
	case errors.Is(err, chatclient.ErrNoLoginReply):
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
	case isTLSRecord(first):
		return classNamed("speaks TLS")
	}
	if c, ok := speaks(first); ok {
		return c
	}
	return classNamed("speaks something else")
}

// speaks tells, from the first bytes a server sent, which of the lab's
// protocols it speaks, if any.
func speaks(first []byte) (Class, bool) {
	switch {
	case bytes.HasPrefix(first, []byte{0x43, 0x50, 0x01}):
		// "CP", version 1: a ChatProto v1.0 header.
		return classNamed("speaks binary ChatProto"), true
	case bytes.HasPrefix(first, []byte(`{"type":`)):
		return classNamed("speaks JSON ChatProto"), true
	case bytes.Contains(first, []byte("ClassChat")), bytes.HasPrefix(first, []byte("Enter your username:")):
		// ClassChat's servers greet with their name, or (task 4 and
		// the bonuses) ask for a username.
		return classNamed("speaks ClassChat"), true
	}
	return Class{}, false
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
