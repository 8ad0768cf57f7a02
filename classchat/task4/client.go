package task4

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"chatlab/classchat/internal/cc"
	"chatlab/shared/framing"
	"chatlab/shared/safetext"
)

// Client-side limits.
const (
	promptWait     = 10 * time.Second
	maxReplyObject = 16 << 20
)

var (
	// ErrClosed is returned when the server ends the session. It wraps
	// io.EOF.
	ErrClosed = fmt.Errorf("the server closed the connection: %w", io.EOF)
	// ErrRefused is returned when the server refused the client (a taken
	// or invalid name) and closed the connection; ErrNameTaken and
	// ErrNameInvalid say which.
	ErrRefused = errors.New("the server refused the log-in")
	// ErrNameTaken is returned when the name is someone else's. It wraps
	// ErrRefused.
	ErrNameTaken = fmt.Errorf("%w: the name is taken", ErrRefused)
	// ErrNameInvalid is returned when the name breaks the rules. It wraps
	// ErrRefused.
	ErrNameInvalid = fmt.Errorf("%w: the name is invalid", ErrRefused)
	// ErrNoPrompt is returned when the server did not ask for a name as a
	// ClassChat server of task 4 or later does: it was silent, closed the
	// connection, or sent something else.
	ErrNoPrompt = errors.New("the server did not ask for a name")
)

// ClientConfig sets up a task 4 client.
type ClientConfig struct {
	Name string    // if empty, asked for on In after the server's prompt
	In   io.Reader // typed lines: "@user message", /help, /quit or exit
	Out  io.Writer // display lines
	// Help lists the commands a later stage adds, one "command  what it
	// does" line each, for /help (and for the server's help object, which
	// the bonus servers send after the welcome).
	Help []string
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
	name      string
	conn      net.Conn
	in        *bufio.Reader
	d         *cc.Display
	setPrompt func(string) // nil when the input is not a terminal
	leaving   atomic.Bool  // the user left: the server's close is expected
	wmu       sync.Mutex
}

// Name is the user's name.
func (s *Session) Name() string { return s.name }

// Println shows a line.
func (s *Session) Println(line string) { s.d.Println(line) }

// Ask asks a question ("File path:") and returns the next typed line. On a
// terminal the question is the prompt the answer is typed at, and the
// question and answer are shown above it once answered; otherwise the
// question is shown as a line.
func (s *Session) Ask(question string) (string, error) {
	if s.setPrompt == nil {
		s.d.Println(question)
	} else {
		s.setPrompt(question + " ")
		defer s.setPrompt(s.name + "> ")
	}
	line, err := s.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	answer := strings.TrimSpace(line)
	if s.setPrompt != nil {
		s.d.Println(question + " " + answer)
	}
	return answer, nil
}

// Send writes v as one JSON object and a newline.
func (s *Session) Send(v any) error { return s.send(v, 0) }

// SendFile is Send for an object that carries a file of size bytes: a
// large one shows its progress as it goes, in bytes of the file
// ("[SENDING] 30% (3.0 of 9.9 MiB)").
func (s *Session) SendFile(v any, size int64) error { return s.send(v, size) }

func (s *Session) send(v any, size int64) error {
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
		if pct := 100 * min(off+chunk, len(b)) / len(b); pct >= next && size > 0 {
			// The object is the file in base64 and a little JSON: what
			// has gone is that share of the file.
			done, _ := Size(size*int64(min(off+chunk, len(b)))/int64(len(b)), size)
			all, unit := Size(size, size)
			s.d.Printf("[SENDING] %d%% (%s of %s %s)", pct, done, all, unit)
			next = pct/10*10 + 10
		}
	}
	return nil
}

// Size writes n bytes in the unit that suits total (MiB, KiB or bytes),
// and the unit: Size(3<<20, 10<<20) is "3.0", "MiB".
func Size(n, total int64) (amount, unit string) {
	switch {
	case total >= 1<<20:
		return fmt.Sprintf("%.1f", float64(n)/(1<<20)), "MiB"
	case total >= 1<<10:
		return fmt.Sprintf("%.1f", float64(n)/(1<<10)), "KiB"
	}
	return fmt.Sprint(n), "bytes"
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
		return err
	}
	name := cfg.Name
	if name == "" {
		name, _ = askName(in, d, prompt, setPrompt)
	}
	if _, err := io.WriteString(conn, name+"\n"); err != nil {
		return err
	}
	setPrompt(name + "> ")

	sess := &Session{name: name, conn: conn, in: in, d: d, setPrompt: cfg.SetPrompt}
	done := make(chan error, 1)
	go func() { done <- receive(sess, cfg) }()
	typed := make(chan error, 1)
	go func() { typed <- send(sess, cfg) }()
	select {
	case err := <-done:
		return err
	case err := <-typed:
		sess.leaving.Store(true)
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

// askName shows prompt and returns the name typed. io.EOF says the input
// ended first.
func askName(in *bufio.Reader, d *cc.Display, prompt string, setPrompt func(string)) (string, error) {
	setPrompt(prompt)
	d.Println(safetext.Clean(strings.TrimSpace(prompt)))
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// readPrompt reads the server's prompt, which ends with ": " and no
// newline. An error wraps ErrNoPrompt, and what the read returned (a
// time-out, the end of the connection).
func readPrompt(conn net.Conn) (string, error) {
	conn.SetReadDeadline(time.Now().Add(promptWait))
	defer conn.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 256)
	for !strings.HasSuffix(string(got), ": ") {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		switch {
		case bytes.ContainsAny(got, "\n{") || len(got) > 1024:
			// A line (a server of tasks 1–3) or an object: not the prompt.
			return string(got), fmt.Errorf("%w: it sent %.40q", ErrNoPrompt, got)
		case err != nil:
			return string(got), fmt.Errorf("%w: %w", ErrNoPrompt, err)
		}
	}
	return string(got), nil
}

// receive shows the server's objects, newline-delimited or not, until the
// connection ends.
func receive(s *Session, cfg ClientConfig) error {
	d, name, describe := s.d, s.name, cfg.Describe
	objects := framing.NewJSONReader(s.conn, maxReplyObject)
	var refused error // the server refused the log-in: ErrNameTaken or ErrNameInvalid
	welcomed := false
	hinted := false
	for {
		obj, err := objects.Next()
		switch {
		case errors.Is(err, framing.ErrNotObject):
			continue
		case errors.Is(err, io.EOF) && refused != nil:
			return refused
		case errors.Is(err, io.EOF) && s.leaving.Load():
			return nil
		case errors.Is(err, io.EOF):
			d.Println("[CLIENT] Server closed the connection")
			return ErrClosed
		case err != nil:
			return err
		}
		var r Reply
		if json.Unmarshal(obj, &r) != nil {
			d.Println("[SERVER] " + safetext.Clean(string(obj)))
			continue
		}
		// An error before the welcome is the server's last word: it
		// refused this client's name.
		switch {
		case r.Status == StatusSuccess:
			welcomed = true
		case r.Status == StatusError && !welcomed && strings.Contains(r.Message, "already taken"):
			refused = ErrNameTaken
		case r.Status == StatusError && !welcomed:
			refused = ErrNameInvalid
		}
		if cfg.Incoming != nil && cfg.Incoming(obj, s) {
			continue
		}
		if r.Status == "help" { // the bonus servers' list: this client's own
			d.Println(HelpText(cfg.Help))
			continue
		}
		if describe != nil {
			if line, ok := describe(obj, name); ok {
				d.Println(line)
				continue
			}
		}
		d.Println(Describe(r, name))
		if r.Status == StatusSuccess && len(cfg.Help) == 0 && !hinted {
			// Task 4's server sends no help: say how to go on.
			d.Println("[CLIENT] Type @user message to send one; /help lists the commands, /quit leaves.")
			hinted = true
		}
	}
}

// Describe renders a reply as the original client shows it, with what
// the server and other users wrote cleaned (safetext.Clean): a text's
// newline is shown as "↵", so "hi\n[SYSTEM] bob has left the chat" stays
// one line, and a control or invisible character as U+FFFD.
func Describe(r Reply, self string) string {
	clean := safetext.Clean
	switch r.Status {
	case StatusMessage:
		return fmt.Sprintf("[%s] %s", clean(r.Sender), clean(r.Text))
	case StatusSystem:
		return "[SYSTEM] " + clean(r.Message)
	case StatusError:
		return "[ERROR] " + clean(r.Message)
	case StatusSent:
		return "[✓] " + clean(r.Message)
	case StatusSuccess:
		return clean(r.Message)
	case StatusUserList:
		var others []string
		for _, u := range r.Users {
			if u != self {
				others = append(others, clean(u))
			}
		}
		if len(others) == 0 {
			return "[ONLINE] nobody else is online"
		}
		return "[ONLINE] Users: " + strings.Join(others, ", ")
	}
	return "[SERVER] " + clean(r.Message)
}

// HelpText is what /help shows: task 4's commands and a later stage's.
func HelpText(more []string) string {
	lines := []string{"[COMMANDS]", "  @user message       a direct message to user (also: user message)"}
	lines = append(lines, more...)
	lines = append(lines, "  /help               this list", "  /quit               leave (also: exit)")
	return strings.Join(lines, "\n")
}

// send turns typed lines into direct messages (or a later stage's
// commands) until exit, /quit or the end of input.
func send(s *Session, cfg ClientConfig) error {
	for {
		line, err := s.in.ReadString('\n')
		line = strings.TrimSpace(line)
		switch {
		case cc.IsQuit(line):
			return nil
		case line == "":
		case strings.EqualFold(line, "/help"):
			s.Println(HelpText(cfg.Help))
		default:
			handled := false
			if cfg.Command != nil {
				var cerr error
				if handled, cerr = cfg.Command(line, s); cerr != nil {
					return cerr
				}
			}
			if !handled {
				if werr := directMessage(s, line); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			return nil // the end of input ends the session
		}
	}
}

// directMessage sends "@user message" (or "user message") and shows it.
func directMessage(s *Session, line string) error {
	switch line[0] {
	case '/':
		cmd, _, _ := strings.Cut(line, " ")
		s.Println("[CLIENT] " + cmd + " is not a command of this client; /help lists them")
		return nil
	case '#':
		s.Println("[CLIENT] groups (#group message) come with bonus 1; here, type @user message")
		return nil
	}
	to, text, _ := strings.Cut(line, " ")
	to, text = strings.TrimPrefix(to, "@"), strings.TrimSpace(text)
	if to == "" || text == "" {
		s.Println("[CLIENT] type @user message (/help lists the commands)")
		return nil
	}
	if err := s.Send(Request{Sender: s.name, Receiver: to, Text: text}); err != nil {
		return err
	}
	s.Println(cc.Own(to, text))
	return nil
}
