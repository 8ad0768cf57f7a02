package stage_test

import (
	"testing"
	"time"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/wiretest"
	"chatlab/shared/bintest"
)

// Three clients that flood their room at once with 4 KiB messages flat
// out slow only themselves: client-v2 reading in the same room keeps
// up and is not cut off as a slow consumer (their bursts together fit in
// its queue, and it reads three times the byte rate with room to spare).
func TestFlooderSlowsOnlyItself(t *testing.T) {
	b := binaries(t)
	wiretest.Flood{
		Server:   bintest.StartServer(t, b.server, "0"),
		Client:   b.client,
		Codec:    jsonwire.Codec{},
		For:      4 * time.Second,
		Flooders: 3,
	}.Check(t)
}
