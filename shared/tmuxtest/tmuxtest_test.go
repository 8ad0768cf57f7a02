package tmuxtest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/tmuxtest"
)

// script reads a line and echoes it, prints its environment and more lines
// than fit, reports the size after a resize, sets a scroll region and
// exits.
const script = `printf 'name? '
read x
echo "got:$x"
echo "TERM=$TERM FOO=$FOO"
i=1; while [ $i -le 10 ]; do echo "line $i"; i=$((i+1)); done
printf 'size? '
read y
echo "size: $(stty size)"
printf '\033[2;4r'
read z
exit 3`

// TestPane runs a shell script in a pane: typing, the environment,
// history, resizing, the scroll region and the end of the program.
func TestPane(t *testing.T) {
	tmuxtest.Require(t)
	p := tmuxtest.Start(t, tmuxtest.Options{Width: 40, Height: 6, Term: "screen", Env: []string{"FOO=bar"}},
		"sh", "-c", script)

	t.Log("Test: the script's prompt, with the cursor after it")
	s := p.WaitFor("the prompt", func(s tmuxtest.Screen) bool { return s.Rows[0] == "name?" && s.X == 6 })
	assert.Len(t, s.Rows, 6)
	assert.Equal(t, 0, s.Y)
	assert.True(t, s.FullRegion(), "no scroll region yet:\n%s", s)
	assert.False(t, s.Exited)

	t.Log("Test: typing slowly echoes each character")
	var steps []string
	p.TypeSlowly("héllo", time.Millisecond, func(typed string) {
		steps = append(steps, typed)
		p.WaitFor(fmt.Sprintf("%q echoed", typed), func(s tmuxtest.Screen) bool { return s.Rows[0] == "name? "+typed })
	})
	assert.Equal(t, []string{"h", "hé", "hél", "héll", "héllo"}, steps)

	t.Log("Test: Enter; the line, the environment and 10 lines scroll the 6-row screen")
	p.Keys("Enter")
	s = p.WaitFor("the size question", func(s tmuxtest.Screen) bool { return s.Bottom() == "size?" })
	assert.Equal(t, []string{"line 6", "line 7", "line 8", "line 9", "line 10", "size?"}, s.Rows)
	history := p.History()
	assert.Equal(t, []string{"name? héllo", "got:héllo", "TERM=screen FOO=bar", "line 1"}, history[:4])
	assert.Equal(t, "size?", history[len(history)-1], "history:\n%s", strings.Join(history, "\n"))

	t.Log("Test: a resize reaches the program")
	p.Resize(50, 8)
	p.Keys("Enter")
	s = p.WaitFor("the new size and a scroll region", func(s tmuxtest.Screen) bool {
		return slices.Contains(s.Rows, "size: 8 50") && s.Upper == 1
	})
	assert.Len(t, s.Rows, 8)
	assert.Equal(t, 3, s.Lower)
	assert.False(t, s.FullRegion())
	assert.Contains(t, s.String(), "scroll region rows 1-3")

	t.Log("Test: the end of the program")
	p.Keys("Enter")
	s = p.WaitFor("the program's end", func(s tmuxtest.Screen) bool { return s.Exited })
	assert.Contains(t, s.String(), "the program has exited")
}
