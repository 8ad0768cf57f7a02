package diagnosis_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatclient"
	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v2/badinput"
	"chatlab/chat-v2/diagnosis"
	"chatlab/shared/certs"
	"chatlab/shared/chattest"
)

const shortWait = 300 * time.Millisecond

// v2Server starts a plain v2 chat server.
func v2Server(t *testing.T, cfg chatserver.Config) string {
	cfg.Codec, cfg.OnBadInput = jsonwire.Codec{}, badinput.JSON.Answer
	return chattest.Start(t, chatserver.New(cfg))
}

// tlsServer starts a v2-tls chat server on host with a certificate made
// for localhost, valid in [notBefore, notAfter]; it returns the address
// and the certificate file.
func tlsServer(t *testing.T, host string, notBefore, notAfter time.Time) (string, string) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	require.NoError(t, certs.GenerateWindow(certFile, keyFile, notBefore, notAfter))
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	l, err := tls.Listen("tcp", net.JoinHostPort(host, "0"), &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	srv := chatserver.New(chatserver.Config{Codec: jsonwire.Codec{}, OnBadInput: badinput.JSON.Answer})
	go srv.Serve(l)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return l.Addr().String(), certFile
}

// fakeServer accepts one connection, reads the log-in line, and then does
// what act says.
func fakeServer(t *testing.T, act func(c net.Conn)) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(chattest.Timeout))
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			return
		}
		act(c)
	}()
	return l.Addr().String()
}

// hangUp accepts connections and closes them at once, unread.
func hangUp(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l.Addr().String()
}

func acceptLogin(c net.Conn) {
	c.Write([]byte(`{"type":"login_ack","username":"alice","room":"general"}` + "\n"))
}

func trustOnly(t *testing.T, certFile string) *tls.Config {
	tc, err := certs.ClientTLS("localhost", certFile, false)
	require.NoError(t, err)
	return tc
}

type scenario struct {
	name  string
	class string
	// setup returns the address, the dialer and the username to use.
	setup func(t *testing.T) (string, *diagnosis.Dialer, string)
}

var scenarios = []scenario{
	{"a name under .invalid", "host not found", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return "chat.example.invalid:5555", &diagnosis.Dialer{Resolver: chattest.NXDomainResolver(t)}, "alice"
	}},
	{"a closed port", "connection refused", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return chattest.ClosedPort(t), &diagnosis.Dialer{}, "alice"
	}},
	{"a listener whose queue is full", "connection timed out", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return chattest.FullListener(t), &diagnosis.Dialer{Timeout: shortWait}, "alice"
	}},
	{"a listener that never answers", "log-in timed out", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return chattest.SilentListener(t), &diagnosis.Dialer{}, "alice"
	}},
	{"a server that closes mid-session", "connection closed", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, acceptLogin), &diagnosis.Dialer{}, "alice"
	}},
	{"a server that resets mid-session", "connection reset", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, func(c net.Conn) {
			acceptLogin(c)
			c.(*net.TCPConn).SetLinger(0) // close with a reset
		}), &diagnosis.Dialer{}, "alice"
	}},
	{"a server that hangs up at once", "closed without answering", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, func(net.Conn) {}), &diagnosis.Dialer{}, "alice"
	}},
	{"the v2-tls server, in plain text", "speaks TLS", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		addr, _ := tlsServer(t, "127.0.0.1", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		return addr, &diagnosis.Dialer{}, "alice"
	}},
	{"a TLS server that sends an alert", "speaks TLS", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, func(c net.Conn) {
			c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46}) // alert: protocol_version
		}), &diagnosis.Dialer{}, "alice"
	}},
	{"a binary ChatProto server", "speaks binary ChatProto", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, func(c net.Conn) {
			// ERROR_MSG malformed "bad magic"
			c.Write([]byte{0x43, 0x50, 0x01, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x09,
				'b', 'a', 'd', ' ', 'm', 'a', 'g', 'i', 'c'})
		}), &diagnosis.Dialer{}, "alice"
	}},
	{"a JSON server answering a binary client", "speaks JSON ChatProto", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, func(c net.Conn) {
			c.Write([]byte(`{"type":"error_msg","code":"malformed","text":"the line is not a JSON object"}` + "\n"))
		}), &diagnosis.Dialer{}, "alice"
	}},
	{"another program", "speaks something else", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n")) }), &diagnosis.Dialer{}, "alice"
	}},
	{"a line server still waiting for the end of the log-in", "speaks JSON ChatProto", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		// As a JSON server does with a binary log-in: it answers only
		// when a line ends, here with the newline the client adds after
		// a time of silence.
		return fakeServer(t, func(c net.Conn) {
			c.Write([]byte(`{"type":"error_msg","code":"malformed","text":"the line is not a JSON object"}` + "\n"))
		}), &diagnosis.Dialer{}, "alice"
	}},
	{"a ClassChat server", "speaks ClassChat", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return fakeServer(t, func(c net.Conn) {
			c.Write([]byte("Welcome to ClassChat! You are Client 1. Type 'exit' to quit.\n"))
		}), &diagnosis.Dialer{}, "alice"
	}},
	{"TLS to a plain server", "speaks JSON ChatProto", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		_, certFile := tlsServer(t, "127.0.0.1", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		return v2Server(t, chatserver.Config{}), &diagnosis.Dialer{TLS: trustOnly(t, certFile)}, "alice"
	}},
	{"TLS to a server that hangs up at once", "TLS: not a TLS server", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		_, certFile := tlsServer(t, "127.0.0.1", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		return hangUp(t), &diagnosis.Dialer{TLS: trustOnly(t, certFile)}, "alice"
	}},
	{"TLS to a listener that never answers", "TLS: no handshake", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return chattest.SilentListener(t), &diagnosis.Dialer{Timeout: shortWait, TLS: &tls.Config{ServerName: "localhost"}}, "alice"
	}},
	{"a certificate from an unknown authority", "TLS: certificate not trusted", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		addr, _ := tlsServer(t, "127.0.0.1", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		_, otherCert := tlsServer(t, "127.0.0.1", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		return addr, &diagnosis.Dialer{TLS: trustOnly(t, otherCert)}, "alice"
	}},
	{"a certificate for another host", "TLS: wrong host name", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		addr, certFile := tlsServer(t, "127.0.0.2", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		tc, err := certs.ClientTLS("127.0.0.2", certFile, false)
		require.NoError(t, err)
		return addr, &diagnosis.Dialer{TLS: tc}, "alice"
	}},
	{"an expired certificate", "TLS: certificate expired", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		addr, certFile := tlsServer(t, "127.0.0.1", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
		return addr, &diagnosis.Dialer{TLS: trustOnly(t, certFile)}, "alice"
	}},
	{"a TLS alert from the server", "TLS: handshake failed", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		// A server that demands TLS 1.3 only, against a client capped at 1.2.
		addr, certFile := tlsServer13(t)
		tc := trustOnly(t, certFile)
		tc.MaxVersion = tls.VersionTLS12
		return addr, &diagnosis.Dialer{TLS: tc}, "alice"
	}},
	{"a taken name", "name taken", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		addr := v2Server(t, chatserver.Config{})
		holder := chattest.Dial(t, addr, chattestCodec)
		holder.Send(proto.Message{Kind: proto.KindLogin, Username: "alice"})
		holder.Next()
		return addr, &diagnosis.Dialer{}, "ALICE"
	}},
	{"a name the rules forbid", "name invalid", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		return chattest.ClosedPort(t), &diagnosis.Dialer{}, "no spaces please" // refused before any dialling
	}},
	{"a full server", "server full", func(t *testing.T) (string, *diagnosis.Dialer, string) {
		addr := v2Server(t, chatserver.Config{MaxUsers: 1})
		holder := chattest.Dial(t, addr, chattestCodec)
		holder.Send(proto.Message{Kind: proto.KindLogin, Username: "bob"})
		holder.Next()
		return addr, &diagnosis.Dialer{}, "alice"
	}},
}

// unterminated is JSON lines without the newline at the end of what
// the client sends: a log-in, like a binary one, that does not end a line.
type unterminated struct{ jsonwire.Codec }

func (u unterminated) Append(dst []byte, m *proto.Message, dir proto.Dir) ([]byte, error) {
	b, err := u.Codec.Append(dst, m, dir)
	if dir == proto.ClientToServer {
		b = bytes.TrimSuffix(b, []byte("\n"))
	}
	return b, err
}

// scenarioCodec is the client's codec in a scenario, where it is not
// JSON lines: a log-in that does not end a line, which a line server
// meets with silence.
var scenarioCodec = map[string]proto.Codec{
	"a line server still waiting for the end of the log-in": unterminated{},
}

func tlsServer13(t *testing.T) (string, string) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	cert, _, err := certs.LoadOrCreate(certFile, keyFile)
	require.NoError(t, err)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	require.NoError(t, err)
	srv := chatserver.New(chatserver.Config{Codec: jsonwire.Codec{}})
	go srv.Serve(l)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return l.Addr().String(), certFile
}

func TestEveryFailureIsDiagnosed(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			addr, d, name := sc.setup(t)
			d.Stage = "v2"
			typing, _ := io.Pipe() // a user who types nothing, until the end
			t.Cleanup(func() { typing.Close() })
			// Only the scenarios whose server stays silent after the
			// log-in wait it out; every other answer must have all the
			// time a busy machine needs, or it would be taken for a
			// time-out.
			loginWait := time.Duration(0) // the client's default
			if sc.class == "log-in timed out" || scenarioCodec[sc.name] != nil {
				loginWait = shortWait
			}
			c := chatclient.New(chatclient.Config{
				Username:  name,
				Codec:     cmp.Or[proto.Codec](scenarioCodec[sc.name], jsonwire.Codec{}),
				Dial:      func(ctx context.Context) (net.Conn, error) { return d.Dial(ctx, addr) },
				In:        typing,
				Out:       io.Discard,
				LoginWait: loginWait,
				Validate:  diagnosis.Validate,
			})
			err := c.Run(t.Context())
			require.Error(t, err)
			p := d.Diagnose(err, addr)
			assert.Equal(t, sc.class, p.Class.Name, "error: %v", err)
			msg := p.String()
			assert.Equal(t, 1, strings.Count(msg, p.Cause()), "the cause is said once: %s", msg)
			assert.Contains(t, msg, "next step: "+p.Remedy())
			assert.NotContains(t, msg, "{addr}")
			assert.NotContains(t, msg, "{stage}")
		})
	}
}

// Every class of the table is shown to happen by a scenario above.
func TestEveryClassHasAScenario(t *testing.T) {
	covered := map[string]bool{}
	for _, sc := range scenarios {
		covered[sc.class] = true
	}
	for _, c := range diagnosis.Classes {
		if c.Name == "other" {
			continue
		}
		assert.True(t, covered[c.Name], "no scenario shows %q", c.Name)
	}
}

func TestExitStatusesAreDistinctPerFamily(t *testing.T) {
	for _, c := range diagnosis.Classes {
		assert.NotEqual(t, diagnosis.ExitOK, c.Status, c.Name)
		assert.NotEqual(t, diagnosis.ExitUsage, c.Status, c.Name)
	}
}
