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
		// silence: the server says nothing to this client's log-in, so
		// the client must wait out its time limit; only these cases get
		// a short one, every answer has all the time a busy machine needs.
		silence bool
	}{
		{"v2", "v2-tls", diagnosis.ExitWrongProtocol, speaksTLS, false},
		{"v2", "v3", diagnosis.ExitWrongProtocol, binary, false},
		{"v2", "v4", diagnosis.ExitWrongProtocol, speaksTLS, false},
		{"v2", "ClassChat", diagnosis.ExitWrongProtocol, classChat, false},
		{"v2", "silent", diagnosis.ExitLoginTimeout, silent, true},
		{"v2-tls", "v2", diagnosis.ExitWrongProtocol, json, false},
		{"v2-tls", "v3", diagnosis.ExitWrongProtocol, binary, false},
		{"v2-tls", "v4", diagnosis.ExitWrongProtocol, binary, false},
		{"v2-tls", "ClassChat", diagnosis.ExitWrongProtocol, classChat, false},
		{"v2-tls", "silent", diagnosis.ExitTLS, noTLS, true},
		{"v3", "v2", diagnosis.ExitWrongProtocol, json, true},
		{"v3", "v2-tls", diagnosis.ExitWrongProtocol, speaksTLS, false},
		{"v3", "v4", diagnosis.ExitWrongProtocol, speaksTLS, false},
		{"v3", "ClassChat", diagnosis.ExitWrongProtocol, classChat, false},
		{"v3", "silent", diagnosis.ExitLoginTimeout, silent, true},
		{"v4", "v2", diagnosis.ExitWrongProtocol, json, false},
		{"v4", "v2-tls", diagnosis.ExitWrongProtocol, json, true},
		{"v4", "v3", diagnosis.ExitWrongProtocol, binary, false},
		{"v4", "ClassChat", diagnosis.ExitWrongProtocol, classChat, false},
		{"v4", "silent", diagnosis.ExitTLS, noTLS, true},
	} {
		t.Run("client-"+tt.client+" at "+tt.server, func(t *testing.T) {
			t.Parallel()
			timeout := "60s"
			if tt.silence {
				timeout = "2s"
			}
			args := []string{"--timeout", timeout, "bob", "127.0.0.1", port[tt.server]}
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
