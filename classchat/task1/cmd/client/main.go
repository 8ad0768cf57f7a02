// Command client-task1 is ClassChat's line client (tasks 1 and 3): it
// relays lines between you and the server, one goroutine per direction,
// until either side types exit. The make targets build it as client-task1
// and as client-task3; it names itself after the name it runs as.
package main

import (
	"os"
	"path/filepath"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task1"
	"chatlab/shared/cli"
	"chatlab/shared/term"
)

func main() {
	name, start := "client-task1", "make server-task1 (or make server-task3)"
	if filepath.Base(os.Args[0]) == "client-task3" {
		name, start = "client-task3", "make server-task3"
	}
	addr, cmd := cc.ClientCommand(name,
		"ClassChat line client (tasks 1 and 3): type lines to the server; 'exit' or /quit to quit.", nil,
		"What you send is shown as \"you: ...\"; the server's lines as they come, but\n"+
			"control and invisible characters (escape sequences, bidi overrides) show as U+FFFD.",
		cc.ClientStatuses)
	conn := cc.Dial(cmd, addr, start)
	in, out, _, closeTerm, err := term.Stdio(term.Options{Prompt: "> "})
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	ctx, stop := cc.SignalContext()
	defer stop()
	err = task1.Chat(ctx, conn, in, out)
	closeTerm()
	if err != nil && ctx.Err() == nil {
		cc.Fail(cmd, err, addr, start)
	}
}
