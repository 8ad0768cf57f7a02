package task4_test

import (
	"testing"
	"time"

	"chatlab/classchat/internal/cctest"
	"chatlab/shared/bintest"
)

// A client that floods another with direct messages of 60 000 bytes, flat
// out, is slowed down by the server's flow control: its burst fits in the
// reader's queue, and client-task4 reads faster than the byte rate, so it
// stays connected. (Without flow control, --msg-rate 0 --byte-rate 0, or
// with a burst as large as the queue, it is cut off as a slow consumer
// within a second.)
func TestFloodOfLargeMessagesDoesNotCutOffTheReader(t *testing.T) {
	b := bintest.Build(t, "./cmd/server", "./cmd/client")
	cctest.Flood{Server: b[0], Client: b[1], Ready: ready, Text: 60000, For: 4 * time.Second}.Run(t)
}
