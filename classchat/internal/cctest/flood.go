package cctest

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/shared/bintest"
)

// Flood is a run of a stage's server binary with the stage's client
// binary reading as "reader", and raw flooders sending it direct messages
// flat out.
type Flood struct {
	// Server and Client are the stage's binaries; Ready matches the
	// server's line that says it listens; Flags come before its port.
	Server, Client string
	Ready          *regexp.Regexp
	Flags          []string
	// Text is the bytes of text in each direct message; Flooders how many
	// flood at once (0: one); For how long they send.
	Text     int
	Flooders int
	For      time.Duration
}

// Run floods the reader, then checks that it is still there: a message
// sent after the flood reaches its screen, and it exits 0 at the end of
// its input.
func (f Flood) Run(t *testing.T) {
	t.Helper()
	srv := bintest.StartMatching(t, f.Ready, f.Server, append(append([]string{}, f.Flags...), "0")...)

	client := exec.Command(f.Client, "--name", "reader", "127.0.0.1", srv.Port)
	typing, err := client.StdinPipe()
	require.NoError(t, err)
	screen, err := client.StdoutPipe()
	require.NoError(t, err)
	client.Stderr = client.Stdout
	require.NoError(t, client.Start())
	t.Cleanup(func() { client.Process.Kill() })
	var flooded atomic.Int64        // the flood's lines on the reader's screen
	lines := make(chan string, 100) // its other lines
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(screen)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "[flooder") {
				flooded.Add(1)
				continue
			}
			select {
			case lines <- sc.Text():
			default: // only the last lines matter
			}
		}
		exited <- client.Wait()
	}()
	// waitLine waits for a line of the reader's screen that holds what.
	waitLine := func(what string) {
		t.Helper()
		timeout := time.After(bintest.Timeout)
		for {
			select {
			case l := <-lines:
				if strings.Contains(l, what) {
					return
				}
			case err := <-exited:
				t.Fatalf("the reader exited (%v) while waiting for %q", err, what)
			case <-timeout:
				t.Fatalf("the reader did not print %q in time", what)
			}
		}
	}
	waitLine("Welcome reader!")

	dm := `{"receiver": "reader", "text": "` + strings.Repeat("f", f.Text) + `"}`
	batch := []byte(strings.Repeat(dm, max(1, 64<<10/len(dm))))
	flooders := make([]*Peer, max(f.Flooders, 1))
	for i := range flooders {
		flooders[i] = Dial(t, srv.Addr())
		flooders[i].Write("flooder" + string(rune('a'+i)) + "\n")
		go io.Copy(io.Discard, flooders[i].Conn) // its confirmations, read and dropped
	}
	start := time.Now()
	sent := make(chan int, len(flooders))
	for _, p := range flooders {
		go func() {
			p.Conn.SetWriteDeadline(start.Add(f.For))
			n := 0
			for {
				k, err := p.Conn.Write(batch)
				n += k
				if err != nil {
					break // the flood is over (its last object cut short)
				}
			}
			p.Conn.Close()
			sent <- n
		}()
	}
	total := 0
	for range flooders {
		total += <-sent
	}
	t.Logf("%d flooders sent %d KiB in %v", len(flooders), total>>10, time.Since(start).Round(time.Millisecond))

	bob := Dial(t, srv.Addr())
	bob.Write("bob\n")
	bob.Write(`{"receiver": "reader", "text": "still there?"}`)
	waitLine("[bob] still there?")
	t.Logf("the reader showed %d of the flood's messages", flooded.Load())
	typing.Close()
	select {
	case err := <-exited:
		assert.NoError(t, err, "the client leaves with status 0")
	case <-time.After(bintest.Timeout):
		t.Fatal("the client did not exit")
	}
}
