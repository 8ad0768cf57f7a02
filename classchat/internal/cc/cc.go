// Package cc holds what every ClassChat stage shares and none teaches: the
// default address, the line framing, a display that several goroutines
// may write to, and the binaries' command line.
package cc

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// Defaults and limits of every stage.
const (
	DefaultHost = "127.0.0.1"
	DefaultPort = 12345
	// MaxLine bounds a text line (tasks 1–3), its newline included. The
	// original sent raw chunks of up to 1024 bytes; ours frames every
	// message as a line, so two messages can never merge into one.
	MaxLine = 4096
	// Exit is the word that ends a session, on either side.
	Exit = "exit"
)

// IsExit reports whether a line asks to end the session.
func IsExit(line string) bool { return strings.EqualFold(strings.TrimSpace(line), Exit) }

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
