// Command server-task3 is ClassChat task 3's server: many clients, a
// goroutine each, a locked registry, broadcasts to the others.
package main

import (
	"os"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task3"
	"chatlab/shared/cli"
	"chatlab/shared/logging"
	"chatlab/shared/server"
)

func main() {
	l, cmd := cc.ServerCommand("server-task3",
		"ClassChat task 3 server: many clients, one goroutine each; a line from one goes to all the others.",
		"Stop it with Ctrl-C: every client is told before its connection closes.")
	log := logging.New(os.Stdout, false)
	log.Info("ClassChat task 3 server started on " + l.Addr().String())
	ctx, stop := cc.SignalContext()
	defer stop()
	if err := server.RunUntilSignal(ctx, task3.New(log), l, server.DefaultShutdownGrace); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
}
