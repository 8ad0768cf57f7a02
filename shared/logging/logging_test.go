package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormat(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, false)
	log.Info("Server started on 0.0.0.0:5555")
	log.With("remote", "127.0.0.1:4000").Info("login", "user", "alice", "room", "general")
	log.Warn("disconnect", "reason", errors.New("slow consumer: outbound queue full"), "empty", "")
	log.WithGroup("tls").Info("handshake", "version", "1.3")
	log.Debug("not shown")
	assert.Equal(t, "[INFO] Server started on 0.0.0.0:5555\n"+
		"[INFO] login remote=127.0.0.1:4000 user=alice room=general\n"+
		"[WARN] disconnect reason=\"slow consumer: outbound queue full\" empty=\"\"\n"+
		"[INFO] handshake tls.version=1.3\n", buf.String())
}

func TestVerboseShowsDebug(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, true).Debug("frame", "bytes", 12)
	assert.Equal(t, "[DEBUG] frame bytes=12\n", buf.String())
	assert.True(t, NewHandler(&buf, slog.LevelDebug).Enabled(t.Context(), slog.LevelDebug))
}
