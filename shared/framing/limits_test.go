package framing

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpPair returns the two ends of a TCP connection on 127.0.0.1, closed
// at the end of the test.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	client, err = net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	server, err = l.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// result is what a ReadLine returned, and when.
type result struct {
	line string
	err  error
	at   time.Time
}

// readLines reads lines into a channel until an error.
func readLines(lr *LineReader) <-chan result {
	ch := make(chan result, 16)
	go func() {
		defer close(ch)
		for {
			line, err := lr.ReadLine()
			ch <- result{string(line), err, time.Now()}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no line and no error within 10 s")
		return result{}
	}
}

// A connection between complete messages has no deadline: it stays open
// far past the frame timeout.
func TestIdleConnectionHasNoDeadline(t *testing.T) {
	srv, cli := tcpPair(t)
	in := NewReader(srv)
	in.SetLimits(Limits{FrameTimeout: 50 * time.Millisecond})
	lines := readLines(NewLineReader(in, 1<<20))
	_, err := io.WriteString(cli, "hello\n"+strings.Repeat("x", 3000)+"\n")
	require.NoError(t, err)
	assert.Equal(t, result{line: "hello"}, stripTime(next(t, lines)))
	assert.Equal(t, result{line: strings.Repeat("x", 3000)}, stripTime(next(t, lines)))
	// Ten frame timeouts of silence.
	select {
	case r := <-lines:
		t.Fatalf("an idle connection ended: %v", r.err)
	case <-time.After(500 * time.Millisecond):
	}
	_, err = io.WriteString(cli, "still here\n")
	require.NoError(t, err)
	assert.Equal(t, result{line: "still here"}, stripTime(next(t, lines)))
}

func stripTime(r result) result { r.at = time.Time{}; return r }

// A message stopped half way fails with ErrFrameTimeout once the frame
// timeout has passed, and not before.
func TestStalledMessageTimesOut(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for name, kind := range map[string]string{"line": "line", "JSON object": "json", "frame body": "frame"} {
		t.Run(name, func(t *testing.T) {
			srv, cli := tcpPair(t)
			in := NewReader(srv)
			in.SetLimits(Limits{FrameTimeout: timeout})
			errc := make(chan error, 1)
			var begun time.Time
			go func() {
				var err error
				switch kind {
				case "line":
					_, err = NewLineReader(in, 1<<20).ReadLine()
				case "json":
					jr := NewJSONReader(in, 1<<20)
					if _, err = jr.Next(); err == nil {
						_, err = jr.Next()
					}
				case "frame":
					in.Wait()
					_, err = io.ReadFull(in, make([]byte, 64<<10))
				}
				errc <- err
			}()
			part := strings.Repeat("x", 1000)
			if kind == "json" {
				part = `{"a":1}` + "\n\n" + `{"text":"` + part
			}
			begun = time.Now()
			_, err := io.WriteString(cli, part)
			require.NoError(t, err)
			select {
			case err := <-errc:
				require.ErrorIs(t, err, ErrFrameTimeout)
				assert.GreaterOrEqual(t, time.Since(begun), timeout-timeout/10)
			case <-time.After(10 * time.Second):
				t.Fatal("a stalled message was not timed out")
			}
		})
	}
}

// A message must keep moving, and average MinRate: one that arrives in a
// burst and stops is closed once it has not moved for the frame timeout
// (the bytes it sent first earn it no time); a slow but steady one
// finishes long after the frame timeout; one that keeps moving below
// MinRate is closed.
func TestMessageMustKeepMoving(t *testing.T) {
	send := func(cli net.Conn, chunk string, every time.Duration, n int) {
		for range n {
			if _, err := io.WriteString(cli, chunk); err != nil {
				return
			}
			time.Sleep(every) // the pace of a slow sender, not a wait for an event
		}
		io.WriteString(cli, "\n")
	}
	start := func(t *testing.T, l Limits) (net.Conn, <-chan result) {
		srv, cli := tcpPair(t)
		in := NewReader(srv)
		in.SetLimits(l)
		return cli, readLines(NewLineReader(in, 1<<20))
	}

	t.Run("burst then stall", func(t *testing.T) {
		const timeout = 300 * time.Millisecond
		// 100 KiB at an average of 100 bytes a second would be 1000 s.
		cli, lines := start(t, Limits{FrameTimeout: timeout, MinRate: 100})
		begun := time.Now()
		_, err := cli.Write(bytes.Repeat([]byte("b"), 100<<10))
		require.NoError(t, err)
		sent := time.Now()
		r := next(t, lines)
		require.ErrorIs(t, r.err, ErrFrameTimeout)
		assert.GreaterOrEqual(t, r.at.Sub(begun), timeout, "closed before the frame timeout")
		assert.Less(t, r.at.Sub(sent), timeout+5*time.Second, "held long after its last byte")
	})
	t.Run("steady", func(t *testing.T) {
		const timeout = 500 * time.Millisecond
		cli, lines := start(t, Limits{FrameTimeout: timeout, MinRate: 1000})
		begun := time.Now()
		// 2000 bytes a second, twice MinRate, for two seconds.
		go send(cli, strings.Repeat("y", 100), 50*time.Millisecond, 40)
		r := next(t, lines)
		require.NoError(t, r.err)
		assert.Len(t, r.line, 4000)
		assert.Greater(t, r.at.Sub(begun), 2*timeout, "the test did not outlast the frame timeout")
	})
	t.Run("dribbling", func(t *testing.T) {
		const timeout = 400 * time.Millisecond
		cli, lines := start(t, Limits{FrameTimeout: timeout, MinRate: 1000})
		begun := time.Now()
		// 20 bytes a second, a byte every 50 ms: it keeps moving, for ten
		// seconds, at a fiftieth of MinRate.
		go send(cli, "z", 50*time.Millisecond, 200)
		r := next(t, lines)
		require.ErrorIs(t, r.err, ErrFrameTimeout)
		assert.GreaterOrEqual(t, r.at.Sub(begun), timeout, "closed before the frame timeout")
		assert.Less(t, r.at.Sub(begun), 5*time.Second)
	})
}

// A deadline set with SetReadDeadline (a log-in time limit) holds whether
// a message is in progress or not, and is reported as the stream's own
// time-out, not the frame's.
func TestOuterDeadlineIsKept(t *testing.T) {
	for name, partial := range map[string]string{"idle": "", "inside a message": strings.Repeat("x", 500)} {
		t.Run(name, func(t *testing.T) {
			srv, cli := tcpPair(t)
			in := NewReader(srv)
			in.SetLimits(Limits{FrameTimeout: time.Hour})
			require.NoError(t, in.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
			lines := readLines(NewLineReader(in, 1<<20))
			if partial != "" {
				_, err := io.WriteString(cli, partial)
				require.NoError(t, err)
			}
			r := next(t, lines)
			assert.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
			assert.NotErrorIs(t, r.err, ErrFrameTimeout)
		})
	}
}

// The budget: a message's bytes past its first 4 KiB are charged while it
// arrives; a read that would go on charging a spent budget fails with
// ErrBusy; small messages never touch it; a complete message, or a
// failed Reader, gives its bytes back.
func TestBudget(t *testing.T) {
	budget := NewBudget(8 << 10)
	reader := func() (net.Conn, <-chan result) {
		srv, cli := tcpPair(t)
		in := NewReader(srv)
		in.SetLimits(Limits{Budget: budget})
		return cli, readLines(NewLineReader(in, 1<<20))
	}
	waitUsed := func(cond func(int64) bool, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond(budget.Used()) {
			require.True(t, time.Now().Before(deadline), "%s: budget used %d", what, budget.Used())
			time.Sleep(time.Millisecond)
		}
	}

	a, aLines := reader()
	_, err := a.Write(bytes.Repeat([]byte("a"), 10<<10))
	require.NoError(t, err)
	// All but the first 4 KiB of what came after the idle wait's read.
	waitUsed(func(n int64) bool { return n > 5<<10 }, "a's partial line")
	usedA := budget.Used()

	b, bLines := reader()
	_, err = b.Write(bytes.Repeat([]byte("b"), 20<<10))
	require.NoError(t, err)
	assert.ErrorIs(t, next(t, bLines).err, ErrBusy)
	waitUsed(func(n int64) bool { return n == usedA }, "b gave its bytes back")

	c, cLines := reader()
	_, err = io.WriteString(c, strings.Repeat("c", 4000)+"\n")
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("c", 4000), next(t, cLines).line, "a small message while the budget is spent")

	_, err = io.WriteString(a, "\n")
	require.NoError(t, err)
	assert.Len(t, next(t, aLines).line, 10<<10)
	waitUsed(func(n int64) bool { return n == 0 }, "a's line is complete")
}

// The fast path: whole messages, each in one read, set no deadline.
func TestWholeMessagesSetNoDeadline(t *testing.T) {
	src := &deadlineCounter{pausingReader: pausingReader{chunks: [][]byte{
		[]byte("one\n"), []byte("two\nthree\n"), []byte(strings.Repeat("x", 100) + "\n"),
	}}}
	in := NewReader(src)
	in.SetLimits(Limits{Budget: NewBudget(1)})
	got, err := readAll(t, NewLineReader(in, 1<<10))
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, []string{"one", "two", "three", strings.Repeat("x", 100)}, got)
	assert.Zero(t, src.sets, "deadlines set")

	// A message that spans reads sets one, and the wait after it clears it.
	src = &deadlineCounter{pausingReader: pausingReader{chunks: [][]byte{
		[]byte(strings.Repeat("y", 200)), []byte("y\n"),
	}}}
	in = NewReader(src)
	in.SetLimits(Limits{})
	lr := NewLineReader(in, 1<<10)
	_, err = lr.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, 1, src.sets)
	_, err = lr.ReadLine()
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, 2, src.sets)
	assert.True(t, src.last.IsZero(), "the deadline was not cleared for the wait")

	// A message that moves in a thousand reads moves its deadline with
	// each, but sets the stream's again only once it has moved by more
	// than min(FrameTimeout/10, 1 s): once here, unless the machine
	// stalls this test for seconds.
	chunks := make([][]byte, 0, 1001)
	for range 1000 {
		chunks = append(chunks, []byte("0123456789"))
	}
	src = &deadlineCounter{pausingReader: pausingReader{chunks: append(chunks, []byte("\n"))}}
	in = NewReader(src)
	in.SetLimits(Limits{FrameTimeout: time.Hour})
	line, err := NewLineReader(in, 1<<20).ReadLine()
	require.NoError(t, err)
	assert.Len(t, line, 10000)
	assert.Less(t, src.sets, 10, "deadlines set")
}

type deadlineCounter struct {
	pausingReader
	sets int
	last time.Time
}

func (d *deadlineCounter) SetReadDeadline(t time.Time) error {
	d.sets++
	d.last = t
	return nil
}

// Without limits a Reader sets no deadline whatever the messages.
func TestNoLimitsNoDeadline(t *testing.T) {
	src := &deadlineCounter{pausingReader: pausingReader{chunks: [][]byte{
		[]byte(strings.Repeat("y", 5000)), []byte("y\n"),
	}}}
	_, err := NewLineReader(NewReader(src), 1<<20).ReadLine()
	require.NoError(t, err)
	assert.Zero(t, src.sets)
	assert.False(t, errors.Is(err, ErrFrameTimeout))
}
