// Package bonus3 is ClassChat's third bonus: offline messages. On top of
// bonus 2 (groups and files), a direct message, a file or a group message
// for a user who is not online is kept, with the time it was sent, and
// delivered, in order, when the user next logs in: after the welcome, an
// offline_messages notice ("You have n offline message(s)") and the
// messages, then the commands.
//
// A user stays in their groups while away, so that group messages wait
// for them too (in bonus 1 and 2, as in the original, leaving the chat
// leaves every group).
//
// The original kept the queue in memory, unbounded. This one keeps it on
// disk, in SQLite (modernc.org/sqlite: pure Go, no cgo): a message is
// acknowledged to its sender only once committed, so a server killed with
// SIGKILL and restarted loses nothing it accepted, and a message is
// deleted only after it was written to its recipient. Each user's queue is
// bounded (MaxQueued messages, MaxQueuedBytes bytes); a sender whose
// message does not fit is told.
package bonus3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"time"

	"chatlab/classchat/bonus2"
	"chatlab/classchat/task4"
	"chatlab/shared/outbox"
	"chatlab/shared/server"
)

// Welcome is the bonus 3 welcome's format.
const Welcome = "Welcome %s! ClassChat with Groups + Files + Offline Messages."

// TimestampLayout is how a held message's time is written.
const TimestampLayout = "2006-01-02 15:04:05"

// Commands is the help: bonus 2's.
var Commands = maps.Clone(bonus2.Commands)

// OfflineNotice is the object before the held messages.
type OfflineNotice struct {
	Status  string `json:"status"` // "offline_messages"
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// DefaultDB is where the offline queue of a server on port lives unless
// told otherwise: classchat-offline-<port>.db under the user's data
// directory ($XDG_DATA_HOME/chatlab, or ~/.local/share/chatlab). Servers
// on other ports keep apart; `make server-bonus3` gives each clone of
// the repository its own database under bin/ instead.
func DefaultDB(port int) string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "chatlab", fmt.Sprintf("classchat-offline-%d.db", port))
}

// New returns a bonus 3 server keeping its offline queue in store: bonus
// 2's, holding messages for absent users, who keep their groups.
func New(log *slog.Logger, store *Store) *server.Server {
	now := time.Now
	srv, _ := bonus2.NewFiles(log, task4.Options{
		Welcome: Welcome,
		Hold: func(to string, frame []byte) error {
			return store.Enqueue(to, stamp(frame, now()))
		},
		Greet: func(name string, out *outbox.Outbox) {
			deliver(log, store, name, out)
		},
	}, Commands, true)
	return srv
}

// stamp adds the time a message was held to its object: the frame is
// `{...}\n`, and the timestamp goes in before the closing brace.
func stamp(frame []byte, at time.Time) []byte {
	body := bytes.TrimRight(frame, "\n")
	out := make([]byte, 0, len(frame)+40)
	out = append(out, body[:len(body)-1]...)
	out = fmt.Appendf(out, `,"timestamp":%q}`, at.Format(TimestampLayout))
	return append(out, '\n')
}

// deliverWait bounds how long a log-in waits for its held messages to be
// written and deleted.
const deliverWait = 30 * time.Second

// deliver sends name's held messages and waits until each was written and
// deleted (or the connection failed): a message leaves the queue only
// once it was written, and the log-in goes on only once the queue is
// settled.
func deliver(log *slog.Logger, store *Store, name string, out *outbox.Outbox) {
	items, err := store.Pending(name)
	if err != nil {
		log.Error("reading the offline queue", "user", name, "err", err)
		return
	}
	if len(items) == 0 {
		return
	}
	notice, _ := json.Marshal(OfflineNotice{Status: "offline_messages", Count: len(items),
		Message: fmt.Sprintf("You have %d offline message(s)", len(items))})
	out.Send(append(notice, '\n'))
	deleted := make(chan struct{}, len(items))
	for _, it := range items {
		id := it.ID
		out.SendThen(it.Frame, func() {
			if err := store.Delete(id); err != nil {
				log.Error("deleting a delivered offline message", "user", name, "id", id, "err", err)
			}
			deleted <- struct{}{}
		})
	}
	timeout := time.After(deliverWait)
	for range items {
		select {
		case <-deleted:
		case <-out.Done():
			log.Warn("connection ended while delivering offline messages; the rest stay queued", "user", name)
			return
		case <-timeout:
			log.Warn("offline messages not written in time; the rest stay queued", "user", name)
			return
		}
	}
	log.Info("offline messages delivered", "user", name, "count", len(items))
}
