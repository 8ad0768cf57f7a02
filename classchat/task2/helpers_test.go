//go:build unix

package task2

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"chatlab/shared/chattest"
)

// lines returns the complete lines written to o so far.
func lines(o *chattest.Output) []string {
	all := strings.Split(o.String(), "\n")
	return all[:len(all)-1]
}

// hasLine reports whether the line was written to o.
func hasLine(o *chattest.Output, line string) bool {
	return slices.Contains(lines(o), line)
}

// inOrder checks that the lines want were written to o in this order
// (with any others between them).
func inOrder(t testing.TB, o *chattest.Output, want ...string) {
	t.Helper()
	got := lines(o)
	i := 0
	for _, l := range got {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("the output lacks %q after %q; it is:\n%s", want[i], want[:i], o)
	}
}

// client is a Chat running in a goroutine of the test, with a pipe for
// its standard input and a chattest.Output for its display, which Chat
// writes from its goroutine and the test waits on from its own: no
// terminal involved.
type client struct {
	t     testing.TB
	keys  *os.File // the write end of its standard input
	out   *chattest.Output
	done  chan error
	ended bool
	err   error
}

// startClient runs Chat(addr) in a new goroutine. At cleanup its input is
// closed (which ends the session as exit does), and the test waits for
// Chat to return.
func startClient(t testing.TB, addr string) *client {
	t.Helper()
	stdin, keys, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	c := &client{t: t, keys: keys, out: chattest.NewOutput(), done: make(chan error, 1)}
	go func() { c.done <- Chat(addr, stdin, c.out) }()
	t.Cleanup(func() {
		keys.Close()
		if !c.ended {
			select {
			case c.err = <-c.done:
				c.ended = true
			case <-time.After(chattest.Timeout):
				t.Errorf("Chat did not return after its input was closed; it showed:\n%s", c.out)
				return // leave stdin open: Chat may still poll it
			}
		}
		stdin.Close()
	})
	return c
}

// typeText writes text to the client's standard input, as typed.
func (c *client) typeText(text string) {
	c.t.Helper()
	if _, err := c.keys.WriteString(text); err != nil {
		c.t.Fatalf("type %q: %v", text, err)
	}
}

// typeLine types one line and Enter.
func (c *client) typeLine(line string) { c.t.Helper(); c.typeText(line + "\n") }

// endInput closes the client's standard input: Ctrl-D on a terminal.
func (c *client) endInput() {
	c.t.Helper()
	if err := c.keys.Close(); err != nil {
		c.t.Fatalf("close input: %v", err)
	}
}

// wait waits for Chat to return and returns its error; it fails the test
// if Chat does not return within chattest.Timeout.
func (c *client) wait() error {
	c.t.Helper()
	if c.ended {
		return c.err
	}
	select {
	case c.err = <-c.done:
		c.ended = true
		return c.err
	case <-time.After(chattest.Timeout):
		c.t.Fatalf("Chat did not return within %v; it showed:\n%s", chattest.Timeout, c.out)
		return nil
	}
}

// running reports whether Chat has not returned yet, without waiting.
func (c *client) running() bool {
	if c.ended {
		return false
	}
	select {
	case c.err = <-c.done:
		c.ended = true
		return false
	default:
		return true
	}
}

// stacks returns the stack of every goroutine, one string each.
func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(strings.TrimSpace(string(buf[:n])), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

var goroutineID = regexp.MustCompile(`^goroutine (\d+) `)

// chatGoroutines returns the stacks of the goroutines running Chat, and
// of every goroutine any of them started (named by the "created by ...
// in goroutine N" line of its stack).
func chatGoroutines() (running, started []string) {
	all := stacks()
	ids := map[string]bool{}
	for _, g := range all {
		if strings.Contains(g, "chatlab/classchat/task2.Chat(") {
			running = append(running, g)
			if m := goroutineID.FindStringSubmatch(g); m != nil {
				ids[m[1]] = true
			}
		}
	}
	for _, g := range all {
		for id := range ids {
			if regexp.MustCompile(`(?m)^created by .* in goroutine ` + id + `$`).MatchString(g) {
				started = append(started, g)
			}
		}
	}
	return running, started
}

// eventually reports whether cond became true within d, checking it
// again whenever the scheduler lets this goroutine run.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond) // polling a condition no event announces
	}
	return true
}

// peer is the server's end of a connection, driven by the test itself:
// every wait has a deadline, and no goroutine is involved.
type peer struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// listen listens on 127.0.0.1:0 until the end of the test.
func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// accept waits for the client's connection on l.
func accept(t testing.TB, l net.Listener) *peer {
	t.Helper()
	l.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(chattest.Timeout))
	conn, err := l.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &peer{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// write sends text as it is.
func (p *peer) write(text string) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(chattest.Timeout))
	if _, err := io.WriteString(p.conn, text); err != nil {
		p.t.Fatalf("write %q: %v", text, err)
	}
}

// next returns the next line the client sent, without its "\n"; io.EOF
// once the client has shut its sending half.
func (p *peer) next() (string, error) {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	line, err := p.r.ReadString('\n')
	if err != nil {
		if line != "" {
			return line, fmt.Errorf("%w after %q (no newline)", err, line)
		}
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// expect fails the test unless the client's next line is want.
func (p *peer) expect(want string) {
	p.t.Helper()
	got, err := p.next()
	if err != nil {
		p.t.Fatalf("waiting for %.40q from the client: %v", want, err)
	}
	if got != want {
		p.t.Fatalf("the client sent %.40q, want %.40q", got, want)
	}
}
