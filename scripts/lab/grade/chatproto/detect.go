package chatproto

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v3/binwire"
	"chatlab/lab/grade"
)

// Before the checks, the grader finds out what the server speaks, so that
// a server of another protocol is named once instead of failing thirty
// checks with thirty reasons that all mean the same.

// probeWait bounds each wait of the probe: a server of the rubric's own
// protocol answers a LOGIN in milliseconds, but a busy machine may make
// that seconds, and a wait runs out only for a server of another protocol.
const probeWait = 5 * time.Second

// handshakeWait bounds the probe's TLS handshake: a handshake not done in
// time is not yet a server that does not speak TLS.
const handshakeWait = 10 * time.Second

// greetWait is how long the probe listens for a server that speaks
// first, before it says anything itself.
const greetWait = 500 * time.Millisecond

// speech is what a connection to the server showed.
type speech struct {
	kind  string // one of the constants below
	first []byte // the first bytes it sent, for kindOther and kindFirst
}

const (
	kindJSON    = "json"   // a JSON object
	kindBinary  = "binary" // a ChatProto v1.0 header
	kindTLS     = "tls"    // a TLS record (an alert, say)
	kindFirst   = "first"  // it spoke before the client did
	kindOther   = "other"  // bytes of no protocol the grader knows
	kindClosed  = "closed" // it closed without a word
	kindSilent  = "silent" // nothing within probeWait
	kindNoReach = "unreachable"
)

// encodingName says what an encoding is called in the probe's line.
func encodingName(kind string) string {
	switch kind {
	case kindJSON:
		return "JSON lines (ChatProto v1/v2)"
	case kindBinary:
		return "ChatProto v1.0 binary frames"
	}
	return kind
}

// shortName is an encoding's name in "the checks that need the binary
// encoding fail".
func shortName(kind string) string {
	if kind == kindJSON {
		return "JSON"
	}
	return "binary"
}

func codecKind(codec proto.Codec) string {
	if codec.Name() == "json" {
		return kindJSON
	}
	return kindBinary
}

// probe returns the stage's Probe: one line naming the protocol the server
// at env.Addr speaks if it is not the rubric's, "" if it is (or if the
// server cannot be reached: the checks say so).
func probe(codec proto.Codec, useTLS bool) func(grade.Env) string {
	return func(env grade.Env) string {
		return newWire(env, codec, useTLS).detect()
	}
}

func (w *wire) detect() string {
	want := codecKind(w.codec)
	at := "the server at " + w.env.Addr
	if s := w.greeting(); s.kind == kindFirst {
		return fmt.Sprintf("%s speaks first (it sent %s before the client said anything), as a ClassChat server does, "+
			"not %s: a ChatProto server waits for LOGIN; the checks that log in fail", at, quoteBytes(s.first), w.expected())
	} else if s.kind == kindNoReach {
		return ""
	}
	if w.tls {
		conn, err := w.handshake()
		if err != nil {
			plain := w.plainSpeech(want)
			if plain.kind == kindJSON || plain.kind == kindBinary {
				return fmt.Sprintf("%s speaks %s without TLS, not %s: the checks that need TLS fail", at, encodingName(plain.kind), w.expected())
			}
			return fmt.Sprintf("%s does not speak TLS (the handshake failed: %v): every check fails", at, err)
		}
		s := w.speech(conn, want)
		conn.Close()
		if s.kind == want {
			return ""
		}
		if s.kind == kindJSON || s.kind == kindBinary {
			return fmt.Sprintf("%s speaks %s over TLS, not %s: the checks that need the %s encoding fail", at, encodingName(s.kind), w.expected(), shortName(want))
		}
		return w.unknown(at, s)
	}
	s := w.plainSpeech(want)
	switch {
	case s.kind == want:
		return ""
	case s.kind == kindJSON || s.kind == kindBinary:
		return fmt.Sprintf("%s speaks %s, not %s: the checks that need the %s encoding fail", at, encodingName(s.kind), w.expected(), shortName(want))
	case s.kind == kindTLS:
		return fmt.Sprintf("%s speaks TLS, not %s in the clear: the checks fail (grade it with the TLS stage's rubric)", at, w.expected())
	}
	if conn, err := w.handshake(); err == nil {
		conn.Close()
		return fmt.Sprintf("%s speaks TLS, not %s in the clear: the checks fail (grade it with the TLS stage's rubric)", at, w.expected())
	}
	return w.unknown(at, s)
}

// expected names the rubric's protocol.
func (w *wire) expected() string {
	name := encodingName(codecKind(w.codec))
	if w.tls {
		name += " over TLS"
	}
	return name
}

func (w *wire) unknown(at string, s speech) string {
	switch s.kind {
	case kindOther:
		return fmt.Sprintf("%s answers LOGIN with %s, which is not %s: every check fails", at, quoteBytes(s.first), w.expected())
	case kindClosed:
		return fmt.Sprintf("%s closes the connection at LOGIN without a word, in %s and in the other encoding: every check fails", at, w.expected())
	case kindSilent:
		return fmt.Sprintf("%s answers nothing to LOGIN within %v, in %s or in the other encoding: every check fails", at, probeWait, w.expected())
	}
	return ""
}

// greeting listens on a new plain connection for what the server says
// before the client says anything.
func (w *wire) greeting() speech {
	conn, err := net.DialTimeout("tcp", w.env.Addr, probeWait)
	if err != nil {
		return speech{kind: kindNoReach}
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(greetWait))
	b := make([]byte, 64)
	n, err := conn.Read(b)
	if n > 0 {
		return speech{kind: kindFirst, first: b[:n]}
	}
	if errors.Is(err, io.EOF) {
		return speech{kind: kindClosed}
	}
	return speech{kind: kindSilent}
}

// handshake opens a TLS connection, taking any certificate: the probe
// asks what the server speaks, not whom to trust (a check does that).
func (w *wire) handshake() (net.Conn, error) {
	raw, err := net.DialTimeout("tcp", w.env.Addr, probeWait)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
	conn.SetDeadline(time.Now().Add(handshakeWait))
	if err := conn.Handshake(); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

// plainSpeech logs in on a plain connection in encoding want, and if the
// server closes or says nothing, in the other encoding.
func (w *wire) plainSpeech(want string) speech {
	s := w.dialSpeech(want)
	if s.kind == kindClosed || s.kind == kindSilent {
		other := kindJSON
		if want == kindJSON {
			other = kindBinary
		}
		if t := w.dialSpeech(other); t.kind != kindClosed && t.kind != kindSilent && t.kind != kindNoReach {
			return t
		}
	}
	return s
}

func (w *wire) dialSpeech(kind string) speech {
	conn, err := net.DialTimeout("tcp", w.env.Addr, probeWait)
	if err != nil {
		return speech{kind: kindNoReach}
	}
	defer conn.Close()
	return w.speech(conn, kind)
}

// speech sends a LOGIN in encoding kind on conn and sorts the first bytes
// of the answer.
func (w *wire) speech(conn net.Conn, kind string) speech {
	var codec proto.Codec = jsonwire.Codec{}
	if kind == kindBinary {
		codec = binwire.Codec{}
	}
	login, err := codec.Append(nil, &proto.Message{Kind: proto.KindLogin, Username: w.name("probe")}, proto.ClientToServer)
	if err != nil {
		return speech{kind: kindOther}
	}
	conn.SetDeadline(time.Now().Add(probeWait))
	if _, err := conn.Write(login); err != nil {
		return speech{kind: kindClosed}
	}
	b := make([]byte, 64)
	n, err := io.ReadAtLeast(conn, b, 2)
	b = b[:n]
	switch {
	case n >= 2 && b[0] == byte(binwire.Magic>>8) && b[1] == byte(binwire.Magic&0xff):
		return speech{kind: kindBinary}
	case n >= 1 && b[0] == '{':
		return speech{kind: kindJSON}
	case n >= 2 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03:
		return speech{kind: kindTLS}
	case n > 0:
		return speech{kind: kindOther, first: b}
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), isReset(err):
		return speech{kind: kindClosed}
	}
	return speech{kind: kindSilent}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// quoteBytes shows the first bytes a server sent: as text if they are
// text, else in hex.
func quoteBytes(b []byte) string {
	text := true
	for _, c := range b {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f {
			text = false
		}
	}
	if text {
		return fmt.Sprintf("%q", string(b))
	}
	return fmt.Sprintf("% x", b)
}
