package task1_test

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/shared/bintest"
	"chatlab/shared/chattest"
	"chatlab/shared/exitcode"
)

func TestMain(m *testing.M) { bintest.Main(m) }

// The line client is built as client-task1 and as client-task3: its help
// names the binary it runs as, and its usage line is true.
func TestClientHelpNamesItself(t *testing.T) {
	bin := bintest.Build(t, "./cmd/client")[0]
	for _, name := range []string{"client-task1", "client-task3"} {
		path := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.Symlink(bin, path))
		out, status := bintest.Run(t, "", path, "--help")
		assert.Equal(t, 0, status)
		assert.Contains(t, out, "Usage:\n  "+name+" [host] [port]\n", "the usage line names %s and lists no flags", name)
		assert.NotContains(t, out, "[flags]")
	}
}

// A refused connection is explained in words, with the next step and its
// status; no Go error reaches the user.
func TestClientExplainsRefused(t *testing.T) {
	bin := bintest.Build(t, "./cmd/client")[0]
	path := filepath.Join(t.TempDir(), "client-task3")
	require.NoError(t, os.Symlink(bin, path))
	addr := chattest.ClosedPort(t)
	host, port := splitHostPort(t, addr)
	out, status := bintest.Run(t, "", path, host, port)
	assert.Equal(t, exitcode.Refused, status, out)
	assert.Contains(t, out, "client-task3: nothing is listening at "+addr)
	assert.Contains(t, out, "next step: is the server running? start it with make server-task3")
	assert.NotContains(t, out, "dial tcp")
}

func splitHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return host, port
}
