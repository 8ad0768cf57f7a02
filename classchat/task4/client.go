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
	// Compose, if set, turns a typed line into a request first (a later
	// stage's commands); it returns false to leave the line to task 4.
	Compose func(line string) (Request, bool)
	// Describe, if set, renders an object first (a later stage's
	// objects); it returns false to leave the object to task 4.
	Describe func(raw []byte, self string) (string, bool)
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

	done := make(chan error, 1)
	go func() { done <- receive(conn, name, d, cfg.Describe) }()
	typed := make(chan error, 1)
	go func() { typed <- send(conn, name, in, d, cfg.Compose) }()
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
func receive(conn net.Conn, name string, d *cc.Display, describe func([]byte, string) (string, bool)) error {
	objects := framing.NewJSONReader(conn, maxReplyObject)
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
		if describe != nil {
			if line, ok := describe(obj, name); ok {
				d.Println(line)
				continue
			}
		}
		d.Println(Describe(r, name))
	}
}

func composeWith(compose func(string) (Request, bool), line string) (Request, bool) {
	if compose == nil || line == "" {
		return Request{}, false
	}
	return compose(line)
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
func send(conn net.Conn, name string, in *bufio.Reader, d *cc.Display, compose func(string) (Request, bool)) error {
	for {
		line, err := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if cc.IsExit(line) {
			return nil
		}
		if req, ok := composeWith(compose, line); ok {
			req.Sender = name
			b, _ := json.Marshal(req)
			if _, werr := conn.Write(append(b, '\n')); werr != nil {
				return werr
			}
		} else if line != "" {
			to, text, ok := strings.Cut(line, " ")
			text = strings.TrimSpace(text)
			if !ok || text == "" {
				d.Println("[CLIENT] type: <user> <message>   (or exit)")
			} else {
				b, _ := json.Marshal(Request{Sender: name, Receiver: strings.TrimPrefix(to, "@"), Text: text})
				if _, werr := conn.Write(append(b, '\n')); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			return nil // the end of input ends the session
		}
	}
}
