// Command server-bonus3 is ClassChat bonus 3's server: groups, files, and
// offline messages kept on disk.
package main

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/bonus3"
	"chatlab/classchat/internal/cc"
	"chatlab/shared/cli"
	"chatlab/shared/server"
)

func main() {
	var db *string
	var limits bonus3.Limits
	var groups bonus1.Limits
	l, cmd := cc.ServerCommandWith("server-bonus3",
		"ClassChat bonus 3 server: direct messages, groups, files, and offline messages that survive a restart.",
		cc.FileFlow,
		func(c *cli.Command) {
			fs := c.FlagSet
			db = fs.String("db", "", "the SQLite database of the offline queue and the groups (default classchat-offline-PORT.db\n"+
				"in $XDG_DATA_HOME/chatlab or ~/.local/share/chatlab; make server-bonus3 uses bin/)")
			fs.IntVar(&limits.UserMessages, "max-queued", bonus3.MaxQueued, "messages held at most for one offline user")
			fs.IntVar(&limits.UserBytes, "max-queued-bytes", bonus3.MaxQueuedBytes, "bytes held at most for one offline user")
			fs.Int64Var(&limits.StoreMessages, "max-store-messages", bonus3.MaxStoreMessages, "messages held at most for every user together")
			fs.Int64Var(&limits.StoreBytes, "max-store-bytes", bonus3.MaxStoreBytes, "bytes held at most for every user together")
			fs.IntVar(&limits.Known, "max-known-names", bonus3.MaxKnown,
				"names remembered as having logged in (messages are held only for those)")
			fs.IntVar(&groups.MaxGroups, "max-groups", bonus3.MaxGroups, "groups on the server at most")
			fs.IntVar(&groups.MaxCreated, "max-groups-created", bonus3.MaxGroupsCreated, "groups one user may have created (that still exist)")
			fs.IntVar(&groups.MaxJoined, "max-groups-joined", bonus3.MaxGroupsJoined, "groups one user may be a member of")
			fs.IntVar(&groups.MaxPerOrigin, "max-groups-per-address", bonus3.MaxGroupsPerAddress,
				"groups that may have been created from one IP address (IPv6: one /64) and still exist")
		},
		"Messages are held only for names that have logged in before. The original Python bonus\n"+
			"clients work with it unchanged. Stop it with Ctrl-C.")
	path := *db
	if path == "" {
		path = bonus3.DefaultDB(l.Addr().(*net.TCPAddr).Port)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	store, err := bonus3.Open(path, limits)
	if err != nil {
		cmd.Fatal(cli.ExitError, fmt.Errorf("cannot use the offline store: %w", err))
	}
	defer store.Close()
	srv := func(log *slog.Logger) *server.Server {
		s, err := bonus3.NewWith(log, store, bonus3.Config{Groups: groups})
		if err != nil {
			cmd.Fatal(cli.ExitError, err)
		}
		return s
	}
	fmt.Printf("[INFO] offline messages are kept in %s\n", path)
	cc.Serve(l, cmd, "bonus 3", srv)
}
