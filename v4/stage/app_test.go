package stage_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v2/diagnosis"
	"chatlab/chat-v3/binwire"
	"chatlab/shared/bintest"
	"chatlab/shared/certs"
	"chatlab/shared/chattest"
	lifecycle "chatlab/shared/server"
)

func TestMain(m *testing.M) { bintest.Main(m) }

var fingerprint = regexp.MustCompile(`sha256=((?:[0-9A-F]{2}:){31}[0-9A-F]{2})`)

func TestV4(t *testing.T) {
	b := bintest.Build(t, "../cmd/server", "../cmd/client", "../../v3/cmd/server")
	server, client, serverV3 := b[0], b[1], b[2]
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")

	srv := bintest.StartServer(t, server, "0", cert, key)
	require.Len(t, srv.Before, 3)
	assert.Contains(t, srv.Before[0], "[INFO] made a new self-signed certificate for localhost, 127.0.0.1, ::1 at "+cert+" key="+key)
	m := fingerprint.FindStringSubmatch(srv.Before[2])
	require.NotNil(t, m, srv.Before[2])
	fp := m[1]
	info, err := os.Stat(key)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the private key is private")

	t.Run("a verified session shows what TLS negotiated", func(t *testing.T) {
		out, status := bintest.Run(t, "hello\n", client, "--ca", cert, "alice", "127.0.0.1", srv.Port)
		require.Equal(t, 0, status, out)
		assert.Regexp(t, `\*\*\* TLS: TLS 1\.3, TLS_\w+`, out)
		assert.Contains(t, out, "*** server certificate: localhost, SHA-256 "+fp, "the fingerprint the server printed")
		assert.Contains(t, out, "*** the certificate is trusted and valid for 127.0.0.1")
		assert.Contains(t, out, "[general] alice: hello  (to 0 users)")
	})
	t.Run("--trace shows the certificate in detail", func(t *testing.T) {
		out, status := bintest.Run(t, "", client, "--trace", "--ca", cert, "alice", "localhost", srv.Port)
		require.Equal(t, 0, status, out)
		assert.Contains(t, out, "names:   localhost, 127.0.0.1, ::1")
		assert.Contains(t, out, "→ LOGIN C→S, 15 bytes")
	})
	t.Run("--insecure warns at every connection", func(t *testing.T) {
		out, status := bintest.Run(t, "", client, "--insecure", "bob", "127.0.0.1", srv.Port)
		require.Equal(t, 0, status, out)
		assert.Contains(t, out, "warning: --insecure: the certificate was NOT checked")
		assert.Equal(t, 1, strings.Count(out, "--insecure"), "the warning is shown once:\n%s", out)
	})

	other := filepath.Join(dir, "other.crt")
	require.NoError(t, certs.Generate(other, filepath.Join(dir, "other.key"), time.Hour))
	expiredCert, expiredKey := filepath.Join(dir, "expired.crt"), filepath.Join(dir, "expired.key")
	require.NoError(t, certs.GenerateWindow(expiredCert, expiredKey, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)))
	expired := bintest.StartServer(t, server, "0", expiredCert, expiredKey)
	plain := bintest.StartServer(t, serverV3, "0")
	_, silentPort, _ := net.SplitHostPort(chattest.SilentListener(t))

	for _, tt := range []struct {
		name  string
		args  []string
		cause string
	}{
		{"unknown authority", []string{"--ca", other, "carol", "127.0.0.1", srv.Port}, "not signed by an authority this client trusts"},
		{"host-name mismatch", []string{"--ca", cert, "carol", "127.0.0.2", srv.Port}, "not valid for the host name used"},
		{"expired certificate", []string{"--ca", expiredCert, "carol", "127.0.0.1", expired.Port}, "has expired"},
		{"a handshake that never ends", []string{"--timeout", "300ms", "--ca", cert, "carol", "127.0.0.1", silentPort}, "did not answer the TLS handshake"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, status := bintest.Run(t, "", client, tt.args...)
			assert.Equal(t, diagnosis.ExitTLS, status, out)
			assert.Contains(t, out, tt.cause)
			assert.Contains(t, out, "next step: ")
		})
	}

	t.Run("a plaintext server", func(t *testing.T) {
		out, status := bintest.Run(t, "", client, "--ca", cert, "carol", "127.0.0.1", plain.Port)
		assert.Equal(t, diagnosis.ExitWrongProtocol, status, out)
		assert.Contains(t, out, "answered in binary ChatProto (v3 or v4)")
	})

	t.Run("SIGTERM tells TLS clients", func(t *testing.T) {
		tc, err := certs.ClientTLS("127.0.0.1", cert, false)
		require.NoError(t, err)
		// anon has shaken hands but not logged in.
		conn, err := tls.Dial("tcp", srv.Addr(), tc)
		require.NoError(t, err)
		anon := chattest.Wrap(t, conn, wiretest.Codec(binwire.Codec{}))
		conn, err = tls.Dial("tcp", srv.Addr(), tc)
		require.NoError(t, err)
		c := chattest.Wrap(t, conn, wiretest.Codec(binwire.Codec{}))
		c.Send(proto.Message{Kind: proto.KindLogin, Username: "dave"})
		require.Equal(t, proto.KindLoginAck, c.Next().Kind)
		sent := time.Now()
		require.NoError(t, srv.Cmd.Process.Signal(syscall.SIGTERM))
		for _, c := range []*wiretest.Client{c, anon} {
			assert.Equal(t, []proto.Message{{Kind: proto.KindSystemMsg, Text: proto.ShutdownMessage}}, c.ExpectClosed())
		}
		assert.NoError(t, srv.Wait(t))
		assert.Less(t, time.Since(sent), lifecycle.DefaultShutdownGrace, "within the grace period")
	})
}

// With no paths, the server, the client and certgen share one place: the
// user's configuration folder, never the folder they run in.
func TestDefaultCertificatePlace(t *testing.T) {
	b := bintest.Build(t, "../cmd/server", "../cmd/client")
	server, client := b[0], b[1]
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("HOME", config)
	place, err := certs.DefaultDir()
	require.NoError(t, err)
	cert, key := filepath.Join(place, "server.crt"), filepath.Join(place, "server.key")

	out, status := bintest.Run(t, "", client, "alice")
	assert.Equal(t, diagnosis.ExitUsage, status, out)
	assert.Contains(t, out, "no CA certificate at "+cert+", the default place: start the TLS server on this machine once (make server-v4")
	assert.Contains(t, out, "--ca FILE")
	assert.Contains(t, out, "--insecure")

	srv := bintest.StartServer(t, server, "0")
	require.Len(t, srv.Before, 3, srv.Before)
	assert.Equal(t, "[INFO] made a new self-signed certificate for localhost, 127.0.0.1, ::1 at "+cert+" key="+key+` in="the default place"`, srv.Before[0])
	assert.Equal(t, "[INFO] clients trust it with --ca "+cert+" (the default: clients on this machine need no flag)", srv.Before[1])
	info, err := os.Stat(place)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "the folder of the key is private")
	info, err = os.Stat(key)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the key is private")
	_, err = os.Stat("server.key")
	assert.ErrorIs(t, err, os.ErrNotExist, "no key in the working directory")

	out, status = bintest.Run(t, "hello\n", client, "alice", "127.0.0.1", srv.Port)
	assert.Equal(t, 0, status, out)
	assert.Contains(t, out, "*** the certificate is trusted and valid for 127.0.0.1")

	again := bintest.StartServer(t, server, "0")
	require.Len(t, again.Before, 2, again.Before)
	assert.Equal(t, "[INFO] using certificate "+cert+" key="+key+` from="the default place"`, again.Before[0])
}
