package chatproto

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"chatlab/chat-v1/proto"
	"chatlab/lab/rubric"
	"chatlab/shared/chattest"
)

// ---- JSON lines (§3) ----------------------------------------------------------

func (w *wire) jsonChecks(lenient bool) []rubric.Check {
	malformed := "a line that is not a JSON object, or lacks a key, gets ERROR_MSG malformed; the session goes on"
	if lenient {
		malformed = "a line that is not a JSON object gets ERROR_MSG malformed, or the connection closes"
	}
	return []rubric.Check{
		{Name: "lines ending in \\r\\n are accepted", Rule: "§3", Points: 2, Run: w.crlf},
		{Name: "unknown keys are ignored", Rule: "§3", Points: 2, Run: w.unknownKeys},
		{Name: malformed, Rule: "§3", Points: 4, Run: w.malformedLine(lenient)},
		{Name: "a line over 65,536 bytes gets ERROR_MSG too_long and the connection closes", Rule: "§1.10", Points: 3, Run: w.longLine},
		{Name: "every reply is one JSON object with its type on one line", Rule: "§3", Points: 3, Run: w.replyLines},
	}
}

func (w *wire) crlf(c *rubric.C) {
	name := w.name("alice")
	cl := w.dial(c)
	cl.SendRaw([]byte(`{"type":"login","username":"` + name + "\"}\r\n"))
	if m, err := cl.TryNext(); err != nil || m.Kind != proto.KindLoginAck {
		c.Fatalf(`LOGIN ended by \r\n: expected LOGIN_ACK, got %s`, showResult(m, err))
	}
	cl.SendRaw([]byte(`{"type":"list_users"}` + "\r\n"))
	if m := next(c, cl, "the LIST_USERS reply"); m.Kind != proto.KindListUsers {
		c.Fatalf(`LIST_USERS ended by \r\n: expected its reply, got %s`, show(m))
	}
}

func (w *wire) unknownKeys(c *rubric.C) {
	name := w.name("alice")
	cl := w.dial(c)
	cl.SendRaw([]byte(`{"client":"grader","type":"login","version":2,"username":"` + name + `","extra":{"a":[1,2]}}` + "\n"))
	if m, err := cl.TryNext(); err != nil || m.Kind != proto.KindLoginAck {
		c.Fatalf("LOGIN with extra keys: expected LOGIN_ACK, got %s", showResult(m, err))
	}
	join(c, cl, w.name("room"))
	cl.SendRaw([]byte(`{"type":"room_msg","text":"hi","room":"ignored","priority":9}` + "\n"))
	if m := next(c, cl, "the ROOM_MSG_ACK"); m.Kind != proto.KindRoomMsgAck {
		c.Fatalf("ROOM_MSG with extra keys: expected ROOM_MSG_ACK, got %s", show(m))
	}
}

func (w *wire) malformedLine(lenient bool) func(*rubric.C) {
	return func(c *rubric.C) {
		cl := w.login(c, w.name("alice"))
		lines := []string{"this is not json", `["an","array"]`, `{"type":"private_msg","text":"no to"}`, `{"type":"room_msg"`}
		if lenient {
			lines = lines[:1]
		}
		for _, line := range lines {
			cl.SendRaw([]byte(line + "\n"))
			m, err := nextErr(cl)
			if lenient && err != nil && isEnd(err) {
				return
			}
			if err != nil || m.Kind != proto.KindErrorMsg || m.Code != proto.CodeMalformed {
				c.Fatalf("line %q: expected ERROR_MSG malformed, got %s", line, showResult(m, err))
			}
			if !lenient {
				stillOpen(c, cl, fmt.Sprintf("after the malformed line %q", line))
			}
		}
	}
}

func (w *wire) longLine(c *rubric.C) {
	cl := w.login(c, w.name("alice"))
	text := strings.Repeat("x", proto.MaxJSONLine)
	cl.SendRaw([]byte(`{"type":"room_msg","text":"` + text + "\"}\n"))
	m, err := nextErr(cl)
	if err != nil || m.Kind != proto.KindErrorMsg || m.Code != proto.CodeTooLong {
		c.Fatalf("a %d-byte line: expected ERROR_MSG too_long, got %s", len(text)+30, showResult(m, err))
	}
	if rest := closed(c, cl); rest != "" {
		c.Fatalf("after too_long for an oversized line the connection should close, but %s", rest)
	}
}

// replyLines reads the raw bytes of replies and checks each is one line
// holding one JSON object whose "type" comes first or anywhere: the
// LOGIN_ACK, then the LIST_ROOMS reply, with at most notices of other
// users (SYSTEM_MSG) between them.
func (w *wire) replyLines(c *rubric.C) {
	conn := w.conn(c)
	name := w.name("alice")
	fmt.Fprintf(conn, "{\"type\":\"login\",\"username\":%q}\n{\"type\":\"list_rooms\"}\n", name)
	conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	r := bufio.NewReader(conn)
	hasType := func(line []byte, typ string) bool {
		return bytes.Contains(line, []byte(`"type":"`+typ+`"`)) || bytes.Contains(line, []byte(`"type": "`+typ+`"`))
	}
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err != nil {
			c.Fatalf("reading the replies to LOGIN and LIST_ROOMS: %v (got %q)", err, line)
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if !bytes.HasPrefix(line, []byte("{")) || !bytes.HasSuffix(line, []byte("}")) {
			c.Fatalf("reply %d is not one JSON object on its line: %q", n, line)
		}
		switch {
		case n == 1 && !hasType(line, "login_ack"):
			c.Fatalf("reply 1 should have \"type\":\"login_ack\": %q", line)
		case n == 1, hasType(line, "system_msg"):
		case hasType(line, "list_rooms"):
			return
		default:
			c.Fatalf("reply %d should have \"type\":\"list_rooms\": %q", n, line)
		}
	}
}

// ---- ChatProto v1.0 binary frames (§2) ----------------------------------------

// frame builds a frame by hand, from the header layout of
// docs/protocol.md §2, so that a fault in the stage's own codec cannot
// hide one in the server.
func frame(typ byte, body []byte) []byte {
	return headerWith(0x4350, 0x01, typ, 0, uint32(len(body)), body)
}

func headerWith(magic uint16, version, typ, flags byte, bodyLen uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, magic)
	b = append(b, version, typ, flags)
	b = binary.BigEndian.AppendUint32(b, bodyLen)
	return append(b, body...)
}

func str8(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func str16(s string) []byte { return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...) }

func (w *wire) binaryChecks() []rubric.Check {
	return []rubric.Check{
		{Name: "replies are byte-exact frames: LOGIN_ACK, JOIN_ROOM, ROOM_MSG_ACK", Rule: "§2", Points: 4, Run: w.exactFrames},
		{Name: "a wrong magic gets ERROR_MSG malformed and the connection closes", Rule: "§2", Points: 2, Run: w.badHeader(0x4351, 0x01, proto.CodeMalformed)},
		{Name: "a wrong version gets ERROR_MSG unsupported and the connection closes", Rule: "§2", Points: 2, Run: w.badHeader(0x4350, 0x02, proto.CodeUnsupported)},
		{Name: "a body_len over 1 MiB gets ERROR_MSG too_long and the connection closes", Rule: "§1.10, §2", Points: 3, Run: w.hugeFrame},
		{Name: "an unknown type gets ERROR_MSG unsupported; the session goes on", Rule: "§2", Points: 2, Run: w.unknownType},
		{Name: "a body that does not parse gets ERROR_MSG malformed; the session goes on", Rule: "§2", Points: 3, Run: w.badBodies},
		{Name: "flag bits are ignored on receipt", Rule: "§2", Points: 1, Run: w.flagsIgnored},
	}
}

// readFrame reads one frame's raw bytes.
func readFrame(c *rubric.C, conn net.Conn, what string) []byte {
	conn.SetReadDeadline(time.Now().Add(chattest.Timeout))
	head := make([]byte, 9)
	if _, err := io.ReadFull(conn, head); err != nil {
		c.Fatalf("reading %s: %v", what, err)
	}
	n := binary.BigEndian.Uint32(head[5:])
	if n > proto.MaxBinaryBody {
		c.Fatalf("reading %s: header % x announces a %d-byte body", what, head, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(conn, body); err != nil {
		c.Fatalf("reading %s: %v", what, err)
	}
	return append(head, body...)
}

// readKind reads frames until one of type typ, skipping SYSTEM_MSG.
func readKind(c *rubric.C, conn net.Conn, typ byte, what string) []byte {
	for {
		f := readFrame(c, conn, what)
		if f[3] != byte(proto.KindSystemMsg) {
			return f
		}
	}
}

func (w *wire) exactFrames(c *rubric.C) {
	conn := w.conn(c)
	name, room := w.name("alice"), w.name("room")
	conn.Write(frame(0x01, str8(name)))
	want := frame(0x02, append(str8(name), str8("general")...))
	if got := readKind(c, conn, 0x02, "the LOGIN_ACK"); !bytes.Equal(got, want) {
		c.Fatalf("LOGIN_ACK: expected % x, got % x", want, got)
	}
	conn.Write(frame(0x07, str8(room)))
	want = frame(0x07, append(str8(room), 1))
	if got := readKind(c, conn, 0x07, "the JOIN_ROOM reply"); !bytes.Equal(got, want) {
		c.Fatalf("JOIN_ROOM reply: expected % x, got % x", want, got)
	}
	conn.Write(frame(0x04, str16("hi")))
	want = frame(0x0C, append(str8(room), 0, 0, 0, 0))
	if got := readKind(c, conn, 0x0C, "the ROOM_MSG_ACK"); !bytes.Equal(got, want) {
		c.Fatalf("ROOM_MSG_ACK: expected % x, got % x", want, got)
	}
}

func (w *wire) badHeader(magic uint16, version byte, code proto.ErrorCode) func(*rubric.C) {
	return func(c *rubric.C) {
		cl := w.login(c, w.name("alice"))
		bad := headerWith(magic, version, 0x08, 0, 0, nil)
		cl.SendRaw(bad)
		expectError(c, cl, code, fmt.Sprintf("header % x", bad))
		if rest := closed(c, cl); rest != "" {
			c.Fatalf("after ERROR_MSG %s for header % x the connection should close, but %s", code, bad, rest)
		}
	}
}

func (w *wire) hugeFrame(c *rubric.C) {
	cl := w.login(c, w.name("alice"))
	bad := headerWith(0x4350, 0x01, 0x04, 0, proto.MaxBinaryBody+1, nil)
	cl.SendRaw(bad)
	expectError(c, cl, proto.CodeTooLong, fmt.Sprintf("header % x", bad))
	if rest := closed(c, cl); rest != "" {
		c.Fatalf("after too_long the connection should close, but %s", rest)
	}
}

func (w *wire) unknownType(c *rubric.C) {
	cl := w.login(c, w.name("alice"))
	for _, typ := range []byte{0x00, 0x0D, 0x7F, 0xFF} {
		cl.SendRaw(frame(typ, []byte("xyz")))
		expectError(c, cl, proto.CodeUnsupported, fmt.Sprintf("a frame of type 0x%02x", typ))
	}
	stillOpen(c, cl, "after unknown types")
}

func (w *wire) badBodies(c *rubric.C) {
	cl := w.login(c, w.name("alice"))
	for _, tc := range []struct {
		what string
		f    []byte
	}{
		{"ROOM_MSG whose str16 runs past the body", frame(0x04, []byte{0, 9, 'h', 'i'})},
		{"ROOM_MSG with bytes left over", frame(0x04, append(str16("hi"), 0))},
		{"ROOM_MSG holding invalid UTF-8", frame(0x04, str16("\xff\xfe"))},
		{"PRIVATE_MSG without its text", frame(0x05, str8("bob"))},
		{"LIST_USERS with a body", frame(0x08, []byte{1})},
	} {
		cl.SendRaw(tc.f)
		expectError(c, cl, proto.CodeMalformed, tc.what+fmt.Sprintf(" (% x)", tc.f))
	}
	stillOpen(c, cl, "after malformed bodies")
}

func (w *wire) flagsIgnored(c *rubric.C) {
	name := w.name("alice")
	cl := w.dial(c)
	cl.SendRaw(headerWith(0x4350, 0x01, 0x01, 0xFF, uint32(len(name)+1), str8(name)))
	if m, err := cl.TryNext(); err != nil || m.Kind != proto.KindLoginAck {
		c.Fatalf("LOGIN with flags 0xff: expected LOGIN_ACK, got %s", showResult(m, err))
	}
}

// ---- TLS (v4, v2-tls) ---------------------------------------------------------

func (w *wire) tlsChecks() []rubric.Check {
	return []rubric.Check{
		{Name: "the server speaks TLS 1.2 or newer, with a certificate the client can check", Rule: "stage table", Points: 4, Run: w.tlsVersion},
		{Name: "a client offering only TLS 1.1 or older is refused", Rule: "stage table", Points: 2, Run: w.oldTLS},
		{Name: "a client that does not speak TLS is not served", Rule: "stage table", Points: 2, Slow: true, Run: w.plaintextClient},
	}
}

func (w *wire) tlsVersion(c *rubric.C) {
	conn, ok := w.conn(c).(*tls.Conn)
	if !ok {
		c.Fatalf("the grader did not speak TLS")
	}
	st := conn.ConnectionState()
	if st.Version < tls.VersionTLS12 {
		c.Fatalf("negotiated %s", tls.VersionName(st.Version))
	}
	c.Logf("negotiated %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if w.env.CA == "" {
		c.Skipf("negotiated %s; the certificate was not checked (give the one to trust with CA=path)", tls.VersionName(st.Version))
	}
}

func (w *wire) oldTLS(c *rubric.C) {
	raw, err := net.DialTimeout("tcp", w.env.Addr, chattest.Timeout)
	if err != nil {
		c.Fatalf("cannot connect: %v", err)
	}
	c.Cleanup(func() { raw.Close() })
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	conn.SetDeadline(time.Now().Add(chattest.Timeout))
	if err := conn.Handshake(); err == nil {
		c.Fatalf("the server agreed to %s", tls.VersionName(conn.ConnectionState().Version))
	}
}

func (w *wire) plaintextClient(c *rubric.C) {
	raw, err := net.DialTimeout("tcp", w.env.Addr, chattest.Timeout)
	if err != nil {
		c.Fatalf("cannot connect: %v", err)
	}
	c.Cleanup(func() { raw.Close() })
	login, err := w.codec.Append(nil, &proto.Message{Kind: proto.KindLogin, Username: w.name("plain")}, proto.ClientToServer)
	if err != nil {
		c.Fatalf("encode: %v", err)
	}
	raw.Write(login)
	raw.SetReadDeadline(time.Now().Add(13 * time.Second))
	got, err := io.ReadAll(raw)
	if isTimeout(err) {
		c.Fatalf("a plaintext LOGIN left the connection open for 13 s")
	}
	var m proto.Message
	if dec := w.codec.NewDecoder(bytes.NewReader(got), proto.ServerToClient); dec.Decode(&m) == nil {
		c.Fatalf("a plaintext LOGIN was answered in plaintext: %s", show(m))
	}
}

// ---- errors -------------------------------------------------------------------

// isEnd reports whether err is how a stream ends when the peer closes.
func isEnd(err error) bool {
	if isTimeout(err) {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
