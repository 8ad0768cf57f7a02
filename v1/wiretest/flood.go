package wiretest

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
)

// Flood is a flooder against a stage's server binary, with one of the
// stage's client binaries reading in the same room.
type Flood struct {
	// Server is the running server binary.
	Server *bintest.Server
	// Client is the client binary; ClientArgs come before its name, host
	// and port (--ca FILE, say).
	Client     string
	ClientArgs []string
	// Codec is the stage's encoding; Dial connects the flooder (nil: TCP).
	Codec proto.Codec
	Dial  func(t *testing.T, addr string) net.Conn
	// For is how long the flooders send.
	For time.Duration
	// Flooders is how many flood at once (0: one), each on its own
	// connection: flooder, flooder2, flooder3 ...
	Flooders int
}

// FloodResult is what a flood did.
type FloodResult struct {
	Sent, Received int // messages of 4 KiB the flooders sent, the reader printed
	// ReaderOK: the reader was still connected after the flood (it
	// answered /users) and exited 0 at the end of its input.
	ReaderOK bool
	// ServerLog is what the server logged up to the reader's departure.
	ServerLog []string
}

// SlowConsumer reports whether the server log says it cut a slow
// consumer off.
func (r FloodResult) SlowConsumer() bool {
	for _, l := range r.ServerLog {
		if strings.Contains(l, "slow consumer") {
			return true
		}
	}
	return false
}

// Run logs the reader in (the client binary, its output a pipe), then
// has the flooders send room messages of 4096 bytes of text as fast as
// the server takes them for f.For, all at once, and sees whether the
// reader is still there.
func (f Flood) Run(t *testing.T) FloodResult {
	t.Helper()
	var res FloodResult
	args := append(append([]string{}, f.ClientArgs...), "reader", "127.0.0.1", f.Server.Port)
	cmd := exec.Command(f.Client, args...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = cmd.Stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	var received atomic.Int64
	lines := make(chan string, 100) // the reader's lines other than the flood
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "] flooder") && strings.Contains(sc.Text(), ": fff") {
				received.Add(1)
				continue
			}
			select {
			case lines <- sc.Text():
			default:
			}
		}
		exited <- cmd.Wait()
	}()
	waitLine := func(what string, within time.Duration) bool {
		t.Helper()
		timeout := time.After(within)
		for {
			select {
			case l := <-lines:
				if strings.Contains(l, what) {
					return true
				}
			case err := <-exited:
				t.Errorf("the reader exited (%v) while waiting for %q", err, what)
				return false
			case <-timeout:
				t.Errorf("the reader did not print %q in time", what)
				return false
			}
		}
	}
	require.True(t, waitLine("logged in as reader", bintest.Timeout))

	flooders := max(f.Flooders, 1)
	conns := make([]net.Conn, flooders)
	for i := range conns {
		name := "flooder"
		if i > 0 {
			name += strconv.Itoa(i + 1)
		}
		conns[i] = f.login(t, name)
		defer conns[i].Close()
	}
	msg, err := Codec(f.Codec).Encode(proto.Message{Kind: proto.KindRoomMsg, Text: strings.Repeat("f", proto.MaxTextBytes)})
	require.NoError(t, err)
	const batch = 16
	burst := []byte(strings.Repeat(string(msg), batch))
	var sent atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(f.For)
	for _, conn := range conns {
		wg.Go(func() {
			conn.SetWriteDeadline(end)
			for {
				n, err := conn.Write(burst)
				sent.Add(int64(n / len(msg)))
				if err != nil {
					break
				}
			}
			conn.Close()
		})
	}
	wg.Wait()
	res.Sent = int(sent.Load())

	res.Received = int(received.Load())
	// Still there: /users is answered after whatever is still queued,
	// which a reader on a busy machine may take a while to print.
	if _, err := io.WriteString(stdin, "/users\n"); err == nil && waitLine("users in general", bintest.Timeout) {
		stdin.Close()
		select {
		case err := <-exited:
			res.ReaderOK = err == nil
			assert.NoError(t, err, "the reader's exit")
		case <-time.After(bintest.Timeout):
			t.Error("the reader did not exit at the end of its input")
		}
	}
	for {
		l := f.Server.NextLine(t)
		res.ServerLog = append(res.ServerLog, l)
		if strings.Contains(l, "user=reader reason=") {
			break
		}
	}
	t.Logf("%d flooders sent %d messages of 4 KiB in %s (%.0f/s); the reader printed %d of them before /users",
		flooders, res.Sent, f.For, float64(res.Sent)/f.For.Seconds(), res.Received)
	return res
}

// login connects a flooder and logs it in as name; it reads what comes
// (only the reader may be slow).
func (f Flood) login(t *testing.T, name string) net.Conn {
	t.Helper()
	var conn net.Conn
	if f.Dial != nil {
		conn = f.Dial(t, f.Server.Addr())
	} else {
		var err error
		conn, err = net.DialTimeout("tcp", f.Server.Addr(), chattest.Timeout)
		require.NoError(t, err)
	}
	login, err := Codec(f.Codec).Encode(proto.Message{Kind: proto.KindLogin, Username: name})
	require.NoError(t, err)
	_, err = conn.Write(login)
	require.NoError(t, err)
	go io.Copy(io.Discard, conn)
	return conn
}

// Check runs the flood and fails t unless the reader came through it:
// nobody was cut off as a slow consumer, the reader is still connected,
// and it got the flood.
func (f Flood) Check(t *testing.T) {
	t.Helper()
	res := f.Run(t)
	assert.False(t, res.SlowConsumer(), "the server cut a client off:\n%v", res.ServerLog)
	assert.True(t, res.ReaderOK, "the reader is still connected after the flood")
	assert.Greater(t, res.Received, 100, "the reader got the flood")
}
