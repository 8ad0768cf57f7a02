package chatclient

import (
	"slices"
	"strings"
)

// Complete is a word completer for a line editor: it completes the word
// before the cursor (pos, in runes) to a command at the start of the line,
// to a room name after /join, and to a user name elsewhere, from the names
// this client has seen. It returns the text before the word, the
// candidates (sorted), and the text after the cursor.
func (c *Client) Complete(line string, pos int) (head string, completions []string, tail string) {
	runes := []rune(line)
	pos = min(max(pos, 0), len(runes))
	before, tail := string(runes[:pos]), string(runes[pos:])
	start := strings.LastIndexAny(before, " \t") + 1
	head, word := before[:start], before[start:]

	var candidates []string
	first, _, _ := strings.Cut(strings.TrimLeft(head, " "), " ")
	switch {
	case strings.TrimSpace(head) == "" && strings.HasPrefix(word, "/"):
		for _, cmd := range Commands {
			candidates = append(candidates, cmd.Name)
			candidates = append(candidates, cmd.Aliases...)
		}
	case lookup(first) != nil && lookup(first).Name == "/join":
		candidates = c.names(c.rooms)
	default:
		candidates = c.names(c.users)
	}
	lower := strings.ToLower(word)
	for _, cand := range candidates {
		if strings.HasPrefix(strings.ToLower(cand), lower) {
			completions = append(completions, cand+" ")
		}
	}
	slices.Sort(completions)
	return head, completions, tail
}

func (c *Client) names(set map[string]bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	return out
}
