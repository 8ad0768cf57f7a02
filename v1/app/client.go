package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/proto"
	"chatlab/shared/cli"
	"chatlab/shared/term"
)

// DialTimeout bounds connecting to the server.
const DialTimeout = 10 * time.Second

// ExitRefused is the exit status when the server refused the log-in.
const ExitRefused = 3

// ClientOptions describe a stage's client binary.
type ClientOptions struct {
	Name    string // e.g. "client-v1"
	Summary string
	Codec   proto.Codec
	// Details replace the --help paragraphs after the flags (v1's say
	// the defaults and exit statuses).
	Details []string
	// Setup, if set, registers extra flags; the function it returns is
	// called after parsing to finish the configuration for host and port
	// (to set Dial, LoginWait, Validate, ...).
	Setup func(fs *flag.FlagSet) func(cfg *chatclient.Config, host string, port int) error
	// Diagnose, if set, turns the error that ended the session into an
	// exit status and what to print; nil prints the error as it is.
	Diagnose func(err error, addr string) (status int, message string)
}

// RunClient is a client binary's main: `client <username> [host] [port]`.
// On a terminal it runs the line editor (history, tab completion, the
// prompt pinned below the chat) and asks for another name if the one
// given is taken; otherwise it reads plain lines from standard input, so
// that `printf 'hi\n/quit\n' | client alice` works in scripts.
func RunClient(opts ClientOptions) {
	cmd := cli.NewCommand(opts.Name, "<username> [host] [port]", opts.Summary, 1, 3)
	noColor := cmd.FlagSet.Bool("no-color", false, "do not colour private messages, notices and errors")
	trace := cmd.FlagSet.Bool("trace", false, "show every message sent and received as it travels (JSON: the line; binary: fields and hex)")
	reconnect := cmd.FlagSet.Int("reconnect", chatclient.DefaultReconnectAttempts,
		fmt.Sprintf("attempts to reconnect when the connection is lost, waiting %v, doubling up to %v (0: do not)",
			chatclient.DefaultReconnectFirst, chatclient.DefaultReconnectMax))
	cmd.Details = []string{fmt.Sprintf("The host defaults to 127.0.0.1 and the port to %d. Type /help once connected.\n"+
		"Exit status: 0 after /quit or the end of input, 1 on a connection error (or\n"+
		"a lost connection that could not be made again), 2 on a usage error, %d\n"+
		"when the server refused the log-in.", proto.DefaultPort, ExitRefused)}
	if opts.Details != nil {
		cmd.Details = opts.Details
	}
	var finish func(*chatclient.Config, string, int) error
	if opts.Setup != nil {
		finish = opts.Setup(cmd.FlagSet)
	}
	args := cmd.Parse(os.Args[1:])
	host, port := "127.0.0.1", proto.DefaultPort
	if len(args) > 1 {
		host = args[1]
	}
	if len(args) > 2 {
		p, err := cli.DialPort(args[2])
		if err != nil {
			cmd.Fatal(cli.ExitUsage, err)
		}
		port = p
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if *reconnect < 0 {
		cmd.Fatal(cli.ExitUsage, errors.New("--reconnect must be 0 or more"))
	}

	cfg := chatclient.Config{
		Username: args[0],
		Codec:    opts.Codec,
		Dial: func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{Timeout: DialTimeout}).DialContext(ctx, "tcp", addr)
		},
		In:    os.Stdin,
		Out:   os.Stdout,
		Trace: *trace,
	}
	if *reconnect > 0 {
		cfg.Reconnect = chatclient.DefaultBackoff(*reconnect)
	}
	if finish != nil {
		if err := finish(&cfg, host, port); err != nil {
			cmd.Fatal(cli.ExitUsage, err)
		}
	}
	var client *chatclient.Client
	var console io.Closer
	if term.IsTerminal() {
		c, err := term.Open(term.Options{
			Prompt:   "> ",
			Indent:   chatclient.TextColumn,
			Complete: func(line string, pos int) (string, []string, string) { return client.Complete(line, pos) },
		})
		if err != nil {
			cmd.Fatal(cli.ExitError, err)
		}
		console = c
		cfg.In, cfg.Out = c, c
		cfg.AskName = true
		cfg.Color = !*noColor
	}
	client = chatclient.New(cfg)
	err := client.Run(context.Background())
	if console != nil {
		console.Close()
	}
	if err != nil && opts.Diagnose != nil {
		status, msg := opts.Diagnose(err, addr)
		if msg != "" {
			fmt.Fprintf(os.Stderr, "%s: %s\n", opts.Name, msg)
		}
		os.Exit(status)
	}
	var rej *chatclient.RejectError
	switch {
	case err == nil:
	case errors.As(err, &rej):
		cmd.Fatal(ExitRefused, err)
	case errors.Is(err, chatclient.ErrServerClosed):
		os.Exit(cli.ExitError) // already shown in the chat
	default:
		cmd.Fatal(cli.ExitError, fmt.Errorf("%s: %w", addr, err))
	}
}
