package stage_test

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v2/diagnosis"
	"chatlab/shared/bintest"
	"chatlab/shared/certs"
)

// process is a client binary running with a pipe to type into and its
// output collected.
type process struct {
	cmd    *exec.Cmd
	typing io.WriteCloser
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
	status int
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func runClient(t *testing.T, bin string, args ...string) *process {
	p := &process{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	var err error
	p.typing, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	require.NoError(t, p.cmd.Start())
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.status = ee.ExitCode()
		}
		close(p.done)
	}()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

// waitFor waits until the output holds want count times.
func (p *process) waitFor(t *testing.T, want string, count int) {
	t.Helper()
	deadline := time.Now().Add(bintest.Timeout)
	for strings.Count(p.output(), want) < count {
		if time.Now().After(deadline) {
			t.Fatalf("no %q (x%d) in the client's output:\n%s", want, count, p.output())
		}
		select {
		case <-p.done:
			if strings.Count(p.output(), want) < count {
				t.Fatalf("the client exited (status %d) without %q:\n%s", p.status, want, p.output())
			}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// The v4 server is stopped and started again on the same port: the
// client reconnects, verifies the certificate again and goes back to its
// room. When the server comes back with another certificate, the client
// stops trying and exits as a TLS failure.
func TestClientReconnectsToARestartedServer(t *testing.T) {
	b := bintest.Build(t, "../cmd/server", "../cmd/client")
	server, client := b[0], b[1]
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	srv := bintest.StartServer(t, server, "0", cert, key)
	port := srv.Port

	alice := runClient(t, client, "--ca", cert, "alice", "127.0.0.1", port)
	alice.waitFor(t, "*** logged in as alice, in room general", 1)
	io.WriteString(alice.typing, "/join tech\n")
	alice.waitFor(t, "*** you are now in tech (a new room)", 1)

	t.Log("Test: the server stops; the client says it reconnects, and does once the server is back")
	require.NoError(t, srv.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, srv.Wait(t))
	alice.waitFor(t, "*** connection lost — reconnecting in ", 1)
	alice.waitFor(t, "(attempt 1 of 8)", 1)
	again := bintest.StartServer(t, server, port, cert, key)
	alice.waitFor(t, "*** logged in as alice, in room general", 2)
	alice.waitFor(t, "*** you are now in tech (a new room)", 2)
	assert.Equal(t, 2, strings.Count(alice.output(), "*** the certificate is trusted and valid for 127.0.0.1"), "verified again")

	t.Log("Test: back with another certificate, the client gives up at once")
	require.NoError(t, again.Cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, again.Wait(t))
	alice.waitFor(t, "*** connection lost — reconnecting in ", 2)
	otherCert, otherKey := filepath.Join(dir, "other.crt"), filepath.Join(dir, "other.key")
	require.NoError(t, certs.Generate(otherCert, otherKey, time.Hour))
	bintest.StartServer(t, server, port, otherCert, otherKey)
	<-alice.done
	out := alice.output()
	assert.Equal(t, diagnosis.ExitTLS, alice.status, out)
	assert.Contains(t, out, "!!! cannot reconnect: TLS handshake")
	assert.Contains(t, out, "not signed by an authority this client trusts")
	after := out[strings.Index(out, "!!! cannot reconnect"):]
	assert.NotContains(t, after, "reconnecting in", "no attempt after a certificate that does not verify")
	assert.NotContains(t, after, "attempt ", "the verification failure ends the attempts")
}
