// Package stage assembles v2 from v1's chat and v2's lessons: the server
// answers bad input and keeps the connection (badinput), the client
// checks input, explains errors and diagnoses failures (diagnosis); v2-tls
// wraps both in TLS (tlsjson). The binaries in cmd/ and the tests use it;
// v3 imports it and swaps the codec.
package stage

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"

	"chatlab/chat-v1/app"
	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v2/badinput"
	"chatlab/chat-v2/diagnosis"
	"chatlab/chat-v2/tlsjson"
	"chatlab/shared/certs"
)

// ServerConfig is v2's chat server: JSON lines, bad input answered and the
// connection kept.
func ServerConfig() chatserver.Config {
	return chatserver.Config{Codec: jsonwire.Codec{}, OnBadInput: badinput.JSON.Answer}
}

// ServerOptions describe server-v2 or, withTLS, server-v2-tls.
func ServerOptions(withTLS bool) app.ServerOptions {
	opts := app.ServerOptions{
		Name:    "server-v2",
		Summary: "ChatProto v2 server: JSON chat over TCP; bad input is answered, not punished.",
		Stage:   "v2",
		Config:  ServerConfig(),
	}
	if withTLS {
		opts.Name, opts.Stage = "server-v2-tls", "v2-tls"
		opts.Summary = "ChatProto v2 over TLS: the same JSON chat, encrypted (for the bandwidth comparison)."
		opts.MoreArgs, opts.MaxMoreArgs = "[certfile] [keyfile]", 2
		opts.Wrap = tlsjson.Wrap
	}
	return opts
}

// ClientOptions describe client-v2 or, withTLS, client-v2-tls.
func ClientOptions(withTLS bool) app.ClientOptions {
	d := &diagnosis.Dialer{Stage: "v2"}
	name, summary := "client-v2", "ChatProto v2 client: JSON chat that tells you what went wrong and what to do."
	if withTLS {
		name, summary = "client-v2-tls", "ChatProto v2 client over TLS (for the bandwidth comparison)."
	}
	return app.ClientOptions{
		Name:    name,
		Summary: summary,
		Codec:   jsonwire.Codec{},
		Details: []string{
			"The host defaults to 127.0.0.1 and the port to 5555. Type /help once connected.",
			exitStatuses(),
		},
		Setup: func(fs *flag.FlagSet) func(*chatclient.Config, string, int) error {
			timeout := fs.Duration("timeout", diagnosis.DefaultTimeout, "how long to wait for the connection, and for the log-in reply")
			var ca *string
			var insecure *bool
			if withTLS {
				ca = fs.String("ca", certs.DefaultCertFile, "trust the server certificate(s) in this PEM file")
				insecure = fs.Bool("insecure", false, "do not check the server's certificate (tests only)")
			}
			return func(cfg *chatclient.Config, host string, port int) error {
				if *timeout <= 0 {
					return fmt.Errorf("--timeout must be positive")
				}
				d.Timeout, cfg.LoginWait = *timeout, *timeout
				if withTLS {
					tc, err := tlsjson.ClientConfig(host, *ca, *insecure)
					if err != nil {
						return err
					}
					if *insecure {
						fmt.Fprintln(os.Stderr, "warning: --insecure: the server's certificate is not checked; anyone could pose as the server")
					}
					d.TLS = tc
				}
				addr := net.JoinHostPort(host, strconv.Itoa(port))
				cfg.Dial = func(ctx context.Context) (net.Conn, error) { return d.Dial(ctx, addr) }
				cfg.Validate = diagnosis.Validate
				cfg.ExplainError = diagnosis.Explain
				return nil
			}
		},
		Diagnose: func(err error, addr string) (int, string) {
			p := d.Diagnose(err, addr)
			return p.Class.Status, p.String()
		},
	}
}

// exitStatuses is the --help paragraph listing the exit statuses.
func exitStatuses() string {
	byStatus := map[int][]string{}
	for _, c := range diagnosis.Classes {
		byStatus[c.Status] = append(byStatus[c.Status], c.Name)
	}
	s := "Exit status: 0 after /quit or the end of input, 2 on a usage error, and:"
	for _, status := range slices.Sorted(maps.Keys(byStatus)) {
		s += fmt.Sprintf("\n  %2d  %s", status, strings.Join(byStatus[status], "; "))
	}
	return s
}
