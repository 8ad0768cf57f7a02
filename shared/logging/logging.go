// Package logging sets up log/slog for every ChatLab binary. Records are
// printed one a line as
//
//	[INFO] Server started on 0.0.0.0:5555
//	[INFO] login user=alice remote=127.0.0.1:50312
//
// with no time stamp, so the start-up lines docs/protocol.md §4 fixes come out to the
// byte and a grader can match them; key=value pairs follow the message.
//
// What a client sent (a name, a text) reaches the log as it is, and the log
// may go to a terminal: a value with a control or invisible character, or
// bytes that are not UTF-8, is quoted with Go's escapes (user="a\xffb",
// text="\x1b]0;title\a"), never written raw; so is such a message or key.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"chatlab/shared/safetext"
)

// LevelTrace is below Debug: every message on the wire (--trace).
const LevelTrace = slog.Level(-8)

// New returns a logger writing to w at level Info, or Debug if verbose.
func New(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(NewHandler(w, level))
}

// NewLevels returns a server's logger: Info, with Debug if verbose (-v),
// and the trace records (LevelTrace) if trace (--trace). The two are
// independent: tracing the wire does not turn on the debug lines.
func NewLevels(w io.Writer, verbose, trace bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	h := NewHandler(w, level)
	h.trace = trace
	return slog.New(h)
}

// NewAt returns a logger writing to w at the given level.
func NewAt(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(NewHandler(w, level))
}

func levelName(l slog.Level) string {
	if l == LevelTrace {
		return "TRACE"
	}
	return l.String()
}

// Handler is a slog.Handler that writes "[LEVEL] message key=value ..." lines.
type Handler struct {
	level  slog.Leveler
	trace  bool   // LevelTrace records too, whatever the level
	prefix string // pre-formatted attributes from WithAttrs
	group  string // key prefix from WithGroup
	mu     *sync.Mutex
	w      io.Writer
}

// NewHandler returns a Handler writing records at or above level to w.
func NewHandler(w io.Writer, level slog.Leveler) *Handler {
	return &Handler{level: level, mu: new(sync.Mutex), w: w}
}

// Enabled reports whether level is logged.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level() || (h.trace && level == LevelTrace)
}

// Handle writes one record.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 128)
	buf = append(buf, '[')
	buf = append(buf, levelName(r.Level)...)
	buf = append(buf, "] "...)
	buf = appendText(buf, r.Message)
	buf = append(buf, h.prefix...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.group, a)
		return true
	})
	buf = append(buf, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(buf)
	return err
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	buf := []byte(h.prefix)
	for _, a := range attrs {
		buf = appendAttr(buf, h.group, a)
	}
	h2.prefix = string(buf)
	return &h2
}

// WithGroup returns a handler that prefixes later keys with name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

func appendAttr(buf []byte, group string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return buf
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			buf = appendAttr(buf, g, ga)
		}
		return buf
	}
	buf = append(buf, ' ')
	buf = append(buf, group...)
	buf = appendText(buf, a.Key)
	buf = append(buf, '=')
	return appendValue(buf, a.Value.String())
}

// appendValue quotes a value only when it would not read back as one word.
func appendValue(buf []byte, s string) []byte {
	if s == "" || strings.IndexFunc(s, needsQuote) >= 0 {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}

func needsQuote(r rune) bool {
	return unicode.IsSpace(r) || r == '"' || r == '=' || unsafe(r)
}

// appendText appends a message or key as it is, unless it has a character
// that must not reach a terminal: then quoted.
func appendText(buf []byte, s string) []byte {
	if !utf8.ValidString(s) || strings.IndexFunc(s, unsafe) >= 0 {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}

// unsafe reports whether r must not be written raw: control and format
// characters, and invalid UTF-8 (which ranging over a string yields as
// utf8.RuneError; a real U+FFFD is quoted too, harmlessly).
func unsafe(r rune) bool {
	return r != ' ' && (!unicode.IsPrint(r) || safetext.Invisible(r) || r == utf8.RuneError)
}
