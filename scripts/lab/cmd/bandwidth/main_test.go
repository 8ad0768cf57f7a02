package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/bandwidth"
	"chatlab/shared/bintest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

func binary(t *testing.T) string { return bintest.Build(t, ".")[0] }

func TestHelp(t *testing.T) {
	out, status := bintest.Run(t, "", binary(t), "--help")
	assert.Equal(t, 0, status)
	for _, want := range []string{"Usage:\n  bandwidth [flags]", "-out", "-seed", "-actions", "-json", "docs/bandwidth.md"} {
		assert.Contains(t, out, want)
	}
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative actions", []string{"-actions", "-1"}, "-actions must be from 0 to"},
		{"too many actions", []string{"-actions", "2000000"}, "-actions must be from 0 to"},
		{"not a number", []string{"-seed", "x"}, "invalid value"},
		{"an argument", []string{"v3"}, "too many arguments: v3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, status := bintest.Run(t, "", binary(t), tt.args...)
			assert.Equal(t, 2, status, out)
			assert.Contains(t, out, tt.want)
		})
	}
}

func TestRunPrintsTheTablesAndWritesTheResult(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lab")
	out, status := bintest.Run(t, "", binary(t), "-actions", "30", "-out", dir)
	require.Equal(t, 0, status, out)
	for _, want := range []string{"v2 (JSON)", "v4 (Binary+TLS)", "656,550 B", "-41.1%", "ROOM_MSG_ACK", "What TLS adds", "wrote " + dir} {
		assert.Contains(t, out, want)
	}
	js, err := os.ReadFile(filepath.Join(dir, "bandwidth.json"))
	require.NoError(t, err)
	var r bandwidth.Report
	require.NoError(t, json.Unmarshal(js, &r))
	assert.Len(t, r.Stages, 4)
	assert.Equal(t, 30+2*5, r.Steps)
	md, err := os.ReadFile(filepath.Join(dir, "bandwidth.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| v3 (Binary) |")
}

func TestJSONOnStandardOutput(t *testing.T) {
	out, status := bintest.Run(t, "", binary(t), "-actions", "0", "-json", "-out", "")
	require.Equal(t, 0, status, out)
	var r bandwidth.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	assert.Equal(t, uint64(586), r.Seed)
}

func TestAnUnwritableOutputIsAnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	out, status := bintest.Run(t, "", binary(t), "-actions", "0", "-out", filepath.Join(file, "lab"))
	assert.Equal(t, 1, status, out)
	assert.Contains(t, out, "bandwidth: make the output directory")
}
