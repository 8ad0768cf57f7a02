// Package stage is v4: v3's binary chat, server and client, inside TLS
// (tlsconf). Everything but the TLS comes from v3.
package stage

import (
	"flag"
	"log/slog"
	"net"

	"chatlab/chat-v1/app"
	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/chatserver"
	v2 "chatlab/chat-v2/stage"
	v3 "chatlab/chat-v3/stage"
	"chatlab/chat-v4/tlsconf"
	"chatlab/shared/certs"
	"chatlab/shared/server"
)

// V4 is v3's stage under v4's name: the same codec and server.
var V4 = func() v2.Stage {
	s := v3.V3
	s.Name = "v4"
	s.ServerSummary = "ChatProto v4 server: the binary protocol over TLS 1.2 or newer."
	s.ClientSummary = "ChatProto v4 client: the binary protocol over TLS 1.2 or newer."
	return s
}()

// ServerConfig is v4's chat server behind the TLS handshake: v3's.
func ServerConfig() chatserver.Config { return V4.ServerConfig() }

// ServerOptions describe server-v4: `server-v4 [port] [certfile] [keyfile]`.
func ServerOptions() app.ServerOptions {
	opts := V4.ServerOptions(false)
	opts.MoreArgs, opts.MaxMoreArgs = "[certfile] [keyfile]", 2
	opts.Details = []string{certs.ServerHelp()}
	opts.Handler = func(next server.Handler, args []string, log *slog.Logger) (server.Handler, error) {
		var certFile, keyFile string
		if len(args) > 0 {
			certFile = args[0]
		}
		if len(args) > 1 {
			keyFile = args[1]
		}
		cfg, err := tlsconf.ServerConfig(certFile, keyFile, log)
		if err != nil {
			return nil, err
		}
		return &tlsconf.Handshaker{Config: cfg, Timeout: tlsconf.HandshakeTimeout, Next: next, Log: log}, nil
	}
	return opts
}

// ClientOptions describe client-v4: v3's client, dialling TLS (the
// certificate checked against --ca, by default the one the server makes
// in certs.DefaultDir) and showing
// what the handshake negotiated.
func ClientOptions() app.ClientOptions {
	opts := V4.ClientOptions(true)
	opts.Name, opts.Summary = "client-v4", V4.ClientSummary
	setup := opts.Setup
	opts.Setup = func(fs *flag.FlagSet) func(*chatclient.Config, string, int) error {
		finish := setup(fs)
		return func(cfg *chatclient.Config, host string, port int) error {
			if err := finish(cfg, host, port); err != nil {
				return err
			}
			insecure := fs.Lookup("insecure").Value.String() == "true"
			trace := cfg.Trace
			cfg.About = func(conn net.Conn) []string { return tlsconf.About(conn, host, insecure, trace) }
			return nil
		}
	}
	return opts
}
