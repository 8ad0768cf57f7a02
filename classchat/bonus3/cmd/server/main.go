// Command server-bonus3 is ClassChat bonus 3's server: groups, files, and
// offline messages kept on disk.
package main

import (
	"fmt"
	"log/slog"

	"chatlab/classchat/bonus3"
	"chatlab/classchat/internal/cc"
	"chatlab/shared/cli"
	"chatlab/shared/server"
)

func main() {
	var db *string
	var maxCount, maxBytes *int
	l, cmd := cc.ServerCommandWith("server-bonus3",
		"ClassChat bonus 3 server: direct messages, groups, files, and offline messages that survive a restart.",
		func(c *cli.Command) {
			db = c.FlagSet.String("db", bonus3.DefaultDB(), "the offline queue's SQLite database")
			maxCount = c.FlagSet.Int("max-queued", bonus3.MaxQueued, "messages kept at most for one offline user")
			maxBytes = c.FlagSet.Int("max-queued-bytes", bonus3.MaxQueuedBytes, "bytes kept at most for one offline user")
		},
		"The original Python bonus clients work with it unchanged. Stop it with Ctrl-C.")
	store, err := bonus3.Open(*db, *maxCount, *maxBytes)
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	defer store.Close()
	fmt.Printf("[INFO] offline queue db=%s\n", *db)
	cc.Serve(l, cmd, "bonus 3", func(log *slog.Logger) *server.Server { return bonus3.New(log, store) })
}
