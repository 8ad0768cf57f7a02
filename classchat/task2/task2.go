// Package task2 is ClassChat's second task: the client of task 1, with one
// thread instead of two.
//
// A chat client waits for two things at once: a line typed by its user,
// and a line sent by the server. Either may come first, and whichever it
// is must be handled at once. Task 1's client does the simplest thing: a
// goroutine per direction, each blocked in its own read. This client has
// a single thread of control, and one place where it blocks: poll(2),
// which sleeps on the terminal and the socket together and wakes up when
// either has something to read. Then it reads from the one that is ready
// (a read that cannot block, since the kernel said there was data or an
// end), acts on it, and goes back to poll. That loop is the whole client:
// Chat runs it on the caller's goroutine and starts no other.
//
// To show the mechanism rather than hide it, the client talks to the
// kernel directly through golang.org/x/sys/unix: it makes its socket with
// socket(2) and connect(2), and reads and writes plain file descriptors.
// (The net package would use the Go runtime's own poller, epoll on Linux,
// behind goroutines that seem to block: the same idea, out of sight.)
//
// Like every ClassChat text stage, the client frames each message as one
// line ending in "\n", at most cc.MaxLine bytes: TCP delivers a stream of
// bytes, not messages, so a read may return half a line, or three. The
// client keeps the start of a line across reads, and shows or sends a line
// only once its "\n" has arrived.
//
// How a session ends:
//   - the user types exit or /quit (or the input ends, which counts as
//     exit): exit is sent, the sending half of the connection is shut, and the
//     client keeps showing what the server says for at most LastWords, so
//     that task 3's "Goodbye! Disconnecting..." is seen; Chat returns nil;
//   - the server sends the line exit (task 1's operator quit): shown,
//     followed by "[Server typed exit]"; Chat returns nil;
//   - the server closes the connection: "[Server closed the connection]"
//     is shown and Chat returns ErrClosed (the client's exit status 14,
//     as every ChatLab client's when the server goes away: task 3's
//     server closes after "Server is shutting down."); a connection reset
//     or a line over cc.MaxLine is an error too.
//
// Each line the user sends is shown as well, as "you: hello".
package task2

import (
	"bytes"
	"io"
	"os"
	"time"
)

// Timings and sizes of the client.
const (
	// ConnectTimeout bounds the wait for the server to accept the
	// connection.
	ConnectTimeout = 5 * time.Second
	// LastWords is how long the client keeps listening after it sent
	// exit, for the server's last lines and its closing of the
	// connection.
	LastWords = 2 * time.Second
	// readSize is the buffer of one read(2), from either descriptor.
	readSize = 4096
)

// Lines the client shows about the session itself; the rest of what it
// shows is what the server sent, as it came but for the characters that
// could drive the terminal (see session.show).
const (
	ServerExited      = "[Server typed exit]"
	ServerClosed      = "[Server closed the connection]"
	ServerLineTooLong = "[Server sent a line over %d bytes; closing]"
	TypedLineTooLong  = "[Line not sent: a line is at most %d bytes, its newline included]"
)

// Chat connects to the server at addr (host:port; the host may be a name
// or an IPv4 or IPv6 address) and runs the session on the calling
// goroutine: one loop that polls in and the connection together, shows
// each line the server sends on out, and sends each non-blank line read
// from in. It returns when the session ends (see the package
// documentation): nil after exit (typed, or from the server), ErrClosed
// if the server closed the connection first, another error if the
// connection cannot be made or fails, or the server breaks the line limit.
//
// in must be something poll(2) can wait on: a terminal, a pipe, a socket
// or a file. Chat puts its descriptor in blocking mode, and does not close
// it. out is written only from the calling goroutine, one whole line per
// Write.
func Chat(addr string, in *os.File, out io.Writer) error {
	if in == nil {
		return ErrNoInput
	}
	return chat(addr, in, out)
}

// splitter cuts a stream that arrives in pieces into lines of at most max
// bytes, "\n" included. It keeps the start of a line that has not ended
// across calls, and never holds more than max bytes.
type splitter struct {
	max      int
	pending  []byte // the start of a line whose "\n" has not come yet
	skipping bool   // dropping the rest of a line that was too long
}

func newSplitter(max int) *splitter {
	return &splitter{max: max, pending: make([]byte, 0, max)}
}

// split feeds p to the splitter, and calls fn for each line it completes:
// with the line, without its "\n" or "\r\n" (valid only during the call),
// or with tooLong set for a line over the limit, whose bytes are dropped
// up to its "\n". It stops early, leaving the rest of p unread, when fn
// returns false.
func (s *splitter) split(p []byte, fn func(line []byte, tooLong bool) bool) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if s.skipping {
			if i < 0 {
				return
			}
			s.skipping = false
			p = p[i+1:]
			continue
		}
		if i < 0 {
			// No end yet. If the line already fills the limit, its "\n"
			// cannot fit: it is too long, and known to be so now.
			if len(s.pending)+len(p) >= s.max {
				s.pending = s.pending[:0]
				s.skipping = true
				fn(nil, true)
				return
			}
			s.pending = append(s.pending, p...)
			return
		}
		if len(s.pending)+i+1 > s.max {
			s.pending = s.pending[:0]
			p = p[i+1:]
			if !fn(nil, true) {
				return
			}
			continue
		}
		line := p[:i]
		if len(s.pending) > 0 {
			line = append(s.pending, line...)
			s.pending = line[:0]
		}
		p = p[i+1:]
		if !fn(bytes.TrimSuffix(line, []byte("\r")), false) {
			return
		}
	}
}

// flush returns the start of a line the stream ended in the middle of,
// as it is (valid until the next call), and empties the splitter.
func (s *splitter) flush() []byte {
	if s.skipping {
		s.skipping = false
		return nil
	}
	line := s.pending
	s.pending = s.pending[:0]
	return line
}
