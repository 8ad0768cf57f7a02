package bonus3

import (
	"encoding/json"
	"fmt"
	"strings"

	"chatlab/classchat/bonus1"
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
