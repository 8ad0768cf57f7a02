package bonus1

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task4"
	"chatlab/shared/safetext"
)

// Compose turns the group commands and "#group text" into requests, as the
// original client sends them (the command in receiver, text empty; a
// group's name after "@" in receiver). "@user text" is left to task 4: it
// is a direct message in every stage.
func Compose(line string) (task4.Request, bool) {
	switch {
	case strings.HasPrefix(line, "/"):
		return task4.Request{Type: "message", Receiver: line}, true
	case strings.HasPrefix(line, "#"):
		to, text, _ := strings.Cut(line, " ")
		return task4.Request{Type: "message", Receiver: "@" + strings.TrimPrefix(to, "#"), Text: strings.TrimSpace(text)}, true
	}
	return task4.Request{}, false
}

// ClientHelp lists the commands groups add to the client, for /help.
var ClientHelp = []string{
	"  #group message      a message to every member of group",
	"  /create group       make a group (you are its first member)",
	"  /join group         join a group",
	"  /leave group        leave a group",
	"  /groups             list the groups and their members",
}

// Command sends the group commands and group messages typed in the
// client.
func Command(line string, s *task4.Session) (bool, error) {
	req, ok := Compose(line)
	if !ok {
		return false, nil
	}
	req.Sender = s.Name()
	if err := s.Send(req); err != nil {
		return true, err
	}
	if group, ok := strings.CutPrefix(req.Receiver, "@"); ok {
		s.Println(cc.Own("#"+group, req.Text))
	}
	return true, nil
}

// Describe renders the objects groups add, as the original client shows
// them, but for the groups' names: "#group", as they are typed. (The
// server's help object is shown as this client's own /help: task 4's
// client does that.) What others wrote is cleaned, as task4.Describe
// does.
func Describe(raw []byte, _ string) (string, bool) {
	clean := safetext.Clean
	var v struct {
		Status string              `json:"status"`
		Group  string              `json:"group"`
		Sender string              `json:"sender"`
		Text   string              `json:"text"`
		Groups map[string][]string `json:"groups"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch v.Status {
	case "group_message":
		return fmt.Sprintf("[#%s - %s] %s", clean(v.Group), clean(v.Sender), clean(v.Text)), true
	case "group_list":
		if len(v.Groups) == 0 {
			return "[GROUPS] No groups created yet", true
		}
		lines := []string{"[GROUPS]"}
		for _, name := range slices.Sorted(maps.Keys(v.Groups)) {
			members := make([]string, len(v.Groups[name]))
			for i, m := range v.Groups[name] {
				members[i] = clean(m)
			}
			lines = append(lines, fmt.Sprintf("  #%s: %s", clean(name), strings.Join(members, ", ")))
		}
		return strings.Join(lines, "\n"), true
	case task4.StatusSuccess:
		return "[SUCCESS] " + clean(mustMessage(raw)), true
	}
	return "", false
}

func mustMessage(raw []byte) string {
	var r task4.Reply
	json.Unmarshal(raw, &r)
	return r.Message
}
