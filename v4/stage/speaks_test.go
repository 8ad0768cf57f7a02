package stage_test

import (
	"net"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/chat-v2/diagnosis"
	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
)

// Every ChatProto client, pointed at a server of another kind, says what
// that server speaks, from what it answered to the log-in (or, when it
// closed without a word, from a TLS handshake tried after), with the exit
// status of the troubleshooting table.
func TestEachClientNamesWhatTheServerSpeaks(t *testing.T) {
	b := bintest.Build(t,
		"../../v2/cmd/server", "../../v2/cmd/server-tls", "../../v3/cmd/server", "../cmd/server",
		"../../classchat/task3/cmd/server",
		"../../v2/cmd/client", "../../v2/cmd/client-tls", "../../v3/cmd/client", "../cmd/client")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	port := map[string]string{
		"v2":     bintest.StartServer(t, b[0], "0").Port,
		"v2-tls": bintest.StartServer(t, b[1], "0", cert, key).Port,
		"v3":     bintest.StartServer(t, b[2], "0").Port,
		"v4":     bintest.StartServer(t, b[3], "0", cert, key).Port,
		"ClassChat": bintest.StartMatching(t, regexp.MustCompile(`server started on 127\.0\.0\.1:(\d+)$`),
			b[4], "--host", "127.0.0.1", "0").Port,
	}
	_, port["silent"], _ = net.SplitHostPort(chattest.SilentListener(t))
	clients := map[string]string{"v2": b[5], "v2-tls": b[6], "v3": b[7], "v4": b[8]}

	const (
		json      = "answered in JSON ChatProto (v1 or v2)"
		binary    = "answered in binary ChatProto (v3 or v4)"
		speaksTLS = "answered with TLS"
		classChat = "answered with ClassChat's text"
		silent    = "accepted the connection but never answered the log-in"
		noTLS     = "did not answer the TLS handshake"
	)
	for _, tt := range []struct {
		client, server string
		status         int
		says           string
	}{
		{"v2", "v2-tls", diagnosis.ExitWrongProtocol, speaksTLS},
		{"v2", "v3", diagnosis.ExitWrongProtocol, binary},
		{"v2", "v4", diagnosis.ExitWrongProtocol, speaksTLS},
		{"v2", "ClassChat", diagnosis.ExitWrongProtocol, classChat},
		{"v2", "silent", diagnosis.ExitLoginTimeout, silent},
		{"v2-tls", "v2", diagnosis.ExitWrongProtocol, json},
		{"v2-tls", "v3", diagnosis.ExitWrongProtocol, binary},
		{"v2-tls", "v4", diagnosis.ExitWrongProtocol, binary},
		{"v2-tls", "ClassChat", diagnosis.ExitWrongProtocol, classChat},
		{"v2-tls", "silent", diagnosis.ExitTLS, noTLS},
		{"v3", "v2", diagnosis.ExitWrongProtocol, json},
		{"v3", "v2-tls", diagnosis.ExitWrongProtocol, speaksTLS},
		{"v3", "v4", diagnosis.ExitWrongProtocol, speaksTLS},
		{"v3", "ClassChat", diagnosis.ExitWrongProtocol, classChat},
		{"v3", "silent", diagnosis.ExitLoginTimeout, silent},
		{"v4", "v2", diagnosis.ExitWrongProtocol, json},
		{"v4", "v2-tls", diagnosis.ExitWrongProtocol, json},
		{"v4", "v3", diagnosis.ExitWrongProtocol, binary},
		{"v4", "ClassChat", diagnosis.ExitWrongProtocol, classChat},
		{"v4", "silent", diagnosis.ExitTLS, noTLS},
	} {
		t.Run("client-"+tt.client+" at "+tt.server, func(t *testing.T) {
			args := []string{"--timeout", "2s", "bob", "127.0.0.1", port[tt.server]}
			if tt.client == "v2-tls" || tt.client == "v4" {
				args = append([]string{"--ca", cert}, args...)
			}
			out, status := bintest.Run(t, "", clients[tt.client], args...)
			assert.Equal(t, tt.status, status, out)
			assert.Contains(t, out, "127.0.0.1:"+port[tt.server]+" "+tt.says)
			assert.Contains(t, out, "next step: ")
		})
	}
}
