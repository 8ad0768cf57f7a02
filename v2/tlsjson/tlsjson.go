// Package tlsjson is v2-tls: the v2 chat, JSON lines and all, inside TLS.
// This is the server's side; the client's TLS configuration is
// certs.ClientTLS.
// It exists so that the bandwidth lesson can compare JSON over TLS with
// binary ChatProto over TLS (v4); the TLS lesson itself is v4's.
package tlsjson

import (
	"crypto/tls"
	"log/slog"
	"net"

	"chatlab/shared/certs"
)

// Wrap is an app.ServerOptions.Wrap: it loads the certificate and key
// named by args ([certfile] [keyfile]; by default those in
// certs.DefaultDir), making a self-signed pair if neither exists, logs
// where they are and where they came from, with the certificate's
// fingerprint, and serves TLS on l.
func Wrap(l net.Listener, args []string, log *slog.Logger) (net.Listener, error) {
	var certFile, keyFile string
	if len(args) > 0 {
		certFile = args[0]
	}
	if len(args) > 1 {
		keyFile = args[1]
	}
	s, err := certs.LoadServer(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	s.Log(log)
	return tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{s.Cert}, MinVersion: certs.MinTLSVersion}), nil
}
