// Package chatclient is the ChatProto client's core, free of the terminal:
// it reads typed lines from an io.Reader, shows the chat on an io.Writer,
// and speaks to the server through any proto.Codec. The binaries in cmd/
// wire it to a line editor or to plain standard input and output.
//
// If the writer has a SetPrompt(string) method (the terminal console
// does), the client keeps the prompt showing the user and room.
package chatclient

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"chatlab/chat-v1/proto"
)

// How long the client waits for the server: for the reply to LOGIN, and
// after /quit for the answers to what was sent before it.
const (
	DefaultLoginWait = 10 * time.Second
	quitWait         = 2 * time.Second
	// joinWait bounds how long the next prompt waits for the reply to
	// /join, so that it shows the new room.
	joinWait = 2 * time.Second
)

// Config sets up a client.
type Config struct {
	Username string
	Codec    proto.Codec
	// Dial opens the connection to the server. If the connection has a
	// CloseWrite method (*net.TCPConn and *tls.Conn do), the end of input
	// half-closes it and waits for the server's answers to what was sent.
	Dial func(ctx context.Context) (net.Conn, error)
	In   io.Reader // typed lines
	Out  io.Writer // display lines; each Write is whole lines
	// AskName makes a refused log-in (name taken or invalid) ask for
	// another name on In instead of ending Run. Set it when a person is
	// typing.
	AskName bool
	// Color marks private messages, notices and errors with colours.
	Color bool
	// Now stamps display lines; nil is time.Now.
	Now func() time.Time
	// LoginWait bounds the wait for the log-in reply (default
	// DefaultLoginWait).
	LoginWait time.Duration
	// Validate, if set, checks every message before it is sent, LOGIN
	// included (before dialling). A message it refuses is not sent: its
	// error is shown (or, for LOGIN, returned from Run, or answered by
	// asking for another name).
	Validate func(m *proto.Message) error
	// About, if set, gives lines to show about each new connection, before
	// the log-in (v4: the TLS version, cipher suite and certificate).
	About func(conn net.Conn) []string
	// Trace shows every message sent and received as it travels: a JSON
	// line as it is, a binary frame field by field with a hex dump.
	Trace bool
	// ExplainError, if set, words an ERROR_MSG from the server for the
	// user, in place of the server's own text.
	ExplainError func(m *proto.Message) string
	// Reconnect, if set, connects again when the connection is lost
	// (not after /quit), logs in with the same name and goes back to the
	// room the user was in.
	Reconnect *Backoff
	// Fatal, if set, tells a failed re-connection that trying again is
	// pointless (a TLS certificate that does not verify, another
	// protocol); a refused or invalid name always is.
	Fatal func(err error) bool
}

// Backoff is how a client re-connects: it waits First, doubling up to
// Max, each wait stretched or shrunk at random by up to Jitter (a
// fraction), and gives up after Attempts failed attempts.
type Backoff struct {
	First, Max time.Duration
	Jitter     float64
	Attempts   int
	// Rand returns a number in [0, 1); nil is math/rand/v2's.
	Rand func() float64
}

// Re-connection defaults: 1 s, 2 s, 4 s, ... 30 s, give or take a fifth,
// and 8 attempts (about two minutes) before giving up.
const (
	DefaultReconnectFirst    = time.Second
	DefaultReconnectMax      = 30 * time.Second
	DefaultReconnectJitter   = 0.2
	DefaultReconnectAttempts = 8
)

// DefaultBackoff is the re-connection the binaries use, with the given
// number of attempts.
func DefaultBackoff(attempts int) *Backoff {
	return &Backoff{First: DefaultReconnectFirst, Max: DefaultReconnectMax,
		Jitter: DefaultReconnectJitter, Attempts: attempts}
}

// wait is the k-th wait (k from 1).
func (b *Backoff) wait(k int) time.Duration {
	d := b.First
	for i := 1; i < k && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	rnd := b.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	return time.Duration(float64(d) * (1 + b.Jitter*(2*rnd()-1)))
}

// Client is one chat session.
type Client struct {
	cfg   Config
	outMu sync.Mutex

	mu      sync.Mutex // guards what follows: the reader and the input loop share it
	name    string
	room    string
	pending []pendingText
	joining chan struct{} // closed when the reply to /join arrives
	users   map[string]bool
	rooms   map[string]bool
	unsent  bool // a line typed while reconnecting was lost (input loop only)
}

// pendingText is a text sent and not yet acknowledged. The server answers
// a connection's messages in order, so acks, delivery reports and text
// errors come back in the order the texts went out.
type pendingText struct {
	kind proto.Kind
	from string
	text string
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LoginWait <= 0 {
		cfg.LoginWait = DefaultLoginWait
	}
	return &Client{cfg: cfg, users: make(map[string]bool), rooms: make(map[string]bool)}
}

// errQuit ends the input loop on /quit.
var errQuit = errors.New("quit")

// lineReader reads typed lines one at a time, on request, on a goroutine
// of its own, so that the client can wait for a line and for the server
// at once. A line is read only when asked for: the line editor shows its
// prompt only when the client is ready for the line (after /join, with
// the new room's name).
type lineReader struct {
	in      *bufio.Reader
	ask     chan struct{}
	lines   chan typed
	started bool
	asked   bool
}

type typed struct {
	line string
	err  error
}

func newLineReader(in io.Reader) *lineReader {
	return &lineReader{in: bufio.NewReader(in), ask: make(chan struct{}), lines: make(chan typed, 1)}
}

// next asks for the next line, if not asked yet, and returns where it
// will come.
func (r *lineReader) next() <-chan typed {
	if !r.started {
		r.started = true
		go func() {
			var end error // once the input has ended, every ask gets it
			for range r.ask {
				if end != nil {
					r.lines <- typed{err: end}
					continue
				}
				line, err := r.in.ReadString('\n')
				end = err
				r.lines <- typed{line, err}
			}
		}()
	}
	if !r.asked {
		r.asked = true
		r.ask <- struct{}{}
	}
	return r.lines
}

// got notes that the line asked for has been taken.
func (r *lineReader) got() { r.asked = false }

// Run logs in and chats until the user quits (/quit or the end of input),
// the server ends the session (and, with Reconnect, re-connecting fails),
// or ctx ends. It returns nil when the user quit.
func (c *Client) Run(ctx context.Context) error {
	in := newLineReader(c.cfg.In)
	defer close(in.ask) // the reader ends once its read, if any, returns
	conn, dec, err := c.connect(ctx, in)
	if errors.Is(err, errQuit) {
		return nil // the end of input at the name prompt
	}
	if err != nil {
		return err
	}
	for {
		lost := c.session(ctx, in, conn, dec)
		if lost == nil || !errors.Is(lost, ErrServerClosed) || c.cfg.Reconnect == nil {
			return lost
		}
		conn, dec, err = c.reconnect(ctx, in, lost)
		if errors.Is(err, errQuit) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// session chats on conn until the user quits (nil), the connection is
// lost (an error wrapping ErrServerClosed) or ctx ends.
func (c *Client) session(ctx context.Context, in *lineReader, conn net.Conn, dec proto.Decoder) error {
	defer conn.Close()
	readDone := make(chan error, 1)
	go func() { readDone <- c.readLoop(dec) }()
	lost := func(err error) error {
		if errors.Is(err, io.EOF) {
			c.show("*** the server closed the connection", styleError)
			return ErrServerClosed
		}
		c.show(fmt.Sprintf("*** connection lost: %v", err), styleError)
		return fmt.Errorf("%w: %w", ErrServerClosed, err)
	}
	for {
		select {
		case err := <-readDone:
			return lost(err)
		case t := <-in.next():
			in.got()
			err := t.err
			if line := trimEOL(t.line); line != "" {
				if herr := c.handleLine(conn, line); herr != nil {
					err = herr
				}
			}
			if err == nil {
				continue
			}
			if !errors.Is(err, errQuit) && !errors.Is(err, io.EOF) {
				// A failed send: the connection is gone; the reader
				// says how.
				return lost(<-readDone)
			}
			// Let the server answer what was sent before the end: it
			// closes when it sees ours.
			if hc, ok := conn.(interface{ CloseWrite() error }); ok {
				hc.CloseWrite()
				select {
				case <-readDone:
				case <-time.After(quitWait):
				}
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reconnect connects again after the connection was lost with lost,
// waiting longer after each failure, logs in with the same name and goes
// back to the room the user was in. It gives up, returning lost, after
// the last attempt, or at once on a failure that would only repeat.
// /quit or the end of input while it waits return errQuit.
func (c *Client) reconnect(ctx context.Context, in *lineReader, lost error) (net.Conn, proto.Decoder, error) {
	b := c.cfg.Reconnect
	c.unsent = false
	c.mu.Lock()
	name, room := c.name, c.room
	unanswered := len(c.pending)
	c.pending = nil
	c.mu.Unlock()
	if unanswered > 0 {
		c.show(fmt.Sprintf("!!! %s sent before the connection was lost may not have arrived", plural(unanswered, "message", "messages")), styleError)
	}
	for attempt := 1; attempt <= b.Attempts; attempt++ {
		wait := b.wait(attempt)
		c.setPrompt("(reconnecting)> ")
		c.show(fmt.Sprintf("*** connection lost — reconnecting in %s (attempt %d of %d)", roundWait(wait), attempt, b.Attempts), styleError)
		if err := c.pause(ctx, in, wait); err != nil {
			if errors.Is(err, errUnsent) {
				return nil, nil, lost // the input ended with lines not sent
			}
			return nil, nil, err
		}
		conn, dec, err := c.dialAndLogin(ctx, name)
		if err == nil {
			if room != "" && !strings.EqualFold(room, c.currentRoom()) {
				if err := c.sendJoin(conn, &proto.Message{Kind: proto.KindJoinRoom, Room: room}); err != nil {
					conn.Close()
					continue
				}
			}
			return conn, dec, nil
		}
		var rej *RejectError
		var inv *InvalidError
		if (errors.As(err, &rej) && rej.Reason != proto.ReasonServerFull) || errors.As(err, &inv) ||
			(c.cfg.Fatal != nil && c.cfg.Fatal(err)) {
			c.show(fmt.Sprintf("!!! cannot reconnect: %v", err), styleError)
			return nil, nil, err
		}
		c.show(fmt.Sprintf("*** attempt %d failed: %v", attempt, err), styleError)
	}
	c.show(fmt.Sprintf("!!! gave up reconnecting after %s", plural(b.Attempts, "attempt", "attempts")), styleError)
	return nil, nil, lost
}

// errUnsent ends a re-connection when the input ends after lines that
// could not be sent.
var errUnsent = errors.New("the input ended with lines not sent")

// pause waits d, or until the user quits. A line typed meanwhile is not
// sent: there is no connection. The end of input quits, as it does when
// connected, unless lines typed meanwhile were lost: then it is the lost
// connection that ends the run (a script's exit status tells).
func (c *Client) pause(ctx context.Context, in *lineReader, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return nil
		case t := <-in.next():
			in.got()
			line := trimEOL(t.line)
			if cmd := lookup(strings.Fields(line + " x")[0]); cmd != nil && cmd.Name == "/quit" {
				return errQuit
			}
			if strings.TrimSpace(line) != "" {
				c.unsent = true
				c.show("!!! not connected (reconnecting): nothing was sent", styleError)
			}
			if t.err != nil && c.unsent {
				return errUnsent
			}
			if t.err != nil {
				return errQuit
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Client) currentRoom() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.room
}

// roundWait shows a wait to a tenth of a second (a hundredth below one).
func roundWait(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// connect dials and logs in, asking for another name while the server
// refuses the one given (if AskName). The end of input at the name
// prompt returns errQuit.
func (c *Client) connect(ctx context.Context, in *lineReader) (net.Conn, proto.Decoder, error) {
	name := c.cfg.Username
	for {
		err := c.validate(&proto.Message{Kind: proto.KindLogin, Username: name})
		if err == nil {
			var conn net.Conn
			var dec proto.Decoder
			conn, dec, err = c.dialAndLogin(ctx, name)
			if err == nil {
				return conn, dec, nil
			}
		}
		var rej *RejectError
		var invalid *InvalidError
		switch {
		case !c.cfg.AskName:
			return nil, nil, err
		case errors.As(err, &rej) && rej.Reason != proto.ReasonServerFull:
			c.setPrompt("name> ")
			c.show(fmt.Sprintf("!!! %s (%s). Type another name:", clean(rej.Text), rej.Reason), styleError)
		case errors.As(err, &invalid):
			c.setPrompt("name> ")
			c.show(fmt.Sprintf("!!! %s. Type another name:", invalid.Problem), styleError)
		default:
			return nil, nil, err
		}
		var t typed
		select {
		case t = <-in.next():
			in.got()
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		name = strings.TrimSpace(trimEOL(t.line))
		if name == "" && t.err != nil {
			return nil, nil, errQuit // Ctrl-D: the user leaves
		}
	}
}

// dialAndLogin connects and logs in as name.
func (c *Client) dialAndLogin(ctx context.Context, name string) (net.Conn, proto.Decoder, error) {
	conn, err := c.cfg.Dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	if c.cfg.About != nil {
		for _, line := range c.cfg.About(conn) {
			c.show("*** "+line, styleSystem)
		}
	}
	dec, err := c.login(conn, name)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, dec, nil
}

// validate applies Config.Validate, if any.
func (c *Client) validate(m *proto.Message) error {
	if c.cfg.Validate == nil {
		return nil
	}
	if err := c.cfg.Validate(m); err != nil {
		return &InvalidError{Kind: m.Kind, Problem: err.Error()}
	}
	return nil
}

// login sends LOGIN and waits for the answer.
func (c *Client) login(conn net.Conn, name string) (proto.Decoder, error) {
	// The deadline covers the write too: over TLS the handshake happens
	// in the first write.
	conn.SetDeadline(time.Now().Add(c.cfg.LoginWait))
	if err := c.send(conn, &proto.Message{Kind: proto.KindLogin, Username: name}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoLoginReply, err)
	}
	dec := c.cfg.Codec.NewDecoder(conn, proto.ServerToClient)
	var m proto.Message
	err := dec.Decode(&m)
	c.traceReceived(dec, err)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoLoginReply, err)
	}
	conn.SetDeadline(time.Time{})
	switch m.Kind {
	case proto.KindLoginAck:
		c.mu.Lock()
		c.name, c.room = m.Username, m.Room
		c.rooms[m.Room] = true
		c.mu.Unlock()
		c.setPrompt(fmt.Sprintf("%s@%s> ", m.Username, m.Room))
		c.display(&m, nil)
		return dec, nil
	case proto.KindLoginReject:
		return nil, &RejectError{Username: name, Reason: m.Reason, Text: m.Text}
	}
	return nil, fmt.Errorf("%w: got %s", ErrNoLoginReply, m.Kind)
}

func (c *Client) send(conn net.Conn, m *proto.Message) error {
	b, err := c.cfg.Codec.Append(nil, m, proto.ClientToServer)
	if err != nil {
		return err
	}
	if c.cfg.Trace {
		c.show("→ "+proto.TraceFrame(c.cfg.Codec, b, proto.ClientToServer), styleTrace)
	}
	_, err = conn.Write(b)
	return err
}

// readLoop shows what the server sends until the connection ends.
func (c *Client) readLoop(dec proto.Decoder) error {
	var m proto.Message
	for {
		err := dec.Decode(&m)
		c.traceReceived(dec, err)
		if err != nil {
			return err
		}
		c.display(&m, c.track(&m))
	}
}

// traceReceived shows the message just decoded, if tracing, and the
// decoder can tell its bytes.
func (c *Client) traceReceived(dec proto.Decoder, err error) {
	raw, ok := dec.(proto.RawDecoder)
	var perr *proto.Error
	if !c.cfg.Trace || !ok || (err != nil && !(errors.As(err, &perr) && !perr.Fatal)) {
		return
	}
	c.show("← "+proto.TraceFrame(c.cfg.Codec, raw.Last(), proto.ServerToClient), styleTrace)
}

// track updates the client's state from a message: the current room, the
// names seen (for completion), and the text a reply answers.
func (c *Client) track(m *proto.Message) *pendingText {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Kind {
	case proto.KindRoomMsg:
		c.users[m.From] = true
		c.rooms[m.Room] = true
	case proto.KindPrivateMsg:
		c.users[m.From] = true
	case proto.KindListUsers:
		for _, u := range m.Users {
			c.users[u] = true
		}
	case proto.KindListRooms:
		for _, r := range m.Rooms {
			c.rooms[r.Name] = true
		}
	case proto.KindSystemMsg:
		// "alice joined general", "alice left general"
		if who, _, ok := strings.Cut(m.Text, " joined "); ok {
			c.users[who] = true
		}
	case proto.KindJoinRoom:
		c.room = m.Room
		c.rooms[m.Room] = true
		c.setPrompt(fmt.Sprintf("%s@%s> ", c.name, c.room))
		c.joined()
	case proto.KindRoomMsgAck, proto.KindPrivateMsgDelivery:
		return c.popPending()
	case proto.KindErrorMsg:
		switch m.Code {
		case proto.CodeEmpty, proto.CodeTooLong:
			return c.popPending()
		case proto.CodeNameInvalid:
			c.joined()
		}
	}
	return nil
}

// joined ends the wait for a reply to /join. Call with c.mu held.
func (c *Client) joined() {
	if c.joining != nil {
		close(c.joining)
		c.joining = nil
	}
}

func (c *Client) popPending() *pendingText {
	if len(c.pending) == 0 {
		return nil
	}
	p := c.pending[0]
	c.pending = c.pending[1:]
	return &p
}

// handleLine sends a typed line as a room message, or runs the command it
// names.
func (c *Client) handleLine(conn net.Conn, line string) error {
	if strings.TrimSpace(line) == "" {
		return nil // blank: nothing to send
	}
	if !strings.HasPrefix(line, "/") || strings.HasPrefix(line, "//") {
		m := proto.Message{Kind: proto.KindRoomMsg, Text: strings.TrimPrefix(line, "/")}
		if c.refused(&m, line) {
			return nil
		}
		return c.sendText(conn, &m)
	}
	word, rest, _ := strings.Cut(line, " ")
	cmd := lookup(word)
	switch {
	case cmd == nil:
		c.show(fmt.Sprintf("!!! unknown command %s; type /help for the list", clean(word)), styleError)
		return nil
	case cmd.Name == "/help":
		c.showLines(helpText())
		return nil
	case cmd.Name == "/quit":
		return errQuit
	}
	args, problem := splitArgs(rest, cmd)
	if problem != "" {
		c.show(fmt.Sprintf("!!! %s; usage: %s", problem, strings.TrimSpace(cmd.Name+" "+cmd.Args)), styleError)
		return nil
	}
	m := cmd.Build(args)
	if c.refused(&m, line) {
		return nil
	}
	switch m.Kind {
	case proto.KindPrivateMsg:
		return c.sendText(conn, &m)
	case proto.KindJoinRoom:
		return c.sendJoin(conn, &m)
	}
	return c.send(conn, &m)
}

// sendJoin sends JOIN_ROOM and waits a little for the reply, so that the
// next prompt shows the new room: a line editor cannot change the prompt
// of a line being typed.
func (c *Client) sendJoin(conn net.Conn, m *proto.Message) error {
	done := make(chan struct{})
	c.mu.Lock()
	c.joined()
	c.joining = done
	c.mu.Unlock()
	if err := c.send(conn, m); err != nil {
		return err
	}
	select {
	case <-done:
	case <-time.After(joinWait):
	}
	return nil
}

// refused reports whether Validate refuses m, typed as line, showing
// why. If the input can take the line back (the line editor's Refill), it
// does, for the user to fix and send again.
func (c *Client) refused(m *proto.Message, line string) bool {
	err := c.validate(m)
	if err == nil {
		return false
	}
	msg := "!!! " + err.(*InvalidError).Problem + "; nothing was sent"
	if r, ok := c.cfg.In.(interface{ Refill(string) }); ok {
		r.Refill(line)
		msg += " (the line is back below, to edit)"
	}
	c.show(msg, styleError)
	return true
}

// sendText sends a message whose reply (ack, delivery report or text
// error) the client pairs with the text, to show it.
func (c *Client) sendText(conn net.Conn, m *proto.Message) error {
	c.mu.Lock()
	c.pending = append(c.pending, pendingText{kind: m.Kind, from: c.name, text: m.Text})
	c.mu.Unlock()
	return c.send(conn, m)
}

func trimEOL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// display shows one message from the server.
func (c *Client) display(m *proto.Message, own *pendingText) {
	if m.Kind == proto.KindErrorMsg && c.cfg.ExplainError != nil {
		c.show("!!! "+c.cfg.ExplainError(m), styleError)
		return
	}
	line, st := describe(m, own)
	c.show(line, st)
}

// show writes one time-stamped display line. The line is cleaned as a
// whole: what describe does not clean itself (an error code, a diagnosis
// quoting the server, a certificate's names) cannot drive the terminal
// either.
func (c *Client) show(line string, st style) {
	c.write(stamp(c.cfg.Now(), clean(line), st, c.cfg.Color) + "\n")
}

// showLines writes lines as they are, with no time stamp.
func (c *Client) showLines(lines []string) {
	c.write(strings.Join(lines, "\n") + "\n")
}

func (c *Client) write(s string) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	io.WriteString(c.cfg.Out, s)
}

func (c *Client) setPrompt(p string) {
	if sp, ok := c.cfg.Out.(interface{ SetPrompt(string) }); ok {
		sp.SetPrompt(p)
	}
}
