package task4

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/framing"
)

// Client-side limits.
const (
	promptWait     = 10 * time.Second
	maxReplyObject = 16 << 20
)

var (
	// ErrClosed is returned when the server ends the session.
	ErrClosed = errors.New("the server closed the connection")
	// ErrRefused is returned when the server refused the client (a taken
	// or invalid name) and closed the connection.
	ErrRefused = errors.New("the server refused the log-in")
)

// ClientConfig sets up a task 4 client.
type ClientConfig struct {
	Name string    // if empty, asked for on In after the server's prompt
	In   io.Reader // typed lines: "<user> <message>", or "exit"
	Out  io.Writer // display lines
	// SetPrompt, if set, shows the line editor's prompt.
	SetPrompt func(string)
	// Command, if set, is offered every typed line first (a later
	// stage's commands); it returns false to leave the line to task 4.
	Command func(line string, s *Session) (bool, error)
	// Incoming, if set, is offered every object from the server first
	// (a later stage's objects, such as a file to save); it returns false
	// to leave the object to Describe.
	Incoming func(raw []byte, s *Session) bool
	// Describe, if set, renders an object first (a later stage's
	// objects); it returns false to leave the object to task 4.
	Describe func(raw []byte, self string) (string, bool)
}

// Session is what a stage's hooks may do in a client's session.
type Session struct {
	name string
	conn net.Conn
	in   *bufio.Reader
	d    *cc.Display
	wmu  sync.Mutex
}

// Name is the user's name.
func (s *Session) Name() string { return s.name }

// Println shows a line.
func (s *Session) Println(line string) { s.d.Println(line) }

// Ask shows a question and returns the next typed line.
func (s *Session) Ask(question string) (string, error) {
	s.d.Println(question)
	line, err := s.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// Send writes v as one JSON object and a newline. If the object is large
// (a file), it shows the progress as it goes.
func (s *Session) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	s.wmu.Lock()
	defer s.wmu.Unlock()
	const chunk = 256 << 10
	if len(b) <= 4*chunk {
		_, err := s.conn.Write(b)
		return err
	}
	next := 10
	for off := 0; off < len(b); off += chunk {
		if _, err := s.conn.Write(b[off:min(off+chunk, len(b))]); err != nil {
			return err
		}
		if pct := 100 * min(off+chunk, len(b)) / len(b); pct >= next {
			s.d.Printf("[SENDING] %d%% (%d of %d bytes)", pct, min(off+chunk, len(b)), len(b))
			next = pct/10*10 + 10
		}
	}
	return nil
}

// RunClient logs in on conn and chats until the user types exit (or the
// input ends), or the server closes the connection.
func RunClient(ctx context.Context, conn net.Conn, cfg ClientConfig) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	d := cc.NewDisplay(cfg.Out)
	setPrompt := func(p string) {
		if cfg.SetPrompt != nil {
			cfg.SetPrompt(p)
		}
	}
	in := bufio.NewReader(cfg.In)

	prompt, err := readPrompt(conn)
	if err != nil {
		return fmt.Errorf("waiting for the server's prompt: %w", err)
	}
	name := cfg.Name
	if name == "" {
		setPrompt(prompt)
		d.Println(strings.TrimSpace(prompt))
		line, _ := in.ReadString('\n')
		name = strings.TrimSpace(line)
	}
	if _, err := io.WriteString(conn, name+"\n"); err != nil {
		return err
	}
	setPrompt(name + "> ")

	sess := &Session{name: name, conn: conn, in: in, d: d}
	done := make(chan error, 1)
	go func() { done <- receive(sess, cfg) }()
	typed := make(chan error, 1)
	go func() { typed <- send(sess, cfg) }()
	select {
	case err := <-done:
		return err
	case err := <-typed:
		if hc, ok := conn.(interface{ CloseWrite() error }); ok {
			hc.CloseWrite()
			select {
			case rerr := <-done:
				if errors.Is(rerr, ErrRefused) {
					return rerr
				}
			case <-time.After(2 * time.Second):
			}
		}
		return err
	}
}

// readPrompt reads the server's prompt, which ends with ": " and no
// newline.
func readPrompt(conn net.Conn) (string, error) {
	conn.SetReadDeadline(time.Now().Add(promptWait))
	defer conn.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 256)
	for !strings.HasSuffix(string(got), ": ") {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return string(got), err
		}
		if len(got) > 1024 {
			return string(got), errors.New("no prompt from the server")
		}
	}
	return string(got), nil
}

// receive shows the server's objects, newline-delimited or not, until the
// connection ends.
func receive(s *Session, cfg ClientConfig) error {
	d, name, describe := s.d, s.name, cfg.Describe
	objects := framing.NewJSONReader(s.conn, maxReplyObject)
	refused := false
	for {
		obj, err := objects.Next()
		switch {
		case errors.Is(err, framing.ErrNotObject):
			continue
		case errors.Is(err, io.EOF) && refused:
			return ErrRefused
		case errors.Is(err, io.EOF):
			d.Println("[CLIENT] Server closed the connection")
			return ErrClosed
		case err != nil:
			return err
		}
		var r Reply
		if json.Unmarshal(obj, &r) != nil {
			d.Println("[SERVER] " + string(obj))
			continue
		}
		// An error that ends with "Disconnecting..." is the server's last
		// word: it refused this client.
		refused = refused || (r.Status == StatusError && strings.HasSuffix(r.Message, "Disconnecting..."))
		if cfg.Incoming != nil && cfg.Incoming(obj, s) {
			continue
		}
		if describe != nil {
			if line, ok := describe(obj, name); ok {
				d.Println(line)
				continue
			}
		}
		d.Println(Describe(r, name))
	}
}

// Describe renders a reply as the original client shows it.
func Describe(r Reply, self string) string {
	switch r.Status {
	case StatusMessage:
		return fmt.Sprintf("[%s] %s", r.Sender, r.Text)
	case StatusSystem:
		return "[SYSTEM] " + r.Message
	case StatusError:
		return "[ERROR] " + r.Message
	case StatusSent:
		return "[✓] " + r.Message
	case StatusSuccess:
		return r.Message
	case StatusUserList:
		var others []string
		for _, u := range r.Users {
			if u != self {
				others = append(others, u)
			}
		}
		if len(others) == 0 {
			return "[ONLINE] nobody else is online"
		}
		return "[ONLINE] Users: " + strings.Join(others, ", ")
	}
	return "[SERVER] " + r.Message
}

// send turns typed lines into direct messages until exit or the end of
// input.
func send(s *Session, cfg ClientConfig) error {
	d, name := s.d, s.name
	for {
		line, err := s.in.ReadString('\n')
		line = strings.TrimSpace(line)
		if cc.IsExit(line) {
			return nil
		}
		handled := false
		if cfg.Command != nil && line != "" {
			var cerr error
			if handled, cerr = cfg.Command(line, s); cerr != nil {
				return cerr
			}
		}
		if !handled && line != "" {
			to, text, ok := strings.Cut(line, " ")
			text = strings.TrimSpace(text)
			if !ok || text == "" {
				d.Println("[CLIENT] type: <user> <message>   (or exit)")
			} else {
				if werr := s.Send(Request{Sender: name, Receiver: strings.TrimPrefix(to, "@"), Text: text}); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			return nil // the end of input ends the session
		}
	}
}
