package bonus2_test

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/bonus2"
	"chatlab/shared/bintest"
	"chatlab/shared/tmuxtest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

// In a terminal, /sendfile asks its two questions at the prompt, where
// the answers are typed, not as lines above it.
func TestSendFileAsksAtThePrompt(t *testing.T) {
	tmuxtest.Require(t)
	client := bintest.Build(t, "./cmd/client")[0]
	addr := start(t)
	alice := login(t, addr, "alice")
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(path, []byte("the notes"), 0o644))

	p := tmuxtest.Start(t, tmuxtest.Options{Width: 100, Height: 20},
		client, "--name", "carol", "--downloads", t.TempDir(), "127.0.0.1", port)
	p.WaitFor("carol's prompt", func(s tmuxtest.Screen) bool { return s.Bottom() == "carol>" })
	alice.Next() // carol joined
	alice.Next() // user list

	p.Type("/sendfile")
	p.Keys("Enter")
	p.WaitFor("the first question, as the prompt", func(s tmuxtest.Screen) bool {
		return s.Bottom() == "Recipient username:" && s.X == len("Recipient username: ")
	})
	p.Type("alice")
	p.Keys("Enter")
	s := p.WaitFor("the second question, as the prompt", func(s tmuxtest.Screen) bool {
		return s.Bottom() == "File path:" && slices.Contains(s.Rows, "Recipient username: alice")
	})
	assert.False(t, slices.Contains(s.Rows[:len(s.Rows)-1], "Recipient username:"), "the question is not a line above the prompt:\n%s", s)
	p.Type(path)
	p.Keys("Enter")
	var ft bonus2.FileTransfer
	alice.Decode(&ft)
	assert.Equal(t, "notes.txt", ft.Filename)
	p.WaitFor("the file sent, and carol's prompt back", func(s tmuxtest.Screen) bool {
		return s.Bottom() == "carol>" && slices.ContainsFunc(s.Rows, func(r string) bool {
			return strings.HasPrefix(r, "[SUCCESS] File 'notes.txt' sent to alice")
		})
	})
}
