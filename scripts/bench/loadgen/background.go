package loadgen

import (
	"fmt"
	"time"
)

// DefaultDisturbed is how much CPU, in cores, other processes may use
// during a run before its figures are called disturbed. The server and
// the generator share the machine's cores; anything else that runs takes
// CPU from one of them, and a fan-out run is limited by CPU.
const DefaultDisturbed = 0.1

// RunInfo is one run of the invocation: which, and the background load
// it was measured under.
type RunInfo struct {
	Rep      int     `json:"rep"`
	Stage    string  `json:"stage"`
	Scenario string  `json:"scenario"`
	Setting  string  `json:"setting,omitempty"`
	Seconds  float64 `json:"seconds"`
	CPU      Usage   `json:"cpu"`
	// Disturbed: other processes used more than Config.Disturbed CPUs
	// on average over the run.
	Disturbed bool   `json:"disturbed"`
	Error     string `json:"error,omitempty"`
}

// Usage is the CPU a run used, in cores (1.0 is one core busy the whole
// run), from the server's start to its stop.
type Usage struct {
	Server    float64 `json:"server"`
	Generator float64 `json:"generator"`
	// Machine is how busy the whole machine was, SoftIRQ the part in
	// software interrupts (loopback TCP's receive work, charged to
	// neither process), Others what is left: other processes.
	Machine float64 `json:"machine"`
	SoftIRQ float64 `json:"softirq"`
	Others  float64 `json:"others"`
}

// cpuSample is what the CPU counters read at one moment.
type cpuSample struct {
	at                     time.Time
	server, gen, all, irqs time.Duration
}

func sampleCPU(srv *Server) cpuSample {
	s := cpuSample{at: time.Now(), server: serverCPU(srv), gen: selfCPU()}
	s.all, s.irqs = machineCPU()
	return s
}

// usageBetween is the CPU used from a to b, in cores.
func usageBetween(a, b cpuSample) Usage {
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return Usage{}
	}
	u := Usage{
		Server:    (b.server - a.server).Seconds() / secs,
		Generator: (b.gen - a.gen).Seconds() / secs,
		Machine:   (b.all - a.all).Seconds() / secs,
		SoftIRQ:   (b.irqs - a.irqs).Seconds() / secs,
	}
	u.Others = max(0, u.Machine-u.SoftIRQ-u.Server-u.Generator)
	return u
}

// warning is the progress line for a disturbed run, "" for a quiet one.
func (r RunInfo) warning(what string) string {
	if !r.Disturbed {
		return ""
	}
	return fmt.Sprintf("bench: warning: other processes used %.2f CPUs during %s (server %.2f, generator %.2f): its figures are disturbed\n",
		r.CPU.Others, what, r.CPU.Server, r.CPU.Generator)
}
