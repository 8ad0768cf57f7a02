// Package app is what a ChatProto stage's binaries do around the chat
// core: parse the command line of docs/protocol.md §4, set up logging and the
// terminal, run, and exit with a status that says how it went. Each
// stage's cmd/ calls it with its own codec and options, so a stage's main
// is a few lines.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/proto"
	"chatlab/shared/cli"
	"chatlab/shared/flow"
	"chatlab/shared/framing"
	"chatlab/shared/logging"
	"chatlab/shared/server"
)

// ServerOptions describe a stage's server binary.
type ServerOptions struct {
	Name    string // e.g. "server-v1"
	Summary string
	Stage   string // for hints: "v1" in "make server-v1"
	// Config is the chat server's configuration (Codec set); the command
	// line fills in the logger and limits.
	Config chatserver.Config
	// MoreArgs names the positional arguments after the port, for
	// --help ("[certfile] [keyfile]"); MaxMoreArgs is how many there may be.
	MoreArgs    string
	MaxMoreArgs int
	// Details are --help paragraphs after the server's own (where a TLS
	// server's certificate comes from).
	Details []string
	// Wrap, if set, wraps the TCP listener (in TLS, say), given the
	// positional arguments after the port.
	Wrap func(l net.Listener, args []string, log *slog.Logger) (net.Listener, error)
	// Handler, if set, wraps the chat server's connection handler, given
	// the positional arguments after the port: v4 runs each TLS handshake
	// there, on the connection's own goroutine.
	Handler func(next server.Handler, args []string, log *slog.Logger) (server.Handler, error)
}

// DefaultHost is the address the servers listen on unless --host says
// otherwise: every interface, as docs/protocol.md §4 has it.
const DefaultHost = "0.0.0.0"

// RunServer is a server binary's main: `server [--host ADDR] [port]`. It
// binds --host (every interface by default), logs the two start-up lines
// of docs/protocol.md §4, serves until SIGINT or SIGTERM, then tells every client and
// exits 0.
func RunServer(opts ServerOptions) {
	cmd := cli.NewCommand(opts.Name, strings.TrimSpace("[port] "+opts.MoreArgs), opts.Summary, 0, 1+opts.MaxMoreArgs)
	host := cmd.FlagSet.String("host", DefaultHost, "address to listen on (127.0.0.1: this machine only)")
	verbose := cmd.FlagSet.Bool("v", false, "log debug lines too (every message received)")
	trace := cmd.FlagSet.Bool("trace", false, "print every message received and sent as it travels (JSON: the line; binary: fields and hex); -v adds the debug lines")
	maxUsers := cmd.FlagSet.Int("max-users", chatserver.DefaultMaxUsers, "users online at most before log-ins are refused (server_full)")
	loginTimeout := cmd.FlagSet.Duration("login-timeout", proto.LoginTimeout, "time a new connection has to log in before it is closed")
	frameTimeout := cmd.FlagSet.Duration("frame-timeout", framing.DefaultFrameTimeout,
		fmt.Sprintf("a message once begun may go this long without a byte, and must average %d bytes a second once this long has passed, or the connection is closed; a connection idle between messages has no limit (0: no limit)", framing.DefaultMinRate))
	readBudget := cmd.FlagSet.Int64("read-budget", framing.DefaultReadBudget, "bytes the server holds at most for partly read messages, all connections together (beyond each message's first 4 KiB); a client whose message would pass it is closed (0: no limit)")
	noticeBatch := cmd.FlagSet.Int("notice-batch", chatserver.DefaultNoticeBatch, "a room of more than `N` members announces its joins and leaves together, one notice of each every --notice-interval (\"alice, bob and 48 others joined general\"); a smaller room announces each alone, as the protocol shows (0: always each alone)")
	noticeInterval := cmd.FlagSet.Duration("notice-interval", chatserver.DefaultNoticeInterval, "how long a room of more than --notice-batch members gathers joins and leaves before it announces them (a room message sends them at once, before itself)")
	flowLimit := flow.AddFlags(cmd.FlagSet, flow.Default)
	// Internal: the load generator (make bench -profile) passes it.
	cpuProfile := cmd.FlagSet.String("cpuprofile", "", "write a CPU profile of the whole run to this file, for go tool pprof")
	cmd.Hidden = []string{"cpuprofile"}
	cmd.Details = append([]string{fmt.Sprintf("The port defaults to %d; 0 takes any free port (the start-up line shows it).\n"+
		"Stop the server with Ctrl-C: every client is told \"%s\"\n"+
		"before its connection closes.", proto.DefaultPort, proto.ShutdownMessage)}, opts.Details...)
	args := cmd.Parse(os.Args[1:])
	port := proto.DefaultPort
	if len(args) >= 1 {
		p, err := cli.Port(args[0])
		if err != nil {
			cmd.Fatal(cli.ExitUsage, err)
		}
		port = p
	}
	if *maxUsers < 1 {
		cmd.Fatal(cli.ExitUsage, errors.New("--max-users must be at least 1"))
	}
	if *loginTimeout <= 0 {
		cmd.Fatal(cli.ExitUsage, errors.New("--login-timeout must be more than 0"))
	}
	if *frameTimeout < 0 {
		cmd.Fatal(cli.ExitUsage, errors.New("--frame-timeout must be 0 (no limit) or more"))
	}
	if *readBudget < 0 {
		cmd.Fatal(cli.ExitUsage, errors.New("--read-budget must be 0 (no limit) or more"))
	}
	if *noticeBatch < 0 {
		cmd.Fatal(cli.ExitUsage, errors.New("--notice-batch must be 0 (each join and leave announced alone) or more"))
	}
	if *noticeInterval <= 0 {
		cmd.Fatal(cli.ExitUsage, errors.New("--notice-interval must be more than 0"))
	}
	logger := logging.NewLevels(os.Stdout, *verbose, *trace)
	cfg := opts.Config
	cfg.Logger = logger
	cfg.Trace = *trace
	cfg.MaxUsers = *maxUsers
	cfg.LoginTimeout = *loginTimeout
	cfg.FrameTimeout = orNone(*frameTimeout)
	cfg.ReadBudget = orNone(*readBudget)
	cfg.NoticeBatch = orNone(*noticeBatch)
	cfg.NoticeInterval = *noticeInterval
	fl := flowLimit()
	cfg.Flow = &fl
	var more []string
	if len(args) > 1 {
		more = args[1:]
	}
	l, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(port)))
	if err != nil {
		cmd.Fatal(cli.ExitError, explainListen(err, port, opts.Stage))
	}
	if opts.Wrap != nil {
		if l, err = opts.Wrap(l, more, logger); err != nil {
			cmd.Fatal(cli.ExitError, err)
		}
	}
	srv := chatserver.New(cfg)
	if opts.Handler != nil {
		if srv.Handler, err = opts.Handler(srv.Handler, more, logger); err != nil {
			cmd.Fatal(cli.ExitError, err)
		}
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			cmd.Fatal(cli.ExitError, err)
		}
		defer stop()
	}
	if err := serve(context.Background(), srv, l, logger); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
}

// orNone maps a flag's 0, no limit, to the negative value that says so
// in chatserver.Config, where 0 is the default.
func orNone[T time.Duration | int64 | int](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// startCPUProfile profiles the process into file until stop is called.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func serve(ctx context.Context, srv *server.Server, l net.Listener, logger *slog.Logger) error {
	logger.Info("Server started on " + listenAddr(l.Addr()))
	logger.Info("Waiting for connections...")
	err := server.RunUntilSignal(ctx, srv, l, server.DefaultShutdownGrace)
	if errors.Is(err, context.DeadlineExceeded) {
		// Every client was told; one that did not take its notice within
		// the grace period (it reads nothing) was cut off, as the grace
		// period says. That is a clean stop too.
		logger.Warn("connections still open at the end of the grace period were closed",
			"grace", server.DefaultShutdownGrace)
		err = nil
	}
	if err == nil {
		logger.Info("server stopped")
	}
	return err
}

// listenAddr is the address a listener is bound to, as the start-up
// line shows it: 0.0.0.0:5555 for every interface, as docs/protocol.md §4 writes it,
// else the host and port.
func listenAddr(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = DefaultHost
	}
	return net.JoinHostPort(host, port)
}

// explainListen turns the common listen failures into advice.
func explainListen(err error, port int, stage string) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("port %d is already in use (is another server running?); "+
			"stop it, or pick another port: make server-%s PORT=%d", port, stage, port+1)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("no permission to listen on port %d; ports below 1024 need privileges, "+
			"use the default %d", port, proto.DefaultPort)
	}
	return err
}
