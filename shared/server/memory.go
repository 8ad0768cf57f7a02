package server

import (
	"bytes"
	"log/slog"
	"os"
	"runtime/metrics"
	"strconv"
)

// MemoryMessage is the message of the log line a server writes when it
// is asked for its memory (SIGUSR1, see RunUntilSignal).
const MemoryMessage = "memory"

// Memory is what a process uses, as the Go runtime and the kernel see it,
// in bytes.
type Memory struct {
	// RSS is the resident memory of the whole process (VmRSS of
	// /proc/self/status; -1 where there is no /proc).
	RSS int64
	// HeapInUse is the heap's spans in use: live objects, dead objects
	// not yet swept, and the unused room in those spans.
	HeapInUse int64
	// HeapLive is what the last garbage collection found live.
	HeapLive int64
	// HeapFree is free heap the runtime keeps mapped, not yet returned to
	// the operating system; HeapReleased was returned.
	HeapFree     int64
	HeapReleased int64
	// Stacks is the goroutines' stacks.
	Stacks     int64
	Goroutines int64
	// GCs is how many garbage collections have run.
	GCs int64
}

// metricNames are the runtime/metrics samples ReadMemory takes, in the
// order of the samples it reads.
var metricNames = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/gc/heap/live:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/sched/goroutines:goroutines",
	"/gc/cycles/total:gc-cycles",
}

// ReadMemory reads the process's memory now. It stops nothing: the
// figures are the runtime's running counts (runtime/metrics).
func ReadMemory() Memory {
	samples := make([]metrics.Sample, len(metricNames))
	for i, n := range metricNames {
		samples[i].Name = n
	}
	metrics.Read(samples)
	v := func(i int) int64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int64(samples[i].Value.Uint64())
	}
	return Memory{
		RSS:          selfRSS(),
		HeapInUse:    v(0) + v(1),
		HeapLive:     v(2),
		HeapFree:     v(3),
		HeapReleased: v(4),
		Stacks:       v(5),
		Goroutines:   v(6),
		GCs:          v(7),
	}
}

// LogMemory writes the memory line: `memory rss=… heap_inuse=…
// heap_live=… heap_free=… heap_released=… stacks=… goroutines=… gcs=…`,
// the figures in bytes.
func LogMemory(log *slog.Logger, m Memory) {
	log.Info(MemoryMessage, "rss", m.RSS, "heap_inuse", m.HeapInUse, "heap_live", m.HeapLive,
		"heap_free", m.HeapFree, "heap_released", m.HeapReleased, "stacks", m.Stacks,
		"goroutines", m.Goroutines, "gcs", m.GCs)
}

// selfRSS is this process's resident memory in bytes, -1 if unknown.
func selfRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(rest) // "123456 kB"
			if len(f) == 2 && string(f[1]) == "kB" {
				if kb, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return -1
}
