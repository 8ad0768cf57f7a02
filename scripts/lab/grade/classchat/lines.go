package classchat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"chatlab/lab/rubric"
)

// maxLine bounds a line the grader reads (tasks 1–3 allow 4096 bytes; a
// server that sends more is reported, not followed).
const maxLine = 64 << 10

// linePeer is a client of a text server (tasks 1 and 3): it writes lines
// and reads the server's lines, each of which must end in "\n".
type linePeer struct {
	c    *rubric.C
	who  string // how reasons name it: "the client", "client B"
	from string // how reasons name the other end: "the server" unless set
	conn net.Conn
	r    *bufio.Reader
}

// dialLines connects to addr.
func dialLines(c *rubric.C, addr, who string) *linePeer {
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		c.Fatalf("%s could not connect to %s: %v", who, addr, err)
	}
	c.Cleanup(func() { conn.Close() })
	return &linePeer{c: c, who: who, conn: conn, r: bufio.NewReaderSize(conn, 4096)}
}

// write sends b as it is, in one write.
func (p *linePeer) write(b string) {
	p.conn.SetWriteDeadline(deadline(p.c, wait))
	if _, err := io.WriteString(p.conn, b); err != nil {
		p.c.Fatalf("%s could not send %s: %v", p.who, quote(b), err)
	}
}

// send sends one line: text and "\n".
func (p *linePeer) send(text string) { p.write(text + "\n") }

// errClosed ends a wait the other end cut short.
var errClosed = errors.New("closed the connection")

func (p *linePeer) other() string {
	if p.from == "" {
		return "the server"
	}
	return p.from
}

// line returns the next line without its "\n" (or "\r\n"). The error says
// in a reason's words why there is none: closed, nothing within the wait,
// or a line not ended.
func (p *linePeer) line() (string, error) {
	p.conn.SetReadDeadline(deadline(p.c, wait))
	var b []byte
	for {
		frag, err := p.r.ReadSlice('\n')
		b = append(b, frag...)
		if err == nil {
			return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
		}
		if errors.Is(err, bufio.ErrBufferFull) && len(b) <= maxLine {
			continue
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return "", fmt.Errorf("%s sent a line of over %d bytes: %s", p.other(), maxLine, quote(string(b)))
		case len(b) > 0 && errors.Is(err, os.ErrDeadlineExceeded):
			return "", fmt.Errorf("%s sent %s and no \"\\n\" after it within %v (every message is one line ending in \"\\n\")",
				p.other(), quote(string(b)), wait)
		case len(b) > 0:
			return "", fmt.Errorf("%s sent %s and then closed the connection, without a \"\\n\" after it", p.other(), quote(string(b)))
		case errors.Is(err, os.ErrDeadlineExceeded):
			return "", fmt.Errorf("nothing came within %v", wait)
		case isClosed(err):
			return "", fmt.Errorf("%s %w", p.other(), errClosed)
		}
		return "", err
	}
}

// expect reads lines until one equals want, passing over the lines pass
// accepts (nil: none); any other line fails the check.
func (p *linePeer) expect(want string, pass func(string) bool) {
	p.expectMatch(quote(want), func(l string) bool { return l == want }, pass)
}

// expectMatch is expect with a test for the line wanted, described by what.
func (p *linePeer) expectMatch(what string, match func(string) bool, pass func(string) bool) string {
	var passed []string
	for {
		l, err := p.line()
		if err != nil {
			p.c.Fatalf("%s expected %s: %v%s", p.who, what, err, passedOver(passed))
		}
		if match(l) {
			return l
		}
		if pass != nil && pass(l) {
			passed = append(passed, l)
			continue
		}
		p.c.Fatalf("%s expected %s, got %s", p.who, what, quote(l))
	}
}

// passedOver tells, for a reason, what a wait passed over: the last few.
func passedOver(lines []string) string {
	const shown = 3
	if len(lines) == 0 {
		return ""
	}
	var q []string
	if len(lines) > shown {
		q = append(q, fmt.Sprintf("%d others, then", len(lines)-shown))
		lines = lines[len(lines)-shown:]
	}
	for _, l := range lines {
		q = append(q, quote(l))
	}
	return " (before that it got " + strings.Join(q, ", ") + ")"
}

// expectClosed waits for the server to close the connection, reading
// whatever lines come first.
func (p *linePeer) expectClosed(after string) {
	p.conn.SetReadDeadline(deadline(p.c, wait))
	_, err := io.Copy(io.Discard, p.r)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		p.c.Fatalf("%s did not close the connection within %v after %s", p.other(), wait, after)
	}
}

// isClosed reports whether err is how a stream ends when the peer closes
// it: an end, or a reset.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
