package classchat

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// proxy stands between the grader and a real server and breaks one thing:
// it hands every line the server sends to down (which returns what to
// send instead, or nil to drop it) and shows up everything a client sends
// before passing it on unchanged. The log-in prompt, which has no newline,
// passes as it is.
type proxy struct {
	t      *testing.T
	target string
	l      net.Listener
	down   func(pc *proxyConn, line []byte) []byte
	up     func(pc *proxyConn, data []byte)

	mu    sync.Mutex
	conns []*proxyConn
	state map[string]string // the proxy's memory, for down and up
}

// proxyConn is one client's connection through the proxy.
type proxyConn struct {
	p              *proxy
	client, server net.Conn
	name           string // the first thing the client sent: its user name
	sent           []byte // what the client sent, not yet seen whole by up
}

// startProxy listens on 127.0.0.1 in front of target.
func startProxy(t *testing.T, target string, down func(*proxyConn, []byte) []byte, up func(*proxyConn, []byte)) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{t: t, target: target, l: l, down: down, up: up, state: map[string]string{}}
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, pc := range p.conns {
			pc.close()
		}
	})
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) serve() {
	for {
		client, err := p.l.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		pc := &proxyConn{p: p, client: client, server: server}
		p.mu.Lock()
		p.conns = append(p.conns, pc)
		p.mu.Unlock()
		go pc.pumpUp()
		go pc.pumpDown()
	}
}

func (pc *proxyConn) close() {
	pc.client.Close()
	pc.server.Close()
}

// pumpUp passes what the client sends to the server.
func (pc *proxyConn) pumpUp() {
	defer pc.server.(*net.TCPConn).CloseWrite()
	buf := make([]byte, 64<<10)
	for {
		n, err := pc.client.Read(buf)
		if n > 0 {
			pc.p.mu.Lock()
			if pc.name == "" {
				name, _, _ := strings.Cut(string(buf[:n]), "\n")
				name, _, _ = strings.Cut(name, "{")
				pc.name = strings.TrimSpace(name)
			}
			if pc.p.up != nil {
				pc.p.up(pc, buf[:n])
			}
			pc.p.mu.Unlock()
			if _, err := pc.server.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pumpDown passes what the server sends to the client, line by line.
func (pc *proxyConn) pumpDown() {
	defer pc.client.Close()
	var pending []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := pc.server.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.IndexByte(pending, '\n')
			if i < 0 {
				break
			}
			line := pending[:i+1]
			pc.p.mu.Lock()
			out := pc.p.down(pc, line)
			pc.p.mu.Unlock()
			if _, werr := pc.client.Write(out); werr != nil {
				return
			}
			pending = pending[i+1:]
		}
		if string(pending) == Prompt {
			pc.client.Write(pending)
			pending = nil
		}
		if err != nil {
			pc.client.Write(pending)
			return
		}
	}
}

// objects cuts the complete JSON objects off the front of b and returns
// them and the rest (what comes before the first object, the log-in name,
// is dropped).
func objects(b []byte) (objs [][]byte, rest []byte) {
	start := bytes.IndexByte(b, '{')
	if start < 0 {
		return nil, nil
	}
	b = b[start:]
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		off := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return objs, b[off:]
		}
		objs = append(objs, raw)
	}
}

// same passes a line on unchanged.
func same(_ *proxyConn, line []byte) []byte { return line }

// dropJoins is a task 3 server that never tells of arrivals.
func dropJoins(_ *proxyConn, line []byte) []byte {
	if bytes.Contains(line, []byte("has joined the chat")) {
		return nil
	}
	return line
}

// unterminated is a JSON server that writes its objects back to back.
func unterminated(_ *proxyConn, line []byte) []byte { return bytes.TrimSuffix(line, []byte("\n")) }

// greetingUnended is a task 1 server whose greeting has no newline.
func greetingUnended(_ *proxyConn, line []byte) []byte {
	if strings.HasPrefix(string(line), Greeting) {
		return bytes.TrimSuffix(line, []byte("\n"))
	}
	return line
}

// trustSender is the original's first bug: a message is forwarded as
// from whoever the client claimed to be. up remembers each claim by its
// text; down puts the claimed sender back in.
func trustSenderUp(pc *proxyConn, data []byte) {
	pc.sent = append(pc.sent, data...)
	objs, rest := objects(pc.sent)
	pc.sent = append([]byte(nil), rest...)
	for _, o := range objs {
		var req struct{ Sender, Text string }
		if json.Unmarshal(o, &req) == nil && req.Sender != "" {
			pc.p.state[req.Text] = req.Sender
		}
	}
}

func trustSenderDown(pc *proxyConn, line []byte) []byte {
	var m map[string]any
	if json.Unmarshal(line, &m) != nil || (m["status"] != "message" && m["status"] != "group_message") {
		return line
	}
	text, _ := m["text"].(string)
	if claimed, ok := pc.p.state[text]; ok {
		m["sender"] = claimed
		b, _ := json.Marshal(m)
		return append(b, '\n')
	}
	return line
}

// dropOriginal is the original's second bug: a refused duplicate log-in
// removes the first user. The proxy cuts the first user's connection, so
// that the server drops her.
func dropOriginal(pc *proxyConn, line []byte) []byte {
	var m map[string]any
	if json.Unmarshal(line, &m) == nil && m["status"] == "error" {
		msg, _ := m["message"].(string)
		if strings.Contains(msg, "is already taken") {
			for _, other := range pc.p.conns {
				if other != pc && other.name == pc.name {
					other.close()
				}
			}
		}
	}
	return line
}
