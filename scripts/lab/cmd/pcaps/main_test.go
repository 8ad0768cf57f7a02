package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/pcap"
	"chatlab/shared/bintest"
)

func TestMain(m *testing.M) { bintest.Main(m) }

func binary(t *testing.T) string { return bintest.Build(t, ".")[0] }

func TestHelp(t *testing.T) {
	out, status := bintest.Run(t, "", binary(t), "--help")
	assert.Equal(t, 0, status)
	for _, want := range []string{"Usage:\n  pcaps [flags] [stage...]", "-out", "v2, v2-tls, v3, v4", "tls.keylog_file"} {
		assert.Contains(t, out, want)
	}
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown stage", []string{"v5"}, `unknown stage "v5"; stages: v2, v2-tls, v3, v4`},
		{"negative actions", []string{"-actions", "-5"}, "-actions must be from 0 to"},
		{"too many stages", []string{"v2", "v3", "v4", "v2-tls", "v2"}, "too many arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, status := bintest.Run(t, "", binary(t), tt.args...)
			assert.Equal(t, 2, status, out)
			assert.Contains(t, out, tt.want)
		})
	}
}

func TestWritesTheChosenStagesCaptures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pcaps")
	out, status := bintest.Run(t, "", binary(t), "-actions", "20", "-out", dir, "v3", "v4")
	require.Equal(t, 0, status, out)
	assert.Contains(t, out, filepath.Join(dir, "v3.pcap"))
	assert.Contains(t, out, "TLS keys in "+filepath.Join(dir, "v4.keys"))
	assert.Contains(t, out, "tshark -X lua_script:scripts/lab/wireshark/chatproto.lua")

	for _, name := range []string{"v3.pcap", "v4.pcap"} {
		f, err := os.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		defer f.Close()
		r, err := pcap.NewReader(f)
		require.NoError(t, err)
		n := 0
		for {
			p, err := r.ReadPacket()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			_, err = pcap.DecodeSegment(p.Data)
			require.NoError(t, err)
			n++
		}
		assert.Positive(t, n, name)
	}
	keys, err := os.ReadFile(filepath.Join(dir, "v4.keys"))
	require.NoError(t, err)
	assert.Contains(t, string(keys), "CLIENT_TRAFFIC_SECRET_0 ")
	assert.NoFileExists(t, filepath.Join(dir, "v3.keys"))
	assert.NoFileExists(t, filepath.Join(dir, "v2.pcap"), "only the stages asked for")
}
