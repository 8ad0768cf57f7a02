package bonus3

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/bonus2"
	"chatlab/classchat/task4"
	"chatlab/shared/cli"
	"chatlab/shared/safetext"
)

// Describe renders what bonus 3 adds (the offline notice, and the time of
// a held message), and leaves the rest to bonus 1. What others wrote is
// cleaned, as task4.Describe does.
func Describe(raw []byte, self string) (string, bool) {
	clean := safetext.Clean
	var v struct {
		Status    string `json:"status"`
		Message   string `json:"message"`
		Sender    string `json:"sender"`
		Text      string `json:"text"`
		Timestamp string `json:"timestamp"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch {
	case v.Status == "offline_messages":
		return "[OFFLINE] " + clean(v.Message), true
	case v.Status == "message" && v.Timestamp != "":
		return fmt.Sprintf("[%s] [%s] %s", clean(v.Sender), clean(v.Timestamp), clean(v.Text)), true
	case v.Status == "sent" && strings.Contains(v.Message, "queued"):
		return "[QUEUED] " + clean(v.Message), true
	}
	return bonus1.Describe(raw, self)
}

// loginWait bounds how long a typed line waits for the log-in sequence
// (welcome, held messages, help) before it is sent anyway.
const loginWait = 10 * time.Second

// Acker is bonus 3's client side of offline delivery: it answers the
// offline_messages notice with an Ack (upto 0), which tells the server
// this client acknowledges, then shows (or saves) each held message and
// acknowledges it, so that the server removes only what was handled.
// Until the log-in sequence is over (the help, or the user list, has
// arrived), typed lines wait: the server looks for the acknowledgements
// among what the client sent, and nothing else goes before them.
type Acker struct {
	incoming func([]byte, *task4.Session) bool
	command  func(string, *task4.Session) (bool, error)
	once     sync.Once
	done     chan struct{} // closed once the log-in sequence is over
}

// NewAcker wraps a client's Incoming and Command hooks.
func NewAcker(incoming func([]byte, *task4.Session) bool, command func(string, *task4.Session) (bool, error)) *Acker {
	return &Acker{incoming: incoming, command: command, done: make(chan struct{})}
}

// Incoming handles a held message (one with an id) and acknowledges it;
// it leaves every other object to the hooks wrapped and the display.
func (a *Acker) Incoming(raw []byte, s *task4.Session) bool {
	var v struct {
		Status string `json:"status"`
		ID     int64  `json:"id"`
		Ack    bool   `json:"ack"`
	}
	json.Unmarshal(raw, &v)
	switch {
	case v.Status == "help" || v.Status == task4.StatusUserList:
		a.once.Do(func() { close(a.done) })
	case v.Status == "offline_messages" && v.Ack:
		// The server takes acknowledgements: say at once that this
		// client sends them.
		s.Send(Ack{Type: "ack"})
	}
	if v.ID == 0 {
		return a.incoming != nil && a.incoming(raw, s)
	}
	if a.incoming == nil || !a.incoming(raw, s) {
		line, ok := Describe(raw, s.Name())
		if !ok {
			var r task4.Reply
			json.Unmarshal(raw, &r)
			line = task4.Describe(r, s.Name())
		}
		s.Println(line)
	}
	s.Send(Ack{Type: "ack", Upto: v.ID}) // an error ends the session: the reader sees it
	return true
}

// Command sends a typed line once the log-in sequence is over.
func (a *Acker) Command(line string, s *task4.Session) (bool, error) {
	select {
	case <-a.done:
	case <-time.After(loginWait):
		a.once.Do(func() { close(a.done) })
	}
	if a.command == nil {
		return false, nil
	}
	return a.command(line, s)
}

// Flags adds the client's flags (bonus 2's --downloads), and returns what
// sets up acknowledging the held messages on top of saving files.
func Flags(c *cli.Command) func(*task4.ClientConfig) {
	downloads := bonus2.DownloadsFlag(c)
	return func(cfg *task4.ClientConfig) {
		downloads(cfg)
		a := NewAcker(cfg.Incoming, cfg.Command)
		cfg.Incoming, cfg.Command = a.Incoming, a.Command
	}
}
