package chatclient

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"chatlab/chat-v1/proto"
	"chatlab/shared/safetext"
)

// Colours, used only when Config.Color is set.
const (
	colorReset   = "\x1b[0m"
	colorDim     = "\x1b[2m"
	colorRed     = "\x1b[31m"
	colorCyan    = "\x1b[36m"
	colorMagenta = "\x1b[35m"
)

// style is how a display line is marked: the prefix shows the kind of line
// without colour, the colour only repeats it.
type style int

const (
	styleRoom    style = iota // [general] bob: hi
	styleOwn                  // your own room message
	stylePrivate              // [PM from bob] ...
	styleSystem               // *** ...
	styleError                // !!! ...
	styleTrace                // → / ← a message on the wire (--trace)
)

func (s style) color() string {
	switch s {
	case styleOwn, styleTrace:
		return colorDim
	case stylePrivate:
		return colorMagenta
	case styleSystem:
		return colorCyan
	case styleError:
		return colorRed
	}
	return ""
}

// clean makes text from the network safe to print (safetext.Clean):
// control characters (which could move the cursor or clear the screen)
// and invisible format characters (which could reorder or hide text)
// become U+FFFD, a line break becomes "↵".
func clean(s string) string { return safetext.Clean(s) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// describe renders a message from the server as a display line and its
// style. own, if not nil, is the text the message answers (for acks and
// delivery reports).
func describe(m *proto.Message, own *pendingText) (string, style) {
	switch m.Kind {
	case proto.KindRoomMsg:
		return fmt.Sprintf("[%s] %s: %s", clean(m.Room), clean(m.From), clean(m.Text)), styleRoom
	case proto.KindRoomMsgAck:
		to := plural(int(m.Recipients), "user", "users")
		if own != nil {
			return fmt.Sprintf("[%s] %s: %s  (to %s)", clean(m.Room), own.from, clean(own.text), to), styleOwn
		}
		return fmt.Sprintf("*** sent to %s in %s", to, clean(m.Room)), styleSystem
	case proto.KindPrivateMsg:
		return fmt.Sprintf("[PM from %s] %s", clean(m.From), clean(m.Text)), stylePrivate
	case proto.KindPrivateMsgDelivery:
		if m.Status == proto.StatusNoSuchUser {
			return fmt.Sprintf("!!! %s is not online; your message was not delivered", clean(m.To)), styleError
		}
		if own != nil {
			return fmt.Sprintf("[PM to %s] %s", clean(m.To), clean(own.text)), stylePrivate
		}
		return fmt.Sprintf("*** delivered to %s", clean(m.To)), styleSystem
	case proto.KindJoinRoom:
		if m.Created {
			return fmt.Sprintf("*** you are now in %s (a new room)", clean(m.Room)), styleSystem
		}
		return fmt.Sprintf("*** you are now in %s", clean(m.Room)), styleSystem
	case proto.KindListUsers:
		users := make([]string, len(m.Users))
		for i, u := range m.Users {
			users[i] = clean(u)
		}
		return fmt.Sprintf("*** %s in %s: %s", plural(len(users), "user", "users"), clean(m.Room), strings.Join(users, ", ")), styleSystem
	case proto.KindListRooms:
		rooms := make([]string, len(m.Rooms))
		for i, r := range m.Rooms {
			rooms[i] = fmt.Sprintf("%s (%d)", clean(r.Name), r.Members)
		}
		return fmt.Sprintf("*** %s: %s", plural(len(rooms), "room", "rooms"), strings.Join(rooms, ", ")), styleSystem
	case proto.KindSystemMsg:
		return "*** " + clean(m.Text), styleSystem
	case proto.KindErrorMsg:
		return fmt.Sprintf("!!! %s (%s)", clean(m.Text), m.Code), styleError
	case proto.KindLoginAck:
		return fmt.Sprintf("*** logged in as %s, in room %s. Type /help for commands.", clean(m.Username), clean(m.Room)), styleSystem
	case proto.KindLoginReject:
		return fmt.Sprintf("!!! log-in refused: %s (%s)", clean(m.Text), m.Reason), styleError
	}
	return fmt.Sprintf("??? unexpected %s", m.Kind), styleError
}

// TextColumn is where the text of a display line starts, in columns:
// after the time stamp and "[room] nick: ", "[PM from nick] ", "*** ",
// "!!! " or a trace arrow; 0 for lines of another shape. A terminal
// indents the rest of a long line to it.
func TextColumn(line string) int {
	plain := stripSGR(line)
	col := 0
	if len(plain) >= 11 && plain[0] == '[' && plain[9] == ']' && plain[10] == ' ' {
		col, plain = 11, plain[11:] // "[15:04:05] "
	}
	switch {
	case strings.HasPrefix(plain, "*** "), strings.HasPrefix(plain, "!!! "), strings.HasPrefix(plain, "??? "):
		return col + 4
	case strings.HasPrefix(plain, "→ "), strings.HasPrefix(plain, "← "):
		return col + 2
	case strings.HasPrefix(plain, "["):
		end := strings.Index(plain, "] ")
		if end < 0 {
			return col
		}
		head := plain[:end+2]
		if strings.HasPrefix(plain, "[PM ") {
			return col + utf8.RuneCountInString(head)
		}
		if nick := strings.Index(plain[end+2:], ": "); nick >= 0 {
			head = plain[:end+2+nick+2] // "[room] nick: "
		}
		return col + utf8.RuneCountInString(head)
	}
	return col
}

// stripSGR removes colour sequences.
func stripSGR(s string) string {
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], 'm')
		if j < 0 {
			return s
		}
		s = s[:i] + s[i+j+1:]
	}
}

// stamp formats a display line with its time stamp, and colour if asked.
func stamp(now time.Time, line string, s style, color bool) string {
	ts := now.Format("[15:04:05] ")
	if c := s.color(); color && c != "" {
		return ts + c + line + colorReset
	}
	return ts + line
}

// helpText is what /help shows.
func helpText() []string {
	lines := []string{"Type a message and press Enter to send it to your room. Commands:"}
	for _, c := range Commands {
		name := c.Name
		if c.Args != "" {
			name += " " + c.Args
		}
		aliases := ""
		if len(c.Aliases) > 0 {
			aliases = " (also " + strings.Join(c.Aliases, ", ") + ")"
		}
		lines = append(lines, fmt.Sprintf("  %-22s %s%s", name, c.Help, aliases))
	}
	lines = append(lines, "Start a message with // to send a text that begins with /.")
	return lines
}
