// Command server-task1 is ClassChat task 1's server: it accepts one client,
// greets it, and relays lines between it and the operator at this
// terminal until either types exit.
package main

import (
	"fmt"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task1"
	"chatlab/shared/cli"
	"chatlab/shared/term"
)

func main() {
	l, cmd := cc.ServerCommand("server-task1",
		"ClassChat task 1 server: one client; you and the client type lines to each other.",
		"Type 'exit' or /quit (or Ctrl-D) to end the session.")
	fmt.Printf("[SERVER] Server started on %s\n[SERVER] Waiting for client connection...\n", l.Addr())
	in, out, _, closeTerm, err := term.Stdio(term.Options{Prompt: "server> "})
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	ctx, stop := cc.SignalContext()
	defer stop()
	err = task1.Serve(ctx, l, in, out)
	closeTerm()
	if err != nil && ctx.Err() == nil {
		cmd.Fatal(cli.ExitError, err)
	}
}
