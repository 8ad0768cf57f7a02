// Command client-task4 is ClassChat task 4's client: log in with a name,
// then type "<user> <message>" to send a direct message.
package main

import (
	"errors"
	"net"
	"os"
	"time"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task4"
	"chatlab/shared/cli"
	"chatlab/shared/term"
)

func main() {
	var name *string
	addr, cmd := cc.ClientCommand("client-task4",
		"ClassChat task 4 client: direct messages between named users.",
		func(c *cli.Command) { name = c.FlagSet.String("name", "", "your username (asked for if not given)") },
		"Type \"<user> <message>\" to send a direct message, and exit to leave.",
		"Exit status: 0 after exit or the end of input, 1 if the server refused the name or went away.")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	in, out, interactive, closeTerm, err := term.Stdio(term.Options{Prompt: "> "})
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	cfg := task4.ClientConfig{Name: *name, In: in, Out: out}
	if interactive {
		cfg.SetPrompt = out.(interface{ SetPrompt(string) }).SetPrompt
	}
	ctx, stop := cc.SignalContext()
	defer stop()
	err = task4.RunClient(ctx, conn, cfg)
	closeTerm()
	switch {
	case errors.Is(err, task4.ErrClosed), errors.Is(err, task4.ErrRefused):
		os.Exit(cli.ExitError)
	case err != nil && ctx.Err() == nil:
		cmd.Fatal(cli.ExitError, err)
	}
}
