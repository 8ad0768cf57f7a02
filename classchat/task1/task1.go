// Package task1 is ClassChat's first task: one server, one client, and a
// person at each end. Each side greets, then relays lines both ways until
// either types exit. The client and the server operator each need to wait
// for two things at once (what they type, and what arrives), and here each
// does it the simplest way: one goroutine per direction. (Task 2 does it
// with one thread and poll(2).)
package task1

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/framing"
)

// lastWords is how long a side that typed exit waits for the other's
// last lines.
const lastWords = 2 * time.Second

// ErrClosed is returned by Chat when the server closed the connection
// without typing exit (task 3's server does so when it stops). It wraps
// io.EOF.
var ErrClosed = fmt.Errorf("the server closed the connection: %w", io.EOF)

// Greeting is the acknowledgment the server sends a client on connection.
const Greeting = "Connection established. Welcome to ClassChat Server!"

// Serve accepts one client on l (then closes l: task 1 serves one client),
// sends it the greeting, and relays lines between it and the operator,
// who types on op and reads out, until either types exit, the client goes
// away, the operator's input ends, or ctx ends.
func Serve(ctx context.Context, l net.Listener, op io.Reader, out io.Writer) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	conn, err := l.Accept()
	stop()
	l.Close()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	defer conn.Close()
	d := cc.NewDisplay(out)
	d.Printf("[SERVER] Client connected from %s", conn.RemoteAddr())
	if err := cc.WriteLine(conn, Greeting); err != nil {
		return err
	}
	d.Println("[SERVER] Acknowledgment sent. Type a line to send it; 'exit' or /quit to quit.")
	err = relay(ctx, conn, op, d, side{prefix: "[CLIENT] ", peer: "Client", bye: ShuttingDown, tooLong: TooLong, stalled: Stalled})
	if errors.Is(err, io.EOF) || errors.Is(err, framing.ErrLineTooLong) || errors.Is(err, framing.ErrFrameTimeout) {
		// The client left, or was sent away for a line over the limit
		// or not finished in time: the session is over, as it should be.
		return nil
	}
	return err
}

// Texts the server sends its client as it ends the session.
const (
	// ShuttingDown tells the client the server was stopped (SIGINT or
	// SIGTERM).
	ShuttingDown = "Server is shutting down."
	// TooLong tells the client its line was over cc.MaxLine (4096 bytes,
	// as it says): its end is not known, so the session ends.
	TooLong = "A line is at most 4096 bytes; disconnecting."
	// Stalled tells the client it began a line and did not finish it
	// in time (framing.DefaultFrameTimeout without progress, or below
	// framing.DefaultMinRate).
	Stalled = "A line was begun but not finished in time; disconnecting."
)

// byeWait bounds the write of a last line to the peer.
const byeWait = time.Second

// side is one end of a relay: how it shows the peer's lines, and what it
// tells the peer as it ends the session (the server's end).
type side struct {
	prefix  string // before each line received
	peer    string // "Client" or "Server"
	bye     string // to the peer when ctx ends, if set
	tooLong string // to the peer after a line over the limit, if set
	stalled string // to the peer after a line not finished in time, if set
}

// Chat is the client's side: it relays lines between the server on conn
// and the user, who types on in and reads out, until either types exit
// (the user may type /quit instead: exit is sent), the server goes away
// (ErrClosed), the user's input ends, or ctx ends. What the user sends is
// shown too ("you: hi").
func Chat(ctx context.Context, conn net.Conn, in io.Reader, out io.Writer) error {
	return relay(ctx, conn, in, cc.NewDisplay(out), side{peer: "Server"})
}

// relay runs the two directions: a goroutine shows what arrives on conn
// (each line after the side's prefix), while this one sends what is typed.
func relay(ctx context.Context, conn net.Conn, typed io.Reader, d *cc.Display, s side) error {
	prefix, peer := s.prefix, s.peer
	stop := context.AfterFunc(ctx, func() {
		if s.bye != "" {
			lastLine(conn, s.bye)
		}
		conn.Close()
	})
	defer stop()
	defer conn.Close() // the session is over either way

	// leaving is set once exit is sent: the other side's close is then
	// the answer, not a failure.
	var leaving atomic.Bool
	received := make(chan error, 1)
	go func() {
		// A line begun must be finished in time (the default frame
		// time); between lines the peer may be idle as long as it likes.
		in := cc.Limits{}.Reader(conn, nil)
		lines := framing.NewLineReader(in, cc.MaxLine)
		for {
			line, err := lines.ReadLine()
			if err != nil && leaving.Load() {
				received <- nil
				return
			}
			if err != nil {
				received <- err
				return
			}
			d.Println(prefix + string(line))
			if cc.IsExit(string(line)) {
				d.Printf("[%s typed exit]", peer)
				received <- nil
				return
			}
		}
	}()

	sent := make(chan error, 1)
	go func() {
		in := framing.NewLineReader(typed, 1<<20)
		for {
			raw, err := in.ReadLine()
			if err != nil && !errors.Is(err, framing.ErrLineTooLong) {
				// The end of input ends the session as exit does.
				leaving.Store(true)
				sent <- cc.WriteLine(conn, cc.Exit)
				return
			}
			line := string(raw)
			switch {
			case err != nil || len(line)+1 > cc.MaxLine:
				d.Printf("[a line is at most %d bytes; that one was not sent]", cc.MaxLine-1)
				continue
			case line == "":
				continue
			case cc.IsQuit(line):
				leaving.Store(true)
				sent <- cc.WriteLine(conn, cc.Exit)
				return
			}
			if err := cc.WriteLine(conn, line); err != nil {
				sent <- err
				return
			}
			d.Println(cc.Own("", line))
		}
	}()

	select {
	case err := <-received:
		if errors.Is(err, io.EOF) {
			d.Printf("[%s closed the connection]", peer)
			return ErrClosed
		}
		if errors.Is(err, framing.ErrLineTooLong) {
			d.Printf("[%s sent a line over %d bytes; closing]", peer, cc.MaxLine)
			if s.tooLong != "" {
				lastLine(conn, s.tooLong)
				drain(conn)
			}
		}
		if errors.Is(err, framing.ErrFrameTimeout) {
			d.Printf("[%s began a line and did not finish it in time; closing]", peer)
			if s.stalled != "" {
				lastLine(conn, s.stalled)
			}
		}
		return err
	case err := <-sent:
		// Let the other side answer (the task 3 server says goodbye) and
		// close, for a little while.
		if hc, ok := conn.(interface{ CloseWrite() error }); ok {
			hc.CloseWrite()
			select {
			case <-received:
			case <-time.After(lastWords):
			}
		}
		return err
	}
}

// lastLine writes a last line to the peer, waiting at most byeWait.
func lastLine(conn net.Conn, text string) {
	conn.SetWriteDeadline(time.Now().Add(byeWait))
	cc.WriteLine(conn, text)
}

// maxDrain bounds what drain reads.
const maxDrain = 1 << 20

// drain ends the sending side and reads what the peer still sends (the
// rest of a line too long), for byeWait at most: closing a connection
// with unread data resets it, and the reset may discard the last line
// before the peer reads it.
func drain(conn net.Conn) {
	if hc, ok := conn.(interface{ CloseWrite() error }); ok {
		hc.CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(byeWait))
	io.Copy(io.Discard, io.LimitReader(conn, maxDrain))
}
