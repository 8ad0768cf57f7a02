package logging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
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

// --trace and -v are independent: tracing does not turn on debug lines.
func TestNewLevels(t *testing.T) {
	for _, tt := range []struct {
		verbose, trace bool
		want           string
	}{
		{false, false, "[INFO] info\n"},
		{true, false, "[DEBUG] debug\n[INFO] info\n"},
		{false, true, "[TRACE] trace\n[INFO] info\n"},
		{true, true, "[TRACE] trace\n[DEBUG] debug\n[INFO] info\n"},
	} {
		var b strings.Builder
		log := NewLevels(&b, tt.verbose, tt.trace)
		log.Log(context.Background(), LevelTrace, "trace")
		log.Debug("debug")
		log.Info("info")
		assert.Equal(t, tt.want, b.String(), "verbose %v, trace %v", tt.verbose, tt.trace)
	}
}

// What a client sent reaches the log quoted when it holds bytes or
// characters that must not reach a terminal raw.
func TestUnsafeValuesQuoted(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"invalid UTF-8", "a\xffb", `user="a\xffb"`},
		{"escape sequence", "\x1b]0;title\a", `user="\x1b]0;title\a"`},
		{"C1 control", "a\u009bb", `user="a\u009bb"`},
		{"right-to-left override", "ab\u202ecd", `user="ab\u202ecd"`},
		{"zero-width space", "a\u200bb", `user="a\u200bb"`},
		{"plain UTF-8 stays raw", "wörld", `user=wörld`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			New(&b, false).Info("login", "user", tt.value)
			assert.Equal(t, "[INFO] login "+tt.want+"\n", b.String())
		})
	}
	var b strings.Builder
	New(&b, false).With("who\x1b[2J", "x").Info("hello \xff\x1b[2J")
	assert.Equal(t, "[INFO] \"hello \\xff\\x1b[2J\" \"who\\x1b[2J\"=x\n", b.String())
}
