// Command server-bonus2 is ClassChat bonus 2's server: groups and files.
package main

import (
	"os"

	"chatlab/classchat/bonus2"
	"chatlab/classchat/internal/cc"
	"chatlab/shared/cli"
	"chatlab/shared/logging"
	"chatlab/shared/server"
)

func main() {
	l, cmd := cc.ServerCommand("server-bonus2",
		"ClassChat bonus 2 server: direct messages, groups, and files up to 10 MiB.",
		"The original Python bonus clients work with it unchanged. Stop it with Ctrl-C.")
	log := logging.New(os.Stdout, false)
	log.Info("ClassChat bonus 2 server started on " + l.Addr().String())
	ctx, stop := cc.SignalContext()
	defer stop()
	if err := server.RunUntilSignal(ctx, bonus2.New(log), l, server.DefaultShutdownGrace); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
}
