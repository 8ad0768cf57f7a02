package bonus1_test

import (
	"regexp"
	"testing"
	"time"

	"chatlab/classchat/internal/cctest"
	"chatlab/shared/bintest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

var ready = regexp.MustCompile(`^\[INFO\] ClassChat bonus 1 server started on 127\.0\.0\.1:(\d+)$`)

// floodFor is how long the flooders send.
const floodFor = 3 * time.Second

// Two clients that flood another with direct messages of 4 KiB at once,
// flat out, are slowed down by the server's flow control: the client they
// flood, our client-bonus1 reading as fast as it can, keeps up and stays
// connected. (Without flow control, --msg-rate 0 --byte-rate 0, the flood
// fills its queue and it is cut off as a slow consumer within a second or
// two.)
func TestFloodDoesNotCutOffTheReader(t *testing.T) {
	b := bintest.Build(t, "./cmd/server", "./cmd/client")
	cctest.Flood{Server: b[0], Client: b[1], Ready: ready, Text: 4000, Flooders: 2, For: floodFor}.Run(t)
}
