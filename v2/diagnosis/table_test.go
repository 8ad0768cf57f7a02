package diagnosis_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v2/diagnosis"
)

var update = flag.Bool("update", false, "rewrite the troubleshooting table in ../README.md")

const (
	readme     = "../README.md"
	tableBegin = "<!-- troubleshooting table: made by diagnosis.Markdown; go test ./diagnosis -update -->\n"
	tableEnd   = "<!-- end of troubleshooting table -->\n"
)

// The troubleshooting table in the README is the one the code makes.
func TestTroubleshootingTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile(readme)
	require.NoError(t, err)
	doc := string(b)
	before, rest, ok := strings.Cut(doc, tableBegin)
	require.True(t, ok, "no table start marker in %s", readme)
	current, after, ok := strings.Cut(rest, tableEnd)
	require.True(t, ok, "no table end marker in %s", readme)
	want := diagnosis.Markdown()
	if *update {
		require.NoError(t, os.WriteFile(readme, []byte(before+tableBegin+want+tableEnd+after), 0o644))
		return
	}
	assert.Equal(t, want, current, "run: cd v2 && go test ./diagnosis -run Troubleshooting -update")
}
