// Command server-task4 is ClassChat task 4's server: named users and
// direct messages routed as JSON, in the original project's dialect.
package main

import (
	"os"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task4"
	"chatlab/shared/cli"
	"chatlab/shared/logging"
	"chatlab/shared/server"
)

func main() {
	l, cmd := cc.ServerCommand("server-task4",
		"ClassChat task 4 server: users log in with a name and send each other direct messages (JSON).",
		"The original Python task 4 client works with it unchanged. Stop it with Ctrl-C.")
	log := logging.New(os.Stdout, false)
	log.Info("ClassChat task 4 server started on " + l.Addr().String())
	ctx, stop := cc.SignalContext()
	defer stop()
	if err := server.RunUntilSignal(ctx, task4.New(log), l, server.DefaultShutdownGrace); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
}
