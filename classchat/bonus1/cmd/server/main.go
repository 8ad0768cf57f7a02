// Command server-bonus1 is ClassChat bonus 1's server: task 4 with groups.
package main

import (
	"os"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/internal/cc"
	"chatlab/shared/cli"
	"chatlab/shared/logging"
	"chatlab/shared/server"
)

func main() {
	l, cmd := cc.ServerCommand("server-bonus1",
		"ClassChat bonus 1 server: direct messages and groups (/create, /join, /leave, /groups, @group).",
		"The original Python bonus clients work with it unchanged. Stop it with Ctrl-C.")
	log := logging.New(os.Stdout, false)
	log.Info("ClassChat bonus 1 server started on " + l.Addr().String())
	ctx, stop := cc.SignalContext()
	defer stop()
	if err := server.RunUntilSignal(ctx, bonus1.New(log), l, server.DefaultShutdownGrace); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
}
