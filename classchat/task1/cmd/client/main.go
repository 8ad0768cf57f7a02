// Command client-task1 is ClassChat's line client (tasks 1 and 3): it
// relays lines between you and the server, one goroutine per direction,
// until either side types exit.
package main

import (
	"net"
	"time"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task1"
	"chatlab/shared/cli"
	"chatlab/shared/term"
)

func main() {
	addr, cmd := cc.ClientCommand("client-task1",
		"ClassChat line client (tasks 1 and 3): type lines to the server; 'exit' to quit.", nil)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	in, out, _, closeTerm, err := term.Stdio(term.Options{Prompt: "> "})
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	ctx, stop := cc.SignalContext()
	defer stop()
	err = task1.Chat(ctx, conn, in, out)
	closeTerm()
	if err != nil && ctx.Err() == nil {
		cmd.Fatal(cli.ExitError, err)
	}
}
