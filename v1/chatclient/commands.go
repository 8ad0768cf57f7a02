package chatclient

import (
	"fmt"
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

// splitArgs splits the text after cmd into its arguments: NArgs words,
// the last of which is the rest of the line when Rest is set. If they do
// not fit, it says what is wrong instead.
func splitArgs(s string, cmd *Command) (args []string, problem string) {
	n := cmd.NArgs
	words := strings.Fields(s)
	switch {
	case len(words) < n:
		missing := strings.Fields(cmd.Args)[len(words)]
		return nil, fmt.Sprintf("%s needs %s", cmd.Name, missing)
	case cmd.Rest && n > 0:
		for i := 0; i < n-1; i++ {
			s = strings.TrimLeft(s, " \t")
			_, s, _ = strings.Cut(s, " ")
		}
		return append(words[:n-1:n-1], strings.TrimLeft(s, " \t")), ""
	case len(words) > n:
		if n == 0 {
			return nil, fmt.Sprintf("%s takes nothing after it, not %q", cmd.Name, strings.Join(words, " "))
		}
		last := strings.Trim(strings.Fields(cmd.Args)[n-1], "<>")
		return nil, fmt.Sprintf("%s takes %s, and %q is %d (a %s name has no spaces)",
			cmd.Name, plural(n, "word", "words"), strings.Join(words, " "), len(words), last)
	}
	return words, ""
}
