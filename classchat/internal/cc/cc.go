// Package cc holds what every ClassChat stage shares and none teaches: the
// default address, the line framing, a display that several goroutines
// may write to and that prints nothing a peer could drive the terminal
// with, and the binaries' command line.
package cc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"chatlab/shared/flow"
	"chatlab/shared/framing"
	"chatlab/shared/netfail"
	"chatlab/shared/safetext"
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

// Display serialises whole lines written from several goroutines, and
// cleans each (safetext.CleanLines): a control or invisible character, or
// a byte that is not UTF-8, is shown as U+FFFD, on a terminal or not. A
// line may hold several: the newlines of the program's own text are kept,
// so a peer's text goes through safetext.Clean first, which shows
// its newlines as "↵", so that it cannot start a line of its own.
type Display struct {
	mu sync.Mutex
	w  io.Writer
}

// NewDisplay returns a display writing to w.
func NewDisplay(w io.Writer) *Display { return &Display{w: w} }

// Println writes one line.
func (d *Display) Println(a ...any) {
	line := safetext.CleanLines(strings.TrimSuffix(fmt.Sprintln(a...), "\n"))
	d.mu.Lock()
	defer d.mu.Unlock()
	io.WriteString(d.w, line+"\n")
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
// keeps its default.
type Limits struct {
	// LoginTimeout bounds the time to answer the username prompt (task
	// 4 on; --login-timeout; default DefaultLoginTimeout).
	LoginTimeout time.Duration
	// FrameTimeout bounds a line or an object once it has begun to
	// arrive: it may go this long without a byte, and must average
	// MinRate after this long (framing.Limits; --frame-timeout; default
	// framing.DefaultFrameTimeout; negative: none).
	FrameTimeout time.Duration
	// MinRate is the least average rate of a line or an object, in bytes
	// a second (default framing.DefaultMinRate).
	MinRate int
	// ReadBudget bounds the bytes held, server-wide, in lines and objects
	// partly read (--read-budget; default DefaultReadBudget; negative:
	// none).
	ReadBudget int64
	// Flow is each connection's inbound flow control (--msg-rate,
	// --msg-burst, --byte-rate, --byte-burst; nil: the stage's default,
	// DefaultFlow or FileFlow).
	Flow *flow.Limit
}

// Limits of the stages built on these defaults.
const (
	// DefaultReadBudget is the bytes a server holds at most, all
	// connections together, in lines and objects partly read
	// (--read-budget): eighteen files of the 10 MiB limit (14 MiB in
	// base64) arriving at once. A connection whose read would pass it is
	// told the server is busy, and closed.
	DefaultReadBudget = 256 << 20
	// DefaultByteRate is the bytes a second a connection of a stage
	// without files (task 3, task 4, bonus 1) may send once its burst is
	// spent (--byte-rate): the server reads no faster, so TCP slows the
	// sender down. It is four times ChatProto's, so that one client of
	// the lab's grader sends its 16 MiB to a client that reads nothing in
	// about 8 seconds, well within its check's time. Two flooders of
	// 4 KiB messages send a reader 1.6 MB a second (the message rate
	// binds first), one of 60 000-byte messages 2 MiB: our clients read
	// that even built with -race on a busy machine (see docs/limits.md).
	DefaultByteRate = 2 << 20
	// DefaultByteBurst is the bytes a connection of a stage without files
	// (task 3, task 4, bonus 1) may send at once (--byte-burst): four
	// objects of 64 KiB, a quarter of the 1 MiB a receiver's queue holds
	// (outbox.DefaultMaxBytes), so that three flooders bursting to one
	// reader at once still fit in its queue, and it is not cut off as a
	// slow consumer. A larger object still passes: it waits for the whole
	// burst, and the next ones pay its debt.
	DefaultByteBurst = 256 << 10
	// FileByteBurst is the bytes a connection of a stage with files
	// (bonus 2, bonus 3) may send at once (--byte-burst): one whole file
	// of the 10 MiB limit, in base64, with room for the messages around
	// it. Its receivers' queues hold two such files; the next file waits
	// for the bytes to come back at FileByteRate.
	FileByteBurst = 16 << 20
	// FileByteRate is DefaultByteRate for the stages with files, whose
	// bursts are large: the 14 MiB of a file of the 10 MiB limit, in
	// base64, come back in 14 seconds.
	FileByteRate = 1 << 20
)

// DefaultFlow is each connection's inbound flow control in the stages
// without files (task 3, task 4, bonus 1): ChatLab's messages a second
// (flow.DefaultRate, flow.DefaultBurst at once), and the bytes of
// DefaultByteRate and DefaultByteBurst. A person typing never comes near
// it; a script sending flat out is slowed to it, so that the clients it
// sends to keep up and are not cut off as slow consumers.
var DefaultFlow = flow.Limit{Rate: flow.DefaultRate, Burst: flow.DefaultBurst,
	ByteRate: DefaultByteRate, ByteBurst: DefaultByteBurst}

// FileFlow is DefaultFlow for the stages with files (bonus 2, bonus 3):
// FileByteRate, and a burst of FileByteBurst, so that one file goes
// through at once.
var FileFlow = flow.Limit{Rate: flow.DefaultRate, Burst: flow.DefaultBurst,
	ByteRate: FileByteRate, ByteBurst: FileByteBurst}

// NewBudget returns the server-wide read budget the limits give (nil:
// none).
func (l Limits) NewBudget() *framing.Budget {
	switch {
	case l.ReadBudget < 0:
		return nil
	case l.ReadBudget == 0:
		return framing.NewBudget(DefaultReadBudget)
	}
	return framing.NewBudget(l.ReadBudget)
}

// Reader returns a reader of conn held to the limits: frame time and the
// server's budget. Call its Release when the session ends.
func (l Limits) Reader(conn io.Reader, budget *framing.Budget) *framing.Reader {
	in := framing.NewReader(conn)
	in.SetLimits(framing.Limits{FrameTimeout: l.FrameTimeout, MinRate: l.MinRate, Budget: budget})
	return in
}

// Bucket returns a connection's flow control bucket (nil: none): Flow's,
// or def's if the limits have none.
func (l Limits) Bucket(def flow.Limit) *flow.Bucket {
	if l.Flow == nil {
		return flow.New(def)
	}
	return flow.New(*l.Flow)
}
