package stage_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/bintest"
	"chatlab/shared/tmuxtest"
)

// A line over the limit, typed in a terminal, is refused with the reason
// and comes back on the prompt row, whole, to be shortened.
func TestTooLongLineComesBackInTheEditor(t *testing.T) {
	tmuxtest.Require(t)
	b := binaries(t)
	srv := bintest.StartServer(t, b.server, "0")
	p := tmuxtest.Start(t, tmuxtest.Options{Width: 80, Height: 12},
		"sh", "-c", `"$@"; echo "exit=$?"; exec sleep 600`, "sh", b.client, "alice", "127.0.0.1", srv.Port)
	const prompt = "alice@general> "
	p.WaitFor("the prompt", func(s tmuxtest.Screen) bool { return s.Bottom() == strings.TrimSpace(prompt) })

	line := "start " + strings.Repeat("y", 4990) + " end"
	p.Type(line)
	p.WaitFor("the end of the typed line", func(s tmuxtest.Screen) bool { return strings.HasSuffix(s.Bottom(), "yyy end") })
	p.Keys("Enter")
	t.Log("Test: the reason is shown, and the line is back on the prompt row, the cursor at its end")
	p.WaitFor("the refusal and the line back", func(s tmuxtest.Screen) bool {
		refused := false
		for _, row := range s.Rows {
			refused = refused || strings.Contains(row, "!!! the message is 5000 bytes; the limit is")
		}
		return refused && strings.HasSuffix(s.Bottom(), "yyy end")
	})
	t.Log("Test: it is the whole line: Home shows its start")
	p.Keys("Home")
	s := p.WaitFor("the start of the line", func(s tmuxtest.Screen) bool { return strings.HasPrefix(s.Bottom(), prompt+"start yyy") })
	assert.Equal(t, len(prompt), s.X, "the cursor at the start of the text")
}
