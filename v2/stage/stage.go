// Package stage assembles v2 from v1's chat and v2's lessons: the server
// answers bad input and keeps the connection (badinput), the client
// checks input, explains errors and diagnoses failures (diagnosis); v2-tls
// wraps both in TLS (tlsjson). The binaries in cmd/ and the tests use it.
// A later stage makes its own Stage value with another codec.
package stage

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"chatlab/chat-v1/app"
	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v2/badinput"
	"chatlab/chat-v2/diagnosis"
	"chatlab/chat-v2/tlsjson"
	"chatlab/shared/certs"
)

// Stage is a stage built on v2's lessons: its name, its encoding, how its
// server teaches about bad input, and what its binaries say of themselves.
type Stage struct {
	Name          string // "v2"
	Codec         proto.Codec
	Teacher       badinput.Teacher
	ServerSummary string
	ClientSummary string
	// What the TLS variants (NAME-tls) say of themselves, if the stage
	// has them.
	TLSServerSummary string
	TLSClientSummary string
}

// V2 is stage v2: JSON lines.
var V2 = Stage{
	Name:          "v2",
	Codec:         jsonwire.Codec{},
	Teacher:       badinput.JSON,
	ServerSummary: "ChatProto v2 server: JSON chat over TCP; bad input is answered, not punished.",
	ClientSummary: "ChatProto v2 client: JSON chat that tells you what went wrong and what to do.",
	TLSServerSummary: "ChatProto v2-tls server: v2's JSON chat inside TLS 1.2 or newer, to compare\n" +
		"its bytes on the wire with v4's binary ChatProto over TLS.",
	TLSClientSummary: "ChatProto v2-tls client: v2's JSON chat inside TLS 1.2 or newer; it checks\n" +
		"the server's certificate and tells you what went wrong and what to do.",
}

// ServerConfig is v2's chat server: JSON lines, bad input answered and the
// connection kept.
func ServerConfig() chatserver.Config { return V2.ServerConfig() }

// ServerOptions describe server-v2 or, withTLS, server-v2-tls.
func ServerOptions(withTLS bool) app.ServerOptions { return V2.ServerOptions(withTLS) }

// ClientOptions describe client-v2 or, withTLS, client-v2-tls.
func ClientOptions(withTLS bool) app.ClientOptions { return V2.ClientOptions(withTLS) }

// ServerConfig is the stage's chat server: its codec, bad input answered
// and the connection kept.
func (s Stage) ServerConfig() chatserver.Config {
	return chatserver.Config{Codec: s.Codec, OnBadInput: s.Teacher.Answer}
}

// ServerOptions describe the stage's server binary or, withTLS, its TLS
// variant (NAME-tls).
func (s Stage) ServerOptions(withTLS bool) app.ServerOptions {
	opts := app.ServerOptions{
		Name:    "server-" + s.Name,
		Summary: s.ServerSummary,
		Stage:   s.Name,
		Config:  s.ServerConfig(),
	}
	if withTLS {
		opts.Name, opts.Stage = opts.Name+"-tls", s.Name+"-tls"
		opts.Summary = s.TLSServerSummary
		opts.MoreArgs, opts.MaxMoreArgs = "[certfile] [keyfile]", 2
		opts.Details = []string{certs.ServerHelp()}
		opts.Wrap = tlsjson.Wrap
	}
	return opts
}

// ClientOptions describe the stage's client binary or, withTLS, its TLS
// variant.
func (s Stage) ClientOptions(withTLS bool) app.ClientOptions {
	d := &diagnosis.Dialer{Stage: s.Name}
	name, summary := "client-"+s.Name, s.ClientSummary
	if withTLS {
		name, summary = name+"-tls", s.TLSClientSummary
	}
	return app.ClientOptions{
		Name:    name,
		Summary: summary,
		Codec:   s.Codec,
		Details: []string{
			"The host defaults to 127.0.0.1 and the port to 5555. Type /help once connected.",
			exitStatuses(),
		},
		Setup: func(fs *flag.FlagSet) func(*chatclient.Config, string, int) error {
			timeout := fs.Duration("timeout", diagnosis.DefaultTimeout, "how long to wait for the connection, and for the log-in reply")
			var ca *string
			var insecure *bool
			if withTLS {
				ca = fs.String("ca", "", "trust the server certificate(s) in this PEM file (default "+
					strconv.Quote(certs.DefaultCertFile())+", where the TLS servers make theirs)")
				insecure = fs.Bool("insecure", false, "do not check the server's certificate (tests only)")
			}
			return func(cfg *chatclient.Config, host string, port int) error {
				if *timeout <= 0 {
					return fmt.Errorf("--timeout must be positive")
				}
				d.Timeout, cfg.LoginWait = *timeout, *timeout
				if withTLS {
					tc, err := certs.ClientTLS(host, *ca, *insecure)
					if err != nil {
						return err
					}
					if *insecure {
						cfg.About = func(net.Conn) []string { return []string{InsecureWarning} }
					}
					d.TLS = tc
				}
				addr := net.JoinHostPort(host, strconv.Itoa(port))
				cfg.Dial = func(ctx context.Context) (net.Conn, error) { return d.Dial(ctx, addr) }
				cfg.Validate = diagnosis.Validate
				cfg.ExplainError = diagnosis.Explain
				cfg.Fatal = func(err error) bool { return d.Diagnose(err, addr).Fatal() }
				return nil
			}
		},
		Diagnose: func(err error, addr string) (int, string) {
			p := d.Diagnose(err, addr)
			return p.Class.Status, p.String()
		},
	}
}

// InsecureWarning is what a TLS client shows at each connection when it
// does not check the server's certificate.
const InsecureWarning = "warning: --insecure: the server's certificate is not checked; anyone could pose as the server"

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
