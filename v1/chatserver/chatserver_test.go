package chatserver_test

import (
	"testing"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/wiretest"
)

// TestSuite runs the rules of docs/protocol.md §1 and every command over JSON lines.
func TestSuite(t *testing.T) {
	wiretest.Suite(t, wiretest.Env{Codec: jsonwire.Codec{}})
}
