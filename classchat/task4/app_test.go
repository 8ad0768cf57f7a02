package task4_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/bintest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

var ready = regexp.MustCompile(`^\[INFO\] ClassChat task 4 server started on 127\.0\.0\.1:(\d+)$`)

// Our client against our server, as built, with piped input.
func TestBinaries(t *testing.T) {
	b := bintest.Build(t, "./cmd/server", "./cmd/client")
	srv := bintest.StartMatching(t, ready, b[0], "0")
	bob := login(t, srv.Addr(), "bob")

	out, status := bintest.Run(t, "bob hello from the Go client\nnobody hi\nexit\n", b[1], "--name", "alice", "127.0.0.1", srv.Port)
	assert.Equal(t, 0, status, out)
	assert.Contains(t, out, "Welcome alice! You are now connected to ClassChat.")
	assert.Contains(t, out, "[✓] Message delivered to bob")
	assert.Contains(t, out, "[ERROR] User 'nobody' is not connected.")
	bob.Next() // alice joined
	bob.Next() // user list
	got := bob.Next()
	assert.Equal(t, "alice", got.Sender)
	assert.Equal(t, "hello from the Go client", got.Text)

	// Without --name the client asks, as the original did: the first line.
	out, status = bintest.Run(t, "carol\nexit\n", b[1], "127.0.0.1", srv.Port)
	assert.Equal(t, 0, status, out)
	assert.Contains(t, out, "Enter your username:")
	assert.Contains(t, out, "Welcome carol!")

	out, status = bintest.Run(t, "", b[1], "--name", "bob", "127.0.0.1", srv.Port)
	assert.Equal(t, 1, status, out)
	assert.Contains(t, out, "[ERROR] Username 'bob' is already taken. Disconnecting...")
}
