package chatclient

import (
	"strings"

	"chatlab/chat-v1/proto"
)

// Command is one slash command of docs/protocol.md §4.
type Command struct {
	Name    string   // "/msg"
	Aliases []string // "/m", "/pm", ...
	Args    string   // "<user> <text>", for help and usage hints
	Help    string
	// NArgs is how many words the command takes; with Rest the last one
	// is the rest of the line (the text of /msg).
	NArgs int
	Rest  bool
	// Build makes the message to send from the arguments; nil for a local
	// command (help, quit).
	Build func(args []string) proto.Message
}

// Commands is the command table of docs/protocol.md §4, in the order /help lists it.
var Commands = []*Command{
	{Name: "/join", Aliases: []string{"/j"}, Args: "<room>", NArgs: 1,
		Help: "go to a room (it is created if new)",
		Build: func(a []string) proto.Message {
			return proto.Message{Kind: proto.KindJoinRoom, Room: a[0]}
		}},
	{Name: "/msg", Aliases: []string{"/m", "/pm", "/dm", "/whisper"}, Args: "<user> <text>", NArgs: 2, Rest: true,
		Help: "send a private message",
		Build: func(a []string) proto.Message {
			return proto.Message{Kind: proto.KindPrivateMsg, To: a[0], Text: a[1]}
		}},
	{Name: "/users", Aliases: []string{"/who", "/list"},
		Help: "list the users in your room",
		Build: func([]string) proto.Message {
			return proto.Message{Kind: proto.KindListUsers}
		}},
	{Name: "/rooms", Aliases: []string{"/r"},
		Help: "list all rooms",
		Build: func([]string) proto.Message {
			return proto.Message{Kind: proto.KindListRooms}
		}},
	{Name: "/help", Aliases: []string{"/h", "/?"}, Help: "show this help"},
	{Name: "/quit", Aliases: []string{"/exit", "/q"}, Help: "leave the chat"},
}

// lookup finds a command by its name or an alias, ignoring case.
func lookup(word string) *Command {
	word = strings.ToLower(word)
	for _, c := range Commands {
		if c.Name == word {
			return c
		}
		for _, a := range c.Aliases {
			if a == word {
				return c
			}
		}
	}
	return nil
}

// splitArgs splits the text after a command into n words, the last of
// which is the rest of the line when rest is set. It reports false if
// there are too few.
func splitArgs(s string, n int, rest bool) ([]string, bool) {
	var args []string
	for i := 0; i < n; i++ {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, false
		}
		if rest && i == n-1 {
			args = append(args, s)
			break
		}
		word, tail, _ := strings.Cut(s, " ")
		args = append(args, word)
		s = tail
	}
	if !rest && strings.TrimSpace(s) != "" {
		return nil, false
	}
	return args, true
}
