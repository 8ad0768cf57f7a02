package bonus1_test

import (
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

var ready = regexp.MustCompile(`^\[INFO\] ClassChat bonus 1 server started on 127\.0\.0\.1:(\d+)$`)

// floodFor is how long the flooder sends.
const floodFor = 3 * time.Second

// A client that floods another with direct messages, flat out, is slowed
// down by the server's flow control: the client it floods, our
// client-bonus1 reading as fast as it can, keeps up and stays connected.
// (Without flow control, --msg-rate 0 --byte-rate 0, the flood fills its
// queue and it is cut off as a slow consumer within a second or two.)
func TestFloodDoesNotCutOffTheReader(t *testing.T) {
	testFlood(t)
}

func testFlood(t *testing.T, flags ...string) {
	b := bintest.Build(t, "./cmd/server", "./cmd/client")
	srv := bintest.StartMatching(t, ready, b[0], append(flags, "0")...)

	client := exec.Command(b[1], "--name", "reader", "127.0.0.1", srv.Port)
	typing, err := client.StdinPipe()
	require.NoError(t, err)
	screen := chattest.NewOutput()
	screen.Timeout = bintest.Timeout
	client.Stdout, client.Stderr = screen, screen
	require.NoError(t, client.Start())
	exited := make(chan error, 1)
	gone := make(chan struct{})
	go func() { exited <- client.Wait(); close(gone) }()
	t.Cleanup(func() { client.Process.Kill(); <-gone })
	screen.WaitFor(t, "Welcome reader!")

	flooder := login(t, srv.Addr(), "flooder")
	go io.Copy(io.Discard, flooder.Conn) // its confirmations, read and dropped
	dm := `{"receiver": "reader", "text": "` + strings.Repeat("f", 1000) + `"}`
	batch := []byte(strings.Repeat(dm, 64))
	start := time.Now()
	flooder.Conn.SetWriteDeadline(start.Add(floodFor))
	sent := 0
	for {
		n, err := flooder.Conn.Write(batch)
		sent += n
		if err != nil {
			break // the flood is over (its last object cut short)
		}
	}
	flooder.Conn.Close()
	t.Logf("flooded %d KiB in %v", sent>>10, time.Since(start).Round(time.Millisecond))

	bob := login(t, srv.Addr(), "bob")
	bob.Write(`{"receiver": "reader", "text": "still there?"}`)
	screen.WaitFor(t, "[bob] still there?")
	assert.NotContains(t, screen.String(), "Server closed the connection")
	typing.Close()
	select {
	case err := <-exited:
		assert.NoError(t, err, "the client leaves with status 0")
	case <-time.After(bintest.Timeout):
		t.Fatal("the client did not exit")
	}
}
