// Package cctest holds test helpers for the ClassChat stages.
package cctest

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chatlab/classchat/task4"
	"chatlab/shared/chattest"
)

// Peer is a raw client of a JSON ClassChat server (task 4 and later): it
// writes exactly the bytes it is given and reads the server's objects, one
// a line.
type Peer struct {
	t    testing.TB
	Conn net.Conn
	r    *bufio.Reader
	// Timeout bounds each read and write (default chattest.Timeout); a
	// test moving megabytes under -race gives it more.
	Timeout time.Duration
}

// Dial connects and reads the username prompt.
func Dial(t testing.TB, addr string) *Peer {
	t.Helper()
	return DialFrom(t, addr, "")
}

// DialFrom is Dial from the local IP address from (another loopback
// address, 127.0.0.2, for a second machine), or any if from is "".
func DialFrom(t testing.TB, addr, from string) *Peer {
	t.Helper()
	var d net.Dialer
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	conn, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	p := &Peer{t: t, Conn: conn, r: bufio.NewReader(conn), Timeout: chattest.Timeout}
	conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	prompt := make([]byte, len(task4.Prompt))
	_, err = io.ReadFull(p.r, prompt)
	require.NoError(t, err)
	require.Equal(t, task4.Prompt, string(prompt), "the prompt, with no newline")
	return p
}

// Write sends s as it is.
func (p *Peer) Write(s string) {
	p.t.Helper()
	p.Conn.SetWriteDeadline(time.Now().Add(p.Timeout))
	_, err := p.Conn.Write([]byte(s))
	require.NoError(p.t, err)
}

// Line returns the next object's line; every object ends with a newline.
func (p *Peer) Line() []byte {
	p.t.Helper()
	p.Conn.SetReadDeadline(time.Now().Add(p.Timeout))
	line, err := p.r.ReadBytes('\n')
	require.NoError(p.t, err, "got %q", line)
	return line
}

// Next decodes the next object as a task 4 reply.
func (p *Peer) Next() task4.Reply {
	p.t.Helper()
	var r task4.Reply
	line := p.Line()
	require.NoError(p.t, json.Unmarshal(line, &r), "line %q", line)
	return r
}

// Decode decodes the next object into v.
func (p *Peer) Decode(v any) {
	p.t.Helper()
	line := p.Line()
	require.NoError(p.t, json.Unmarshal(line, v), "line %q", line)
}

// ExpectClosed fails unless the server closes the connection.
func (p *Peer) ExpectClosed() {
	p.t.Helper()
	p.Conn.SetReadDeadline(time.Now().Add(p.Timeout))
	_, err := p.r.ReadByte()
	require.Error(p.t, err, "the server should have closed the connection")
}

// Client runs our task 4 client code (with cfg's name and the stage's
// hooks) against addr in the test's process, and returns what it shows
// and where to type; both end at cleanup. It returns once the welcome is
// on the screen.
func Client(t *testing.T, addr string, cfg task4.ClientConfig) (screen *chattest.Output, typing io.Writer) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	in, w := io.Pipe()
	screen = chattest.NewOutput()
	cfg.In, cfg.Out = in, screen
	go task4.RunClient(t.Context(), conn, cfg)
	t.Cleanup(func() { w.Close(); conn.Close() })
	screen.WaitFor(t, "Welcome "+cfg.Name+"!")
	return screen, w
}
