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
// named by args ([certfile] [keyfile], default server.crt and server.key),
// making a self-signed pair if neither exists, logs where they are and the
// certificate's fingerprint, and serves TLS on l.
func Wrap(l net.Listener, args []string, log *slog.Logger) (net.Listener, error) {
	certFile, keyFile := certs.DefaultCertFile, certs.DefaultKeyFile
	if len(args) > 0 {
		certFile = args[0]
	}
	if len(args) > 1 {
		keyFile = args[1]
	}
	cert, created, err := certs.LoadOrCreate(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("generated a self-signed certificate", "cert", certFile, "key", keyFile)
	}
	log.Info("TLS certificate", "cert", certFile, "sha256", certs.Fingerprint(cert.Certificate[0]))
	return tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: certs.MinTLSVersion}), nil
}
