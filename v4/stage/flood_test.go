package stage_test

import (
	"crypto/tls"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v3/binwire"
	"chatlab/shared/bintest"
	"chatlab/shared/certs"
	"chatlab/shared/chattest"
)

// Three clients that flood their room at once with 4 KiB messages flat
// out, over TLS slow only themselves: client-v4 reading in the same room keeps
// up and is not cut off as a slow consumer (their bursts together fit in
// its queue, and it reads three times the byte rate with room to spare).
func TestFlooderSlowsOnlyItself(t *testing.T) {
	b := bintest.Build(t, "../cmd/server", "../cmd/client")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	wiretest.Flood{
		Server:     bintest.StartServer(t, b[0], "0", cert, key),
		Client:     b[1],
		ClientArgs: []string{"--ca", cert},
		Codec:      binwire.Codec{},
		Dial: func(t *testing.T, addr string) net.Conn {
			tc, err := certs.ClientTLS("127.0.0.1", cert, false)
			require.NoError(t, err)
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: chattest.Timeout}, "tcp", addr, tc)
			require.NoError(t, err)
			return conn
		},
		For:      4 * time.Second,
		Flooders: 3,
	}.Check(t)
}
