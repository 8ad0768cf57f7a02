// Package tlsconf is v4's lesson: the binary chat of v3 inside TLS 1.2 or
// newer. The server proves who it is with a certificate (self-signed, made
// on first start, unless one is given); the client checks it against a
// certificate it trusts and the host name it dialled, shows what was
// negotiated, and refuses to go on when something does not match. A
// client that speaks plain text to the TLS server is logged as such and
// closed, and a handshake that does not finish in time is cut off.
package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"chatlab/shared/certs"
	"chatlab/shared/server"
)

// Limits.
const (
	// MinVersion is the oldest TLS version either side accepts.
	MinVersion = certs.MinTLSVersion
	// HandshakeTimeout bounds the server's wait for a client's handshake.
	HandshakeTimeout = 10 * time.Second
)

// ServerConfig loads the server's certificate and key from certFile and
// keyFile ("" for the default place, certs.DefaultDir), making a
// self-signed pair if neither exists, and logs where they are, where they
// came from and the certificate's SHA-256 fingerprint for clients to
// compare.
func ServerConfig(certFile, keyFile string, log *slog.Logger) (*tls.Config, error) {
	s, err := certs.LoadServer(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	s.Log(log)
	return &tls.Config{Certificates: []tls.Certificate{s.Cert}, MinVersion: MinVersion}, nil
}

// Handshaker is a server.Handler that runs each connection's TLS
// handshake, within Timeout, and hands the TLS connection to Next. It runs
// on the connection's own goroutine, so a slow handshake delays nobody.
type Handshaker struct {
	Config  *tls.Config
	Timeout time.Duration
	Next    server.Handler
	Log     *slog.Logger
}

// ServeConn implements server.Handler.
func (h *Handshaker) ServeConn(ctx context.Context, conn net.Conn) {
	if tc := h.handshake(ctx, conn); tc != nil {
		h.Next.ServeConn(ctx, tc)
	}
}

// handshake runs the handshake and logs how it went; it returns nil if it
// failed. It is a function of its own, kept out of line, so that what it
// needs stays off the stack below the session: the session's goroutine
// waits under ServeConn for as long as the client is connected, and a
// shallow wait lets the garbage collector shrink its stack to 4 KiB.
//
//go:noinline
func (h *Handshaker) handshake(ctx context.Context, conn net.Conn) *tls.Conn {
	log := h.Log.With("remote", conn.RemoteAddr().String())
	tc := tls.Server(&recordConn{Conn: conn}, h.Config)
	hctx, cancel := context.WithTimeout(ctx, h.Timeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		var rhe tls.RecordHeaderError
		switch {
		case errors.As(err, &rhe):
			log.Warn("plaintext client: it did not start a TLS handshake; closing", "first_bytes", fmt.Sprintf("% x", rhe.RecordHeader))
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
			log.Warn("TLS handshake timed out; closing", "after", h.Timeout)
		default:
			log.Warn("TLS handshake failed; closing", "err", err)
		}
		return nil
	}
	st := tc.ConnectionState()
	log.Info("TLS", "version", tls.VersionName(st.Version), "cipher", tls.CipherSuiteName(st.CipherSuite))
	return tc
}

// About describes a client's TLS connection for the user: what was
// negotiated, and whose certificate it is, with its fingerprint to compare
// with the server's log. With detail (--trace) it adds the certificate's
// names, issuer and validity. With insecure it says, at every connection,
// that nothing was checked. host is the name the client dialled.
func About(conn net.Conn, host string, insecure, detail bool) []string {
	tc, ok := conn.(*tls.Conn)
	for !ok {
		// Unwrap what wraps the TLS connection (v2's recorder).
		u, wraps := conn.(interface{ NetConn() net.Conn })
		if !wraps {
			return nil
		}
		conn = u.NetConn()
		tc, ok = conn.(*tls.Conn)
	}
	st := tc.ConnectionState()
	lines := []string{fmt.Sprintf("TLS: %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))}
	if len(st.PeerCertificates) > 0 {
		leaf := st.PeerCertificates[0]
		lines = append(lines, fmt.Sprintf("server certificate: %s, SHA-256 %s", leaf.Subject.CommonName, certs.Fingerprint(leaf.Raw)))
		if detail {
			lines = append(lines, describeCert(leaf)...)
		}
	}
	if insecure {
		lines = append(lines, "warning: --insecure: the certificate was NOT checked; anyone could pose as this server")
	} else {
		lines = append(lines, "the certificate is trusted and valid for "+host)
	}
	return lines
}

func describeCert(c *x509.Certificate) []string {
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return []string{
		"  subject: " + c.Subject.String(),
		"  issuer:  " + c.Issuer.String(),
		"  names:   " + strings.Join(names, ", "),
		fmt.Sprintf("  valid:   %s to %s", c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly)),
	}
}
