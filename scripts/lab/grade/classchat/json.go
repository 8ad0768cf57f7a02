package classchat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"chatlab/lab/rubric"
)

// Prompt is the log-in prompt of task 4 and the bonuses: plain text, with
// no newline.
const Prompt = "Enter your username: "

// maxObject bounds an object the grader reads: a whole file (10 MiB,
// base64) and room to spare.
const maxObject = 32 << 20

// object is one JSON object the server sent.
type object struct {
	raw []byte
	m   map[string]any
	big string // its longest string, if kept aside (see decodeObject)
}

// str is the string at key k, or "".
func (o object) str(k string) string {
	s, _ := o.m[k].(string)
	if s == bigMark {
		return o.big
	}
	return s
}

func (o object) status() string { return o.str("status") }

// strs is the array of strings at key k.
func (o object) strs(k string) []string {
	a, _ := o.m[k].([]any)
	out := make([]string, 0, len(a))
	for _, v := range a {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

func (o object) String() string { return quote(string(o.raw)) }

// jsonPeer is a client of a JSON ClassChat server (task 4 on): it reads
// the prompt, logs in, writes requests as the original client does, and
// reads the server's objects, back to back or one a line.
type jsonPeer struct {
	c    *rubric.C
	who  string // its name, as reasons call it
	conn net.Conn
	r    *bufio.Reader
	// pass are the statuses passed over while a check waits for an
	// object: notices about other checks' users, lists, the help.
	pass []string

	afterPrompt   bool     // the prompt was read, and nothing after it yet
	promptNewline bool     // white space came after the prompt
	afterObject   bool     // an object was read, and nothing after it yet
	last          object   // the object read last
	judged        int      // objects whose next byte was seen
	unended       []object // of those, the ones not followed by "\n"
}

// passTask4 are the objects a check passes over while it waits: arrivals,
// departures and user lists, which other checks' users cause.
var passTask4 = []string{"system", "user_list"}

// passBonus adds the bonuses' help and group lists (sent after every group
// command).
var passBonus = []string{"system", "user_list", "help", "group_list"}

// dialJSON connects a client that will call itself who.
func dialJSON(c *rubric.C, addr, who string, pass []string) *jsonPeer {
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		c.Fatalf("%s could not connect to %s: %v", who, addr, err)
	}
	c.Cleanup(func() { conn.Close() })
	return &jsonPeer{c: c, who: who, conn: conn, r: bufio.NewReaderSize(conn, 64<<10), pass: pass}
}

// prompt reads the log-in prompt, failing at the first byte that differs.
func (p *jsonPeer) prompt() {
	p.conn.SetReadDeadline(deadline(p.c, wait))
	got := make([]byte, 0, len(Prompt))
	for i := 0; i < len(Prompt); i++ {
		b, err := p.r.ReadByte()
		if err != nil {
			p.c.Fatalf("%s expected the prompt %s, got %s and then %s", p.who, quote(Prompt), quote(string(got)), describeReadErr(err, "the server"))
		}
		got = append(got, b)
		if b != Prompt[i] {
			rest, _ := p.r.Peek(p.r.Buffered())
			p.c.Fatalf("%s expected the prompt %s, got %s", p.who, quote(Prompt), quote(string(got)+string(rest)))
		}
	}
	p.afterPrompt = true
}

// login reads the prompt, answers it with name (the bare name, as the
// original client sends it, or the name and a newline, as ours does), and
// waits for the welcome.
func (p *jsonPeer) login(name string, bare bool) object {
	p.prompt()
	if bare {
		p.write(name)
	} else {
		p.write(name + "\n")
	}
	want := welcomeWanted(name)
	o, err := p.next(wait)
	if err != nil {
		p.c.Fatalf("%s logged in and expected the welcome %s: %v", p.who, want, err)
	}
	if o.status() != "success" || !strings.HasPrefix(o.str("message"), "Welcome "+name+"!") {
		p.c.Fatalf("%s logged in and expected the welcome %s, got %s", p.who, want, o)
	}
	return o
}

func welcomeWanted(name string) string {
	return quote(`{"status": "success", "message": "Welcome ` + name + `! ..."}`)
}

// write sends s as it is, in one write.
func (p *jsonPeer) write(s string) { p.writeWithin(s, wait) }

func (p *jsonPeer) writeWithin(s string, d time.Duration) {
	p.conn.SetWriteDeadline(deadline(p.c, d))
	if _, err := io.WriteString(p.conn, s); err != nil {
		p.c.Fatalf("%s could not send %s: %v", p.who, quote(s), err)
	}
}

// next reads the next object, waiting at most d. Its error says, in a
// reason's words, why there is none.
func (p *jsonPeer) next(d time.Duration) (object, error) {
	p.conn.SetReadDeadline(deadline(p.c, d))
	// White space, then the object's first byte.
	for {
		b, err := p.r.ReadByte()
		if err != nil {
			return object{}, errors.New(describeReadErr(err, "the server"))
		}
		if p.afterObject {
			p.afterObject = false
			p.judged++
			if b != '\n' {
				p.unended = append(p.unended, p.last)
			}
		}
		if p.afterPrompt {
			p.afterPrompt = false
			p.promptNewline = b != '{'
		}
		if b == ' ' || b == '\t' || b == '\r' || b == '\n' {
			continue
		}
		if b != '{' {
			p.r.UnreadByte()
			line, _ := p.r.ReadString('\n')
			return object{}, fmt.Errorf("the server sent %s, which is not a JSON object", quote(line))
		}
		break
	}
	raw, longest, err := p.scanObject()
	if err != nil {
		return object{}, err
	}
	o, err := decodeObject(raw, longest)
	if err != nil {
		return object{}, fmt.Errorf("the server sent %s, which is not valid JSON: %v", quote(string(raw)), err)
	}
	p.last = o
	p.afterObject = true
	return o, nil
}

// span is where a string's contents lie in an object's bytes.
type span struct{ start, end int }

// scanObject reads the rest of an object whose '{' was read, by counting
// braces outside strings, a buffer at a time. It also returns where its
// longest string lies.
func (p *jsonPeer) scanObject() ([]byte, span, error) {
	out := []byte{'{'}
	depth, inString, escaped := 1, false, false
	var cur, longest span
	for {
		if p.r.Buffered() == 0 {
			if _, err := p.r.Peek(1); err != nil {
				return nil, span{}, fmt.Errorf("the server sent %s and then %s", quote(string(out)), describeReadErr(err, "it"))
			}
		}
		buf, _ := p.r.Peek(p.r.Buffered())
		for i := 0; i < len(buf); i++ {
			switch {
			case escaped:
				escaped = false
			case inString:
				// Skip to the string's next quote or backslash at once:
				// a file is megabytes of one string.
				rest := buf[i:]
				j := bytes.IndexByte(rest, '"')
				if j < 0 {
					j = len(rest)
				}
				if k := bytes.IndexByte(rest[:j], '\\'); k >= 0 {
					j = k
				}
				if i += j; i == len(buf) {
					continue
				}
				if buf[i] == '\\' {
					escaped = true
					continue
				}
				inString = false
				if cur.end = len(out) + i; cur.end-cur.start > longest.end-longest.start {
					longest = cur
				}
			case buf[i] == '"':
				inString, cur.start = true, len(out)+i+1
			case buf[i] == '{':
				depth++
			case buf[i] == '}':
				if depth--; depth == 0 {
					out = append(out, buf[:i+1]...)
					p.r.Discard(i + 1)
					return out, longest, nil
				}
			}
		}
		out = append(out, buf...)
		p.r.Discard(len(buf))
		if len(out) > maxObject {
			return nil, span{}, fmt.Errorf("the server sent an object of over %d bytes: %s", maxObject, quote(string(out)))
		}
	}
}

// bigString is the size from which an object's longest string (a file's
// data) is kept aside rather than decoded with the rest.
const bigString = 64 << 10

// bigMark stands for the string kept aside, in the decoded object.
const bigMark = "\x00(kept aside)"

// decodeObject decodes raw. A very long string without escapes (a file's
// base64) is kept aside as it is, so that the decoder need not go through
// it byte by byte.
func decodeObject(raw []byte, longest span) (object, error) {
	o := object{raw: raw}
	if s := raw[longest.start:longest.end]; len(s) >= bigString && bytes.IndexByte(s, '\\') < 0 {
		o.big = string(s)
		raw = slices.Concat(raw[:longest.start], []byte(`\u0000(kept aside)`), raw[longest.end:])
	}
	err := json.Unmarshal(raw, &o.m)
	return o, err
}

// describeReadErr says why a read ended, in a reason's words; who is the
// sender ("the server", "it").
func describeReadErr(err error, who string) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("nothing more within %v", wait)
	case isClosed(err):
		return who + " closed the connection"
	}
	return err.Error()
}

// expect reads objects until match accepts one, and returns it. Objects
// whose status is in the peer's pass list, or in more, are passed over;
// any other fails the check: "alice expected X, got Y". what is how the
// reason shows the object wanted.
func (p *jsonPeer) expect(what string, match func(object) bool, more ...string) object {
	return p.expectWithin(wait, what, match, more...)
}

func (p *jsonPeer) expectWithin(d time.Duration, what string, match func(object) bool, more ...string) object {
	var passed []string
	for {
		o, err := p.next(d)
		if err != nil {
			p.c.Fatalf("%s expected %s: %v%s", p.who, what, err, passedOver(passed))
		}
		if match(o) {
			return o
		}
		if slices.Contains(p.pass, o.status()) || slices.Contains(more, o.status()) {
			passed = append(passed, string(o.raw))
			continue
		}
		p.c.Fatalf("%s expected %s, got %s", p.who, what, o)
	}
}

// expectNotice waits for an object with one of statuses and exactly the
// message text.
func (p *jsonPeer) expectNotice(statuses []string, text string, more ...string) object {
	q := make([]string, len(statuses))
	for i, st := range statuses {
		q[i] = fmt.Sprintf("%q", st)
	}
	what := quote(fmt.Sprintf(`{"status": %s, "message": %q}`, strings.Join(q, " or "), text))
	return p.expect(what, func(o object) bool {
		return slices.Contains(statuses, o.status()) && o.str("message") == text
	}, more...)
}

// Statuses of the answers: that something was done (the dialect says
// "sent" for messages, "success" for the rest), that it was refused, and
// of notices.
var (
	done     = []string{"success", "sent"}
	refused  = []string{"error"}
	isSystem = []string{"system"}
)

// expectClosed waits for the server to close the connection, reading
// what comes first.
func (p *jsonPeer) expectClosed(after string) {
	p.conn.SetReadDeadline(deadline(p.c, wait))
	_, err := io.Copy(io.Discard, p.r)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		p.c.Fatalf("%s: the server did not close the connection within %v after %s", p.who, wait, after)
	}
}

// expectList waits for a user list, and fails unless it holds every name
// of in and none of out.
func (p *jsonPeer) expectList(in, out []string) {
	what := fmt.Sprintf(`a user list (status "user_list") with %s`, strings.Join(in, ", "))
	if len(out) > 0 {
		what += " and without " + strings.Join(out, ", ")
	}
	p.expect(what, func(o object) bool {
		if o.status() != "user_list" {
			return false
		}
		users := o.strs("users")
		for _, n := range in {
			if !slices.Contains(users, n) {
				return false
			}
		}
		for _, n := range out {
			if slices.Contains(users, n) {
				return false
			}
		}
		return true
	}, "user_list")
}

// py renders an object as Python's json.dumps does ("key": value, comma
// and space between): the original clients' bytes. Values are strings,
// or json.RawMessage as they are.
func py(kv ...any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteString(", ")
		}
		k, _ := json.Marshal(kv[i])
		b.Write(k)
		b.WriteString(": ")
		switch v := kv[i+1].(type) {
		case json.RawMessage:
			b.Write(v)
		default:
			j, _ := json.Marshal(v)
			b.Write(j)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// dm is a direct message as the original task 4 client sends it.
func dm(sender, receiver, text string) string {
	return py("sender", sender, "receiver", receiver, "text", text)
}

// typedMessage is a message or command as the original bonus clients send
// it.
func typedMessage(sender, receiver, text string) string {
	return py("type", "message", "sender", sender, "receiver", receiver, "text", text)
}
