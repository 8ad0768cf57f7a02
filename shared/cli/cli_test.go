package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

type exited struct{ code int }

func newTestCommand() (*Command, *bool, *bytes.Buffer, *bytes.Buffer) {
	c := NewCommand("server-v1", "[port]", "Run the server.", 0, 1)
	verbose := c.FlagSet.Bool("v", false, "log debug lines")
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	c.ExitFunc = func(code int) { panic(exited{code}) }
	return c, verbose, &out, &errOut
}

func exitCode(f func()) (code int) {
	code = -1
	defer func() {
		if r := recover(); r != nil {
			code = r.(exited).code
		}
	}()
	f()
	return code
}

func TestParse(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantPos     []string
		wantVerbose bool
		wantCode    int // -1: no exit
		wantStdout  string
		wantStderr  string
	}{
		{name: "none", args: nil, wantPos: nil, wantCode: -1},
		{name: "flag first", args: []string{"-v", "7000"}, wantPos: []string{"7000"}, wantVerbose: true, wantCode: -1},
		{name: "flag last", args: []string{"7000", "-v"}, wantPos: []string{"7000"}, wantVerbose: true, wantCode: -1},
		{name: "double dash", args: []string{"--", "-v"}, wantPos: []string{"-v"}, wantCode: -1},
		{name: "help", args: []string{"--help"}, wantCode: 0, wantStdout: "Usage:\n  server-v1 [flags] [port]"},
		{name: "too many", args: []string{"1", "2"}, wantCode: 2, wantStderr: "too many arguments: 2"},
		{name: "unknown flag", args: []string{"-x"}, wantCode: 2, wantStderr: "Run 'server-v1 --help' for usage."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, verbose, out, errOut := newTestCommand()
			var pos []string
			code := exitCode(func() { pos = c.Parse(tt.args) })
			assert.Equal(t, tt.wantCode, code)
			if code == -1 {
				assert.Equal(t, tt.wantPos, pos)
				assert.Equal(t, tt.wantVerbose, *verbose)
			}
			assert.Contains(t, out.String(), tt.wantStdout)
			assert.Contains(t, errOut.String(), tt.wantStderr)
		})
	}
}

func TestPort(t *testing.T) {
	for _, ok := range []string{"0", "5555", "65535"} {
		_, err := Port(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"", "-1", "65536", "http", "55a"} {
		_, err := Port(bad)
		assert.Error(t, err, bad)
	}
}

// The usage line lists [flags] only for a command that has some.
func TestUsageLineIsTrue(t *testing.T) {
	c := NewCommand("client-task1", "[host] [port]", "A client.", 0, 2)
	var out bytes.Buffer
	c.Usage(&out)
	assert.Contains(t, out.String(), "Usage:\n  client-task1 [host] [port]\n")
	assert.NotContains(t, out.String(), "[flags]")
	assert.NotContains(t, out.String(), "Flags:")
}

func TestDialPort(t *testing.T) {
	for _, ok := range []string{"1", "5555", "65535"} {
		_, err := DialPort(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"0", "", "-1", "65536", "http"} {
		_, err := DialPort(bad)
		assert.EqualError(t, err, `port "`+bad+`" is not a number from 1 to 65535`)
	}
}

// A hidden flag works, and --help does not list it.
func TestHiddenFlag(t *testing.T) {
	c, _, out, _ := newTestCommand()
	profile := c.FlagSet.String("cpuprofile", "", "internal")
	c.Hidden = []string{"cpuprofile"}
	exitCode(func() { c.Parse([]string{"-cpuprofile", "x.prof"}) })
	assert.Equal(t, "x.prof", *profile)
	exitCode(func() { c.Parse([]string{"--help"}) })
	assert.Contains(t, out.String(), "-v\tlog debug lines")
	assert.NotContains(t, out.String(), "cpuprofile")
}
