package loadgen

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// memoryTimeout bounds the wait for a server's memory line;
// memoryAskEvery is how often the question is asked again meanwhile.
const (
	memoryTimeout  = 10 * time.Second
	memoryAskEvery = time.Second
)

// memoryLine matches the line a server logs when it gets SIGUSR1
// (shared/server.LogMemory): "[INFO] memory rss=… heap_inuse=… …".
var memoryLine = regexp.MustCompile(`\] memory (rss=.*)$`)

// ServerMemory is a server's memory as it reports it, in bytes.
type ServerMemory struct {
	RSS          int64 `json:"rss"`
	HeapInUse    int64 `json:"heap_inuse"`
	HeapLive     int64 `json:"heap_live"`
	HeapFree     int64 `json:"heap_free"`
	HeapReleased int64 `json:"heap_released"`
	Stacks       int64 `json:"stacks"`
	Goroutines   int64 `json:"goroutines"`
	GCs          int64 `json:"gcs"`
}

// GoBytes is the Go heap in use and the goroutines' stacks.
func (m ServerMemory) GoBytes() int64 { return m.HeapInUse + m.Stacks }

// parseMemory reads the key=value fields of a memory line.
func parseMemory(fields string) (ServerMemory, error) {
	var m ServerMemory
	dst := map[string]*int64{"rss": &m.RSS, "heap_inuse": &m.HeapInUse, "heap_live": &m.HeapLive,
		"heap_free": &m.HeapFree, "heap_released": &m.HeapReleased, "stacks": &m.Stacks,
		"goroutines": &m.Goroutines, "gcs": &m.GCs}
	seen := 0
	for _, f := range strings.Fields(fields) {
		k, v, ok := strings.Cut(f, "=")
		p := dst[k]
		if !ok || p == nil {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return m, fmt.Errorf("%w: memory line field %q", ErrBadStream, f)
		}
		*p = n
		seen++
	}
	if seen != len(dst) {
		return m, fmt.Errorf("%w: memory line %q lacks fields", ErrBadStream, fields)
	}
	return m, nil
}

// noteMemory passes a memory line of the server's output to whoever
// waits for one (Memory).
func (s *Server) noteMemory(line string) {
	if m := memoryLine.FindStringSubmatch(line); m != nil {
		select {
		case s.memLines <- m[1]:
		default:
		}
	}
}

// Memory asks the server for its memory (SIGUSR1) and returns what it
// logs. A server logs its start-up line a moment before it listens for
// the signal, and a Go program that does not listen for it ignores it:
// the question is asked again every memoryAskEvery until the answer
// comes.
func (s *Server) Memory(ctx context.Context) (ServerMemory, error) {
	// A line nobody asked for is stale.
	select {
	case <-s.memLines:
	default:
	}
	timer := time.NewTimer(memoryTimeout)
	defer timer.Stop()
	ask := time.NewTicker(memoryAskEvery)
	defer ask.Stop()
	for {
		if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			return ServerMemory{}, err
		}
		select {
		case line := <-s.memLines:
			return parseMemory(line)
		case <-ask.C:
		case <-s.done:
			return ServerMemory{}, fmt.Errorf("the server exited when asked for its memory: %s", s.Tail())
		case <-timer.C:
			return ServerMemory{}, fmt.Errorf("%w: no memory line from the server in %s: %s", ErrTimeout, memoryTimeout, s.Tail())
		case <-ctx.Done():
			return ServerMemory{}, ctx.Err()
		}
	}
}
