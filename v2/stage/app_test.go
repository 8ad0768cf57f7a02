package stage_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v2/diagnosis"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

type bins struct{ server, client, serverTLS, clientTLS string }

func binaries(t *testing.T) bins {
	b := bintest.Build(t, "../cmd/server", "../cmd/client", "../cmd/server-tls", "../cmd/client-tls")
	return bins{b[0], b[1], b[2], b[3]}
}

func TestClientExitStatuses(t *testing.T) {
	b := binaries(t)
	srv := bintest.StartServer(t, b.server, "0")
	holder := chattest.Dial(t, srv.Addr(), wiretest.Codec(jsonwire.Codec{}))
	holder.Send(proto.Message{Kind: proto.KindLogin, Username: "alice"})
	require.Equal(t, proto.KindLoginAck, holder.Next().Kind)
	_, closedPort, _ := net.SplitHostPort(chattest.ClosedPort(t))

	tests := []struct {
		name   string
		args   []string
		input  string
		status int
		output []string
	}{
		{"help lists the exit statuses", []string{"--help"}, "", 0,
			[]string{"-timeout duration", "  11  connection refused", "  15  closed without answering; speaks TLS"}},
		{"usage", []string{"--timeout", "0s", "alice"}, "", diagnosis.ExitUsage, []string{"--timeout must be positive"}},
		{"nobody listening", []string{"bob", "127.0.0.1", closedPort}, "", diagnosis.ExitRefused,
			[]string{"client-v2: nothing is listening at 127.0.0.1:" + closedPort,
				"next step: is the server running? start it with make server-v2, and check the port"}},
		{"invalid name", []string{"no way!", "127.0.0.1", srv.Port}, "", diagnosis.ExitNameInvalid,
			[]string{`"no way!" contains ' '`}},
		{"taken name", []string{"Alice", "127.0.0.1", srv.Port}, "", diagnosis.ExitNameTaken,
			[]string{"someone with that name (ignoring case) is online (the name alice is taken)", "next step: pick another name"}},
		{"a session", []string{"carol", "127.0.0.1", srv.Port}, "hello\n/j #x\n", 0,
			[]string{"[general] carol: hello  (to 1 user)", `"#x" contains '#'`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, status := bintest.Run(t, tt.input, b.client, tt.args...)
			assert.Equal(t, tt.status, status, "output:\n%s", out)
			for _, want := range tt.output {
				assert.Contains(t, out, want)
			}
		})
	}
}

func TestTLSStage(t *testing.T) {
	b := binaries(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	srv := bintest.StartServer(t, b.serverTLS, "0", cert, key)
	require.Len(t, srv.Before, 3)
	assert.Equal(t, "[INFO] made a new self-signed certificate for localhost, 127.0.0.1, ::1 at "+cert+" key="+key+` in="the paths given"`, srv.Before[0])
	assert.Equal(t, "[INFO] clients trust it with --ca "+cert, srv.Before[1])
	assert.Regexp(t, `^\[INFO\] TLS certificate sha256=([0-9A-F]{2}:){31}[0-9A-F]{2}$`, srv.Before[2])
	info, err := os.Stat(key)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	t.Run("a TLS session", func(t *testing.T) {
		out, status := bintest.Run(t, "hello over TLS\n/users\n", b.clientTLS, "--ca", cert, "alice", "127.0.0.1", srv.Port)
		assert.Equal(t, 0, status, out)
		assert.Contains(t, out, "[general] alice: hello over TLS  (to 0 users)")
		assert.Contains(t, out, "*** 1 user in general: alice")
	})
	t.Run("insecure warns", func(t *testing.T) {
		out, status := bintest.Run(t, "", b.clientTLS, "--insecure", "bob", "localhost", srv.Port)
		assert.Equal(t, 0, status, out)
		assert.Contains(t, out, "warning: --insecure: the server's certificate is not checked")
		assert.Equal(t, 1, strings.Count(out, "--insecure"), "the warning is shown once:\n%s", out)
	})
	t.Run("no certificate to trust", func(t *testing.T) {
		out, status := bintest.Run(t, "", b.clientTLS, "--ca", filepath.Join(dir, "missing.crt"), "bob", "127.0.0.1", srv.Port)
		assert.Equal(t, diagnosis.ExitUsage, status, out)
		assert.Contains(t, out, "--ca "+filepath.Join(dir, "missing.crt")+": no such file")
	})
	t.Run("plain client at the TLS server", func(t *testing.T) {
		out, status := bintest.Run(t, "", b.client, "bob", "127.0.0.1", srv.Port)
		assert.Equal(t, diagnosis.ExitWrongProtocol, status, out)
		assert.Contains(t, out, "answered with TLS (it closed the connection on the log-in, and answers a TLS handshake)")
	})
	t.Run("TLS client at a plain server", func(t *testing.T) {
		plain := bintest.StartServer(t, b.server, "0")
		out, status := bintest.Run(t, "", b.clientTLS, "--ca", cert, "bob", "127.0.0.1", plain.Port)
		assert.Equal(t, diagnosis.ExitWrongProtocol, status, out)
		assert.Contains(t, out, "answered in JSON ChatProto (v1 or v2)")
	})
	t.Run("the key is kept", func(t *testing.T) {
		again := bintest.StartServer(t, b.serverTLS, "0", cert, key)
		require.Len(t, again.Before, 2, "no new certificate when one exists")
		assert.Equal(t, "[INFO] using certificate "+cert+" key="+key+` from="the paths given"`, again.Before[0])
		assert.Equal(t, srv.Before[2], again.Before[1], "same fingerprint")
	})
}
