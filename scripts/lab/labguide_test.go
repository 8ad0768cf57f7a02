package lab

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	root  = "../.."
	guide = root + "/docs/lab.md"
)

// guideCommands returns the commands of the guide's ```sh blocks, without
// their comments.
func guideCommands(t *testing.T) []string {
	f, err := os.Open(guide)
	require.NoError(t, err)
	defer f.Close()
	var cmds []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```sh":
			in = true
		case line == "```":
			in = false
		case in:
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			if line = strings.TrimSpace(line); line != "" {
				cmds = append(cmds, line)
			}
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, cmds)
	return cmds
}

// exercised names, for each make target the guide uses, the tests that
// run what it runs; the guide may use no other target.
var exercised = map[string]string{
	"build":     "make test (binaries-answer)",
	"test":      "CI",
	"bandwidth": "scripts/lab/bandwidth tests, and the golden table in docs/bandwidth.md",
	"pcaps":     "scripts/lab/capture tests, and TestLabGuide's tshark commands",
	"bench":     "scripts/bench tests",
	"grade":     "scripts/lab/grade/... tests (every stage's own server passes)",
}

func target(t *testing.T, name string) string {
	switch {
	case exercised[name] != "":
		return exercised[name]
	case strings.HasPrefix(name, "server-"), strings.HasPrefix(name, "client-"):
		return "the stage's app tests, which run its binaries"
	case strings.HasPrefix(name, "grade-"):
		return exercised["grade"]
	}
	t.Errorf("the guide uses `make %s`, which no test exercises", name)
	return ""
}

// Test: every command in the lab guide works as written. make commands
// must expand (make -n) and be exercised by a test; the flags they give a
// binary must be its flags; tshark commands run for real over the
// captures `make pcaps` writes. The commands are checked side by side:
// most of the time goes to builds and to the captures.
func TestLabGuide(t *testing.T) {
	var tshark []string
	for _, cmd := range guideCommands(t) {
		words := strings.Fields(cmd)
		switch words[0] {
		case "make":
			t.Run(cmd, func(t *testing.T) {
				t.Parallel()
				checkMake(t, words[1:])
			})
		case "tshark":
			tshark = append(tshark, cmd)
		default:
			t.Errorf("the guide has a command no test runs: %s", cmd)
		}
	}
	if len(tshark) == 0 {
		return
	}
	t.Run("tshark", func(t *testing.T) {
		t.Parallel()
		if _, err := exec.LookPath("tshark"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("tshark is missing, and CI must run the guide's tshark commands: %v", err)
			}
			t.Skip("tshark is not installed (.ci/run installs it)")
		}
		out, err := makeIn(t, "pcaps")
		require.NoError(t, err, "make pcaps: %s", out)
		for _, cmd := range tshark {
			t.Run(cmd, func(t *testing.T) {
				t.Parallel()
				c := exec.Command("sh", "-c", cmd)
				c.Dir = root
				out, err := c.CombinedOutput()
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "ChatProto", "the dissector decoded nothing")
				assert.NotContains(t, string(out), "Lua: Error", "the dissector failed")
			})
		}
	})
}

// built makes each binary once per test process, however many of the
// guide's commands need it (two builds of one file at once would clash).
var built sync.Map // bin path -> *binBuild

type binBuild struct {
	once sync.Once
	out  string
	err  error
}

func buildBin(t *testing.T, bin string) {
	v, _ := built.LoadOrStore(bin, &binBuild{})
	b := v.(*binBuild)
	b.once.Do(func() { b.out, b.err = makeIn(t, "-s", bin) })
	require.NoError(t, b.err, "make %s: %s", bin, b.out)
}

func makeIn(t *testing.T, args ...string) (string, error) {
	c := exec.Command("make", args...)
	c.Dir = root
	out, err := c.CombinedOutput()
	return string(out), err
}

func checkMake(t *testing.T, args []string) {
	var goals, flags []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "FLAGS="); ok {
			flags = strings.Fields(v)
		}
		if !strings.Contains(a, "=") {
			goals = append(goals, a)
		}
	}
	require.Len(t, goals, 1, "one target per command")
	target(t, goals[0])
	out, err := makeIn(t, append([]string{"-n"}, args...)...)
	require.NoError(t, err, "make -n %s: %s", strings.Join(args, " "), out)
	if len(flags) > 0 {
		// The binary must know the flags: it parses them before --help.
		bin := "bin/" + goals[0]
		buildBin(t, bin)
		c := exec.Command(filepath.Join(root, bin), append(flags, "--help")...)
		got, err := c.CombinedOutput()
		assert.NoError(t, err, "%s %s --help: %s", bin, strings.Join(flags, " "), got)
	}
}
