package cc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"chatlab/shared/cli"
	"chatlab/shared/exitcode"
	"chatlab/shared/flow"
	"chatlab/shared/framing"
	"chatlab/shared/logging"
	"chatlab/shared/netfail"
	"chatlab/shared/server"
)

// ServerCommand parses `NAME [port]` (with -host to listen elsewhere than
// 127.0.0.1), listens, and returns the listener. It exits with a clear
// message if the address is taken. It adds no limit flags: task 1's
// server, which serves one client, uses it.
func ServerCommand(name, summary string, details ...string) (net.Listener, *cli.Command) {
	return serverCommand(name, summary, nil, nil, false, details...)
}

// ServerCommandWith is the command of a server of task 4 on, which Serve
// runs: ServerCommand, with the limit flags (--login-timeout and the
// others, see Limits; the flow control flags default to def: DefaultFlow,
// or FileFlow in a stage with files) and the flags of its own that
// register adds.
func ServerCommandWith(name, summary string, def flow.Limit, register func(*cli.Command), details ...string) (net.Listener, *cli.Command) {
	return serverCommand(name, summary, register, &def, true, details...)
}

// flagLimits returns the limits the command line gave, once it is parsed
// (nil: the command has no limit flags). A binary runs one server.
var flagLimits func() Limits

// serverCommand adds the limit flags if def, their flow control
// defaults, is not nil.
func serverCommand(name, summary string, register func(*cli.Command), def *flow.Limit, login bool, details ...string) (net.Listener, *cli.Command) {
	cmd := cli.NewCommand(name, "[port]", summary, 0, 1)
	if register != nil {
		register(cmd)
	}
	if def != nil {
		flagLimits = addLimitFlags(cmd, login, *def)
	}
	host := cmd.FlagSet.String("host", DefaultHost, "address to listen on")
	cmd.Details = append([]string{fmt.Sprintf("The port defaults to %d.", DefaultPort)}, details...)
	args := cmd.Parse(os.Args[1:])
	port := DefaultPort
	if len(args) == 1 {
		p, err := cli.Port(args[0])
		if err != nil {
			cmd.Fatal(cli.ExitUsage, err)
		}
		port = p
	}
	if flagLimits != nil {
		if err := flagLimits().check(); err != nil {
			cmd.Fatal(cli.ExitUsage, err)
		}
	}
	addr := net.JoinHostPort(*host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		cmd.Fatal(cli.ExitError, fmt.Errorf("%s is already in use (is another server running?); stop it, or give another port", addr))
	}
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	return l, cmd
}

// addLimitFlags adds the flags of Limits (--login-timeout and
// --read-budget only with login: a server of JSON objects with a log-in,
// task 4 on), the flow control flags defaulting to def, and returns what
// they say once parsed.
func addLimitFlags(cmd *cli.Command, login bool, def flow.Limit) func() Limits {
	fs := cmd.FlagSet
	var loginTimeout *time.Duration
	if login {
		loginTimeout = fs.Duration("login-timeout", DefaultLoginTimeout,
			"time to answer the username prompt; the original client's user types the name\n"+
				"after connecting, and may need more")
	}
	frameTimeout := fs.Duration("frame-timeout", framing.DefaultFrameTimeout,
		fmt.Sprintf("a message once begun may go this long without a byte, and must average\n%d bytes a second once this long has passed (0: no limit)", framing.DefaultMinRate))
	var budget *int64
	if login { // task 3's lines fit in what a reader holds anyway
		budget = fs.Int64("read-budget", DefaultReadBudget, "bytes held at most in messages partly read, all clients together (0: no limit)")
	}
	flowLimit := flow.AddFlags(fs, def)
	return func() Limits {
		l := Limits{FrameTimeout: *frameTimeout}
		if l.FrameTimeout == 0 {
			l.FrameTimeout = -1 // none
		}
		if loginTimeout != nil {
			l.LoginTimeout = *loginTimeout
			if l.LoginTimeout == 0 {
				l.LoginTimeout = -1 // refused by check: a log-in has a limit
			}
		}
		if budget != nil {
			l.ReadBudget = *budget
			if l.ReadBudget == 0 {
				l.ReadBudget = -1 // none
			}
		}
		f := flowLimit()
		l.Flow = &f
		return l
	}
}

// check says what is wrong with limits given on the command line.
func (l Limits) check() error {
	switch {
	case l.LoginTimeout < 0:
		return errors.New("--login-timeout must be more than 0")
	case l.FrameTimeout < -1:
		return errors.New("--frame-timeout must be 0 (no limit) or more")
	case l.ReadBudget < -1:
		return errors.New("--read-budget cannot be negative (0: no limit)")
	}
	return nil
}

// ClientCommand parses `NAME [host] [port]` (and the flags register adds) and returns the
// server's address. register adds the client's own flags.
func ClientCommand(name, summary string, register func(*cli.Command), details ...string) (string, *cli.Command) {
	cmd := cli.NewCommand(name, "[host] [port]", summary, 0, 2)
	if register != nil {
		register(cmd)
	}
	cmd.Details = append([]string{fmt.Sprintf("The host defaults to %s and the port to %d.", DefaultHost, DefaultPort)}, details...)
	args := cmd.Parse(os.Args[1:])
	host, port := DefaultHost, DefaultPort
	if len(args) > 0 {
		host = args[0]
	}
	if len(args) > 1 {
		p, err := cli.Port(args[1])
		if err != nil {
			cmd.Fatal(cli.ExitUsage, err)
		}
		port = p
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), cmd
}

// Fail ends a client that failed talking to the server at addr: a
// network failure is explained in words, with the next step (start says
// how to start the server, "make server-task4") and its exit status
// (chatlab/shared/exitcode); anything else is printed as it is, with
// status 1.
func Fail(cmd *cli.Command, err error, addr, start string) {
	if p, ok := netfail.Explain(err, addr, start); ok {
		fmt.Fprintf(os.Stderr, "%s: %s\n", cmd.Name, p)
		os.Exit(p.Status)
	}
	cmd.Fatal(exitcode.Other, err)
}

// Dial connects to the server at addr, or ends the client as Fail does.
func Dial(cmd *cli.Command, addr, start string) net.Conn {
	conn, err := net.DialTimeout("tcp", addr, ConnectTimeout)
	if err != nil {
		Fail(cmd, err, addr, start)
	}
	return conn
}

// SignalContext is cancelled on SIGINT or SIGTERM.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// RunServer is a ClassChat JSON server's main (task 4 on): it listens
// (ServerCommandWith), logs "ClassChat <label> server started on <addr>",
// and serves what build makes until SIGINT or SIGTERM. def is the stage's
// flow control (DefaultFlow, or FileFlow in a stage with files).
func RunServer(name, label, summary string, def flow.Limit, build func(*slog.Logger) *server.Server, details ...string) {
	l, cmd := ServerCommandWith(name, summary, def, nil, details...)
	Serve(l, cmd, label, build)
}

// RunLineServer is RunServer for a server of plain lines with no log-in
// (task 3): it has no --login-timeout, and its flow control is
// DefaultFlow.
func RunLineServer(name, label, summary string, build func(*slog.Logger) *server.Server, details ...string) {
	def := DefaultFlow
	l, cmd := serverCommand(name, summary, nil, &def, false, details...)
	Serve(l, cmd, label, build)
}

// Serve is RunServer after the command line: for a server with flags of
// its own. The server's handler is given the limits of the command line
// if it takes them (a SetLimits(Limits) method). On SIGINT or SIGTERM
// every client is told and the server exits 0 within
// server.DefaultShutdownGrace: connections still open when the grace
// period ends are closed, and the log says how that ended.
func Serve(l net.Listener, cmd *cli.Command, label string, build func(*slog.Logger) *server.Server) {
	log := logging.New(os.Stdout, false)
	srv := build(log)
	if s, ok := srv.Handler.(interface{ SetLimits(Limits) }); ok && flagLimits != nil {
		s.SetLimits(flagLimits())
	}
	log.Info("ClassChat " + label + " server started on " + l.Addr().String())
	ctx, stop := SignalContext()
	defer stop()
	err := server.RunUntilSignal(ctx, srv, l, server.DefaultShutdownGrace)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		// Told, and not gone within the grace period (a client that does
		// not read its last notice): cut off, as the grace period says.
		log.Warn("stopped; connections still open at the end of the grace period were closed",
			"grace", server.DefaultShutdownGrace)
	case err != nil:
		cmd.Fatal(cli.ExitError, err)
	default:
		log.Info("stopped")
	}
}

// ClientStatuses is the --help paragraph on a client's exit statuses,
// those of every ChatLab client (classchat/README.md lists them).
const ClientStatuses = "Exit status: 0 after exit, /quit or the end of input; 10 host not found, 11 connection\n" +
	"refused, 12 connection timed out, 14 connection closed or reset by the server."
