// Package cc holds what every ClassChat stage shares and none teaches: the
// default address, the line framing, a display that several goroutines
// may write to, and the binaries' command line.
package cc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"chatlab/shared/netfail"
)

// Defaults and limits of every stage.
const (
	DefaultHost = "127.0.0.1"
	DefaultPort = 12345
	// MaxLine bounds a text line (tasks 1–3), its newline included. The
	// original sent raw chunks of up to 1024 bytes; ours frames every
	// message as a line, so two messages can never merge into one.
	MaxLine = 4096
	// DefaultLoginTimeout is the time a server of task 4 on gives a
	// connection to answer its username prompt (--login-timeout).
	DefaultLoginTimeout = 10 * time.Second
	// ConnectTimeout bounds the wait for the server to accept a client's
	// connection.
	ConnectTimeout = 5 * time.Second
	// Exit is the word that ends a session, on either side: typed, and
	// on the wire.
	Exit = "exit"
	// Quit is typed to leave as well, as in every ChatLab client; the wire
	// still carries Exit.
	Quit = "/quit"
)

// IsExit reports whether a line received asks to end the session.
func IsExit(line string) bool { return strings.EqualFold(strings.TrimSpace(line), Exit) }

// IsQuit reports whether a typed line asks to leave: exit or /quit.
func IsQuit(line string) bool {
	return IsExit(line) || strings.EqualFold(strings.TrimSpace(line), Quit)
}

// Own is how a client shows a line its user sent: "you: hi", or
// "you → bob: hi" for a line to someone (a user, or "#group").
func Own(to, text string) string {
	if to == "" {
		return "you: " + text
	}
	return "you → " + to + ": " + text
}

// Display serialises whole lines written from several goroutines.
type Display struct {
	mu sync.Mutex
	w  io.Writer
}

// NewDisplay returns a display writing to w.
func NewDisplay(w io.Writer) *Display { return &Display{w: w} }

// Println writes one line.
func (d *Display) Println(a ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintln(d.w, a...)
}

// Printf writes one formatted line (a newline is added).
func (d *Display) Printf(format string, a ...any) {
	d.Println(fmt.Sprintf(format, a...))
}

// WriteLine sends one line of text on conn: the text and "\n".
func WriteLine(conn net.Conn, text string) error {
	_, err := io.WriteString(conn, text+"\n")
	return err
}

// Why says why a server's reads from a client ended, for its log: a
// close the session expects (the client closed or reset the connection,
// or the server closed it to stop) in words, and any other error as it
// is. The log then shows no "use of closed network connection".
func Why(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("closed by the client")
	case errors.Is(err, net.ErrClosed):
		return errors.New("closed by the server")
	case netfail.IsReset(err):
		return errors.New("reset by the client")
	}
	return err
}

// Limits are a server's limits that its flags may change; a zero field
// keeps the stage's default.
type Limits struct {
	// LoginTimeout bounds the time to answer the username prompt (task
	// 4 on; --login-timeout).
	LoginTimeout time.Duration
}
