package stage_test

import (
	"testing"
	"time"

	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v3/binwire"
	"chatlab/shared/bintest"
)

// Three clients that flood their room at once with 4 KiB messages flat
// out slow only themselves: client-v3 reading in the same room keeps
// up and is not cut off as a slow consumer (their bursts together fit in
// its queue, and it reads three times the byte rate with room to spare).
func TestFlooderSlowsOnlyItself(t *testing.T) {
	b := bintest.Build(t, "../cmd/server", "../cmd/client")
	wiretest.Flood{
		Server:   bintest.StartServer(t, b[0], "0"),
		Client:   b[1],
		Codec:    binwire.Codec{},
		For:      4 * time.Second,
		Flooders: 3,
	}.Check(t)
}
