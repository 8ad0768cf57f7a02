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

// Run logs in and chats until the user quits (/quit or the end of input),
// the server ends the session, or ctx ends. It returns nil when the user
// quit.
func (c *Client) Run(ctx context.Context) error {
	in := bufio.NewReader(c.cfg.In)
	conn, dec, err := c.connect(ctx, in)
	if err != nil {
		return err
	}
	defer conn.Close()

	readDone := make(chan error, 1)
	go func() { readDone <- c.readLoop(dec) }()
	inputDone := make(chan error, 1)
	go func() { inputDone <- c.inputLoop(in, conn) }()

	select {
	case err := <-readDone:
		if errors.Is(err, io.EOF) {
			c.show("*** the server closed the connection", styleError)
			return ErrServerClosed
		}
		c.show(fmt.Sprintf("*** connection lost: %v", err), styleError)
		return fmt.Errorf("%w: %w", ErrServerClosed, err)
	case err := <-inputDone:
		// Let the server answer what was sent before the end: it closes
		// when it sees ours.
		if hc, ok := conn.(interface{ CloseWrite() error }); ok {
			hc.CloseWrite()
			select {
			case <-readDone:
			case <-time.After(quitWait):
			}
		}
		if errors.Is(err, errQuit) || errors.Is(err, io.EOF) {
			return nil
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// connect dials and logs in, asking for another name while the server
// refuses the one given (if AskName).
func (c *Client) connect(ctx context.Context, in *bufio.Reader) (net.Conn, proto.Decoder, error) {
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
		line, rerr := in.ReadString('\n')
		name = trimEOL(line)
		if name == "" && rerr != nil {
			return nil, nil, err
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

// inputLoop reads typed lines and acts on them until /quit, the end of
// input, or a failed send.
func (c *Client) inputLoop(in *bufio.Reader, conn net.Conn) error {
	for {
		line, err := in.ReadString('\n')
		if line = trimEOL(line); line != "" {
			if herr := c.handleLine(conn, line); herr != nil {
				return herr
			}
		}
		if err != nil {
			return err
		}
	}
}

// handleLine sends a typed line as a room message, or runs the command it
// names.
func (c *Client) handleLine(conn net.Conn, line string) error {
	if !strings.HasPrefix(line, "/") || strings.HasPrefix(line, "//") {
		m := proto.Message{Kind: proto.KindRoomMsg, Text: strings.TrimPrefix(line, "/")}
		if c.refused(&m) {
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
	args, ok := splitArgs(rest, cmd.NArgs, cmd.Rest)
	if !ok {
		c.show(fmt.Sprintf("!!! usage: %s %s", cmd.Name, cmd.Args), styleError)
		return nil
	}
	m := cmd.Build(args)
	if c.refused(&m) {
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

// refused reports whether Validate refuses m, showing why.
func (c *Client) refused(m *proto.Message) bool {
	err := c.validate(m)
	if err == nil {
		return false
	}
	c.show("!!! "+err.(*InvalidError).Problem+"; nothing was sent", styleError)
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

// show writes one time-stamped display line.
func (c *Client) show(line string, st style) {
	c.write(stamp(c.cfg.Now(), line, st, c.cfg.Color) + "\n")
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
