package task4

import (
	"errors"
	"net"
	"os"
	"time"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/cli"
	"chatlab/shared/term"
)

// ClientMain is the main of task 4's client and of the clients of the
// stages built on it: `NAME [--name user] [host] [port]`. hooks holds the
// stage's Command, Incoming and Describe (none for task 4).
func ClientMain(name, summary, usage string, hooks ClientConfig) {
	var user *string
	addr, cmd := cc.ClientCommand(name, summary,
		func(c *cli.Command) { user = c.FlagSet.String("name", "", "your username (asked for if not given)") },
		usage,
		"Exit status: 0 after exit or the end of input, 1 if the server refused the name or went away.")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	in, out, interactive, closeTerm, err := term.Stdio(term.Options{Prompt: "> "})
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	cfg := hooks
	cfg.Name, cfg.In, cfg.Out = *user, in, out
	if interactive {
		cfg.SetPrompt = out.(interface{ SetPrompt(string) }).SetPrompt
	}
	ctx, stop := cc.SignalContext()
	defer stop()
	err = RunClient(ctx, conn, cfg)
	closeTerm()
	switch {
	case errors.Is(err, ErrClosed), errors.Is(err, ErrRefused):
		os.Exit(cli.ExitError)
	case err != nil && ctx.Err() == nil:
		cmd.Fatal(cli.ExitError, err)
	}
}
