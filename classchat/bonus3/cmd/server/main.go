// Command server-bonus3 is ClassChat bonus 3's server: groups, files, and
// offline messages kept on disk.
package main

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

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
			db = c.FlagSet.String("db", "", "the offline queue's SQLite database (default classchat-offline-PORT.db\n"+
				"in $XDG_DATA_HOME/chatlab or ~/.local/share/chatlab; make server-bonus3 uses bin/)")
			maxCount = c.FlagSet.Int("max-queued", bonus3.MaxQueued, "messages kept at most for one offline user")
			maxBytes = c.FlagSet.Int("max-queued-bytes", bonus3.MaxQueuedBytes, "bytes kept at most for one offline user")
		},
		"The original Python bonus clients work with it unchanged. Stop it with Ctrl-C.")
	path := *db
	if path == "" {
		path = bonus3.DefaultDB(l.Addr().(*net.TCPAddr).Port)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	store, err := bonus3.Open(path, *maxCount, *maxBytes)
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	defer store.Close()
	fmt.Printf("[INFO] offline messages are kept in %s\n", path)
	cc.Serve(l, cmd, "bonus 3", func(log *slog.Logger) *server.Server { return bonus3.New(log, store) })
}
