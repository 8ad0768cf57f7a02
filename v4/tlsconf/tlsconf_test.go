package tlsconf_test

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v3/binwire"
	"chatlab/chat-v4/stage"
	"chatlab/chat-v4/tlsconf"
	"chatlab/shared/certs"
	"chatlab/shared/chattest"
	"chatlab/shared/logging"
)

// tlsServer is a v4 server on 127.0.0.1 with a fresh certificate.
type tlsServer struct {
	addr     string
	certFile string
	log      *chattest.Output
}

func startTLS(t *testing.T, cfg chatserver.Config, handshake time.Duration) *tlsServer {
	t.Helper()
	dir := t.TempDir()
	s := &tlsServer{certFile: filepath.Join(dir, "server.crt"), log: chattest.NewOutput()}
	logger := logging.New(s.log, false)
	tc, err := tlsconf.ServerConfig(s.certFile, filepath.Join(dir, "server.key"), logger)
	require.NoError(t, err)
	cfg.Codec, cfg.OnBadInput = binwire.Codec{}, stage.ServerConfig().OnBadInput
	if cfg.Logger == nil { // a test that reads the chat server's log brings its own
		cfg.Logger = logger
	}
	srv := chatserver.New(cfg)
	srv.Handler = &tlsconf.Handshaker{Config: tc, Timeout: handshake, Next: srv.Handler, Log: logger}
	s.addr = chattest.Start(t, srv)
	return s
}

func (s *tlsServer) clientConfig(t *testing.T) *tls.Config {
	tc, err := certs.ClientTLS("127.0.0.1", s.certFile, false)
	require.NoError(t, err)
	return tc
}

// The whole of v3's behaviour, over TLS.
func TestSuiteOverTLS(t *testing.T) {
	var mu sync.Mutex
	trusted := map[string]string{} // address → certificate file
	wiretest.Suite(t, wiretest.Env{
		Codec: binwire.Codec{},
		Start: func(t *testing.T, cfg chatserver.Config) string {
			s := startTLS(t, cfg, tlsconf.HandshakeTimeout)
			mu.Lock()
			trusted[s.addr] = s.certFile
			mu.Unlock()
			return s.addr
		},
		Dial: func(t *testing.T, addr string) net.Conn {
			mu.Lock()
			certFile := trusted[addr]
			mu.Unlock()
			tc, err := certs.ClientTLS("127.0.0.1", certFile, false)
			require.NoError(t, err)
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: chattest.Timeout}, "tcp", addr, tc)
			require.NoError(t, err)
			return conn
		},
	})
}

func TestVersions(t *testing.T) {
	s := startTLS(t, chatserver.Config{}, tlsconf.HandshakeTimeout)
	for _, tt := range []struct {
		name     string
		min, max uint16
		ok       bool
	}{
		{"TLS 1.1 only is refused", tls.VersionTLS10, tls.VersionTLS11, false},
		{"TLS 1.2 is accepted", tls.VersionTLS12, tls.VersionTLS12, true},
		{"TLS 1.3 is accepted", tls.VersionTLS13, tls.VersionTLS13, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tc := s.clientConfig(t)
			tc.MinVersion, tc.MaxVersion = tt.min, tt.max
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: chattest.Timeout}, "tcp", s.addr, tc)
			if !tt.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "protocol version", "the server refuses the version")
				return
			}
			require.NoError(t, err)
			defer conn.Close()
			assert.Equal(t, tt.max, conn.ConnectionState().Version)
			c := chattest.Wrap(t, conn, wiretest.Codec(binwire.Codec{}))
			c.Send(proto.Message{Kind: proto.KindLogin, Username: "v" + strings.ReplaceAll(tt.name[4:7], ".", "")})
			assert.Equal(t, proto.KindLoginAck, c.Next().Kind)
		})
	}
	s.log.WaitFor(t, "TLS handshake failed; closing")
}

// A plaintext client is logged as such and closed; the others go on.
func TestPlaintextClient(t *testing.T) {
	s := startTLS(t, chatserver.Config{}, tlsconf.HandshakeTimeout)
	conn, err := tls.Dial("tcp", s.addr, s.clientConfig(t))
	require.NoError(t, err)
	alice := chattest.Wrap(t, conn, wiretest.Codec(binwire.Codec{}))
	alice.Send(proto.Message{Kind: proto.KindLogin, Username: "alice"})
	require.Equal(t, proto.KindLoginAck, alice.Next().Kind)

	plain := chattest.Dial(t, s.addr, wiretest.Codec(binwire.Codec{}))
	plain.Send(proto.Message{Kind: proto.KindLogin, Username: "bob"})
	assert.Empty(t, plain.ExpectClosed())
	wiretest.Sync(t, alice)
	s.log.WaitFor(t, "[WARN] plaintext client: it did not start a TLS handshake; closing")
	assert.Contains(t, s.log.String(), `first_bytes="43 50 01 01 00"`)
}

// A client that never starts its handshake is cut off in time.
func TestHandshakeTimeout(t *testing.T) {
	s := startTLS(t, chatserver.Config{}, 200*time.Millisecond)
	idle := chattest.Dial(t, s.addr, wiretest.Codec(binwire.Codec{}))
	assert.Empty(t, idle.ExpectClosed())
	// The TLS package closes the connection itself when the time is up,
	// so the log line may come just after the close.
	s.log.WaitFor(t, "TLS handshake timed out; closing")
}

func TestAbout(t *testing.T) {
	s := startTLS(t, chatserver.Config{}, tlsconf.HandshakeTimeout)
	conn, err := tls.Dial("tcp", s.addr, s.clientConfig(t))
	require.NoError(t, err)
	defer conn.Close()
	lines := tlsconf.About(conn, "127.0.0.1", false, true)
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Equal(t, "TLS: TLS 1.3, TLS_AES_128_GCM_SHA256", lines[0])
	fp := s.log.String()[strings.Index(s.log.String(), "sha256=")+len("sha256=") : strings.Index(s.log.String(), "sha256=")+len("sha256=")+95]
	assert.Equal(t, "server certificate: localhost, SHA-256 "+fp, lines[1], "the fingerprint the server logged")
	assert.Contains(t, strings.Join(lines, "\n"), "  names:   localhost, 127.0.0.1, ::1")
	assert.Equal(t, "the certificate is trusted and valid for 127.0.0.1", lines[len(lines)-1])

	insecure, err := tls.Dial("tcp", s.addr, &tls.Config{InsecureSkipVerify: true})
	require.NoError(t, err)
	defer insecure.Close()
	lines = tlsconf.About(insecure, "127.0.0.1", true, false)
	assert.Contains(t, lines[len(lines)-1], "warning: --insecure: the certificate was NOT checked")
}
