// Package stages runs the stages the lab kit compares (v2, v2-tls, v3,
// v4) in-process on 127.0.0.1, each assembled as its own server binary
// assembles it, and drives the workload against one through a recording
// relay (Run): the figures of the bandwidth comparison and the contents
// of the captures.
package stages

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"chatlab/chat-v1/app"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	v2 "chatlab/chat-v2/stage"
	"chatlab/chat-v3/binwire"
	v3 "chatlab/chat-v3/stage"
	v4 "chatlab/chat-v4/stage"
	"chatlab/lab/relay"
	"chatlab/lab/workload"
	"chatlab/shared/certs"
	"chatlab/shared/server"
)

// ShutdownTimeout bounds a stage server's shutdown.
const ShutdownTimeout = 10 * time.Second

// Stage is one of the stages compared.
type Stage struct {
	Name     string // "v2-tls"
	Encoding string // "JSON", "Binary"
	TLS      bool
	Codec    proto.Codec
	// Options are the stage's server binary's options: its chat server,
	// and how it wraps the listener or the connections in TLS.
	Options func() app.ServerOptions
}

// Label names the stage and what it speaks: "v2-tls (JSON+TLS)".
func (s Stage) Label() string {
	if s.TLS {
		return s.Name + " (" + s.Encoding + "+TLS)"
	}
	return s.Name + " (" + s.Encoding + ")"
}

// The stages compared, in the seed's order.
var (
	V2    = Stage{Name: "v2", Encoding: "JSON", Codec: jsonwire.Codec{}, Options: func() app.ServerOptions { return v2.ServerOptions(false) }}
	V2TLS = Stage{Name: "v2-tls", Encoding: "JSON", TLS: true, Codec: jsonwire.Codec{}, Options: func() app.ServerOptions { return v2.ServerOptions(true) }}
	V3    = Stage{Name: "v3", Encoding: "Binary", Codec: binwire.Codec{}, Options: func() app.ServerOptions { return v3.V3.ServerOptions(false) }}
	V4    = Stage{Name: "v4", Encoding: "Binary", TLS: true, Codec: binwire.Codec{}, Options: v4.ServerOptions}
	All   = []Stage{V2, V2TLS, V3, V4}
)

// Names lists the stages' names.
func Names() []string {
	var n []string
	for _, s := range All {
		n = append(n, s.Name)
	}
	return n
}

// Lookup returns the stage called name.
func Lookup(name string) (Stage, error) {
	for _, s := range All {
		if s.Name == name {
			return s, nil
		}
	}
	return Stage{}, fmt.Errorf("%w %q; stages: %s", ErrUnknownStage, name, strings.Join(Names(), ", "))
}

// Server is a stage's server running in-process on 127.0.0.1.
type Server struct {
	Addr string
	// ClientTLS is how a client of a TLS stage trusts the server: the
	// workload's certificate, host name 127.0.0.1. Nil for a plain stage.
	ClientTLS *tls.Config

	srv    *server.Server
	served chan error
}

// Start starts stage st's server on 127.0.0.1:0. A TLS stage gets the
// workload's certificate, written into dir.
func Start(st Stage, dir string) (*Server, error) {
	opts := st.Options()
	log := slog.New(slog.DiscardHandler)
	var args []string
	s := &Server{}
	if st.TLS {
		certFile, keyFile, err := writeCert(dir)
		if err != nil {
			return nil, err
		}
		args = []string{certFile, keyFile}
		if s.ClientTLS, err = certs.ClientTLS("127.0.0.1", certFile, false); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if opts.Wrap != nil {
		if l, err = opts.Wrap(l, args, log); err != nil {
			l.Close()
			return nil, err
		}
	}
	cfg := opts.Config
	cfg.Logger = log
	s.srv = chatserver.New(cfg)
	if opts.Handler != nil {
		if s.srv.Handler, err = opts.Handler(s.srv.Handler, args, log); err != nil {
			l.Close()
			return nil, err
		}
	}
	s.Addr = l.Addr().String()
	s.served = make(chan error, 1)
	go func() { s.served <- s.srv.Serve(l) }()
	return s, nil
}

// Close shuts the server down.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.served; !errors.Is(serr, server.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// Options tune Run.
type Options struct {
	// KeyLog, if set, receives the TLS secrets of every session in NSS
	// key log format, for Wireshark to decrypt a capture.
	KeyLog io.Writer
	// StepTimeout bounds each step (default workload.StepTimeout).
	StepTimeout time.Duration
}

// Recording is one run of the workload against one stage.
type Recording struct {
	Stage    Stage
	Script   workload.Script
	Sessions []*workload.Session
	// Flows[i] is what crossed on Sessions[i]'s connection.
	Flows []*relay.Flow
}

// Run starts stage st and drives script against it through a recording
// relay, step by step, and returns what every session sent, received,
// and put on the wire.
func Run(ctx context.Context, st Stage, script workload.Script, opts Options) (rec *Recording, err error) {
	dir, err := os.MkdirTemp("", "chatlab-"+st.Name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	srv, err := Start(st, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: start the server: %w", st.Name, err)
	}
	defer func() {
		if cerr := srv.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("%s: shut the server down: %w", st.Name, cerr)
		}
	}()
	rl, err := relay.Listen(srv.Addr)
	if err != nil {
		return nil, err
	}
	defer rl.Close()
	cfg := workload.Config{
		Addr:        rl.Addr(),
		Codec:       st.Codec,
		StepTimeout: opts.StepTimeout,
		OnStep:      func(i int, _ workload.Action) { rl.SetStep(i) },
		OnClosed:    rl.WaitDone,
	}
	if srv.ClientTLS != nil {
		cfg.TLS = srv.ClientTLS.Clone()
		cfg.TLS.KeyLogWriter = opts.KeyLog
	}
	res, err := workload.Run(ctx, script, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", st.Name, err)
	}
	rl.Close()
	rec = &Recording{Stage: st, Script: script, Sessions: res.Sessions}
	flows := rl.Flows()
	if len(flows) != len(res.Sessions) {
		return nil, fmt.Errorf("%w: %d connections for %d sessions", ErrFlows, len(flows), len(res.Sessions))
	}
	for _, s := range res.Sessions {
		f := rl.Flow(s.Local)
		switch {
		case f == nil:
			return nil, fmt.Errorf("%w: no connection from %s (%s)", ErrFlows, s.Local, s.Name)
		case f.Err != nil:
			return nil, f.Err
		}
		rec.Flows = append(rec.Flows, f)
	}
	return rec, nil
}
