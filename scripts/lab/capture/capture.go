// Package capture writes a recorded workload session (stages.Recording) as
// a pcap file: one TCP stream per client connection, from 127.0.0.1 port
// 50001, 50002, ... (in the order the sessions began) to 127.0.0.1 port
// 5555, carrying exactly the bytes that crossed the relay. Time is
// virtual: each step of the script starts StepGap after the one before,
// and each packet within it PacketGap after the last, so a capture of a
// plain stage is the same, byte for byte, on every run. (Over TLS the
// sizes and times are the same; the ciphertext is new every run.)
package capture

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"chatlab/lab/pcap"
	"chatlab/lab/relay"
	"chatlab/lab/stages"
)

// How the capture looks.
const (
	ServerPort      = 5555
	FirstClientPort = 50001
	// StepGap is the virtual time between two steps: the default session
	// lasts about as long as the course project's captures (163-183 s).
	StepGap = 60 * time.Millisecond
	// PacketGap is the virtual time between two packets within a step.
	PacketGap = 40 * time.Microsecond
)

// Start is the capture's first moment.
var Start = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// Loopback is the address of both ends.
var Loopback = netip.MustParseAddr("127.0.0.1")

// Stats says what a capture holds.
type Stats struct {
	Packets int
	Streams int
	Payload int64 // TCP payload bytes, both directions
	Length  time.Duration
}

// Write writes rec as a pcap capture to w.
func Write(w io.Writer, rec *stages.Recording) (Stats, error) {
	pw, err := pcap.NewWriter(w, pcap.LinkEthernet)
	if err != nil {
		return Stats{}, err
	}
	if len(rec.Flows) != len(rec.Sessions) {
		return Stats{}, fmt.Errorf("capture: %d flows for %d sessions", len(rec.Flows), len(rec.Sessions))
	}
	if len(rec.Sessions) > 65535-FirstClientPort+1 {
		return Stats{}, fmt.Errorf("capture: %d sessions: more than the client ports from %d", len(rec.Sessions), FirstClientPort)
	}
	clock := pcap.NewClock(Start, PacketGap)
	server := netip.AddrPortFrom(Loopback, ServerPort)
	streams := make([]*pcap.Stream, len(rec.Sessions))
	for i := range rec.Sessions {
		client := netip.AddrPortFrom(Loopback, uint16(FirstClientPort+i))
		streams[i] = pcap.NewStream(pw, clock, client, server)
	}

	// Each flow's events, in canonical order, by step.
	byStep := make([][]stepEvents, len(rec.Script.Actions))
	var st Stats
	for i, f := range rec.Flows {
		events := canonical(f.Events)
		for len(events) > 0 {
			step := events[0].Step
			n := 1
			for n < len(events) && events[n].Step == step {
				n++
			}
			if step < 0 || step >= len(byStep) {
				return Stats{}, fmt.Errorf("capture: flow %d has traffic in step %d, outside the script", i, step)
			}
			byStep[step] = append(byStep[step], stepEvents{flow: i, events: events[:n]})
			events = events[n:]
		}
		st.Payload += f.Bytes(relay.ClientToServer) + f.Bytes(relay.ServerToClient)
	}

	for step, flows := range byStep {
		clock.AdvanceTo(Start.Add(time.Duration(step) * StepGap))
		actor := actorFlow(rec, step)
		if actor < 0 {
			return Stats{}, fmt.Errorf("capture: step %d: no session of %s", step, rec.Script.Users[rec.Script.Actions[step].User])
		}
		if rec.Sessions[actor].Login == step {
			if err := streams[actor].Open(); err != nil {
				return Stats{}, err
			}
		}
		// The actor's requests first, then what the server sent the
		// others because of them, then the actor's answers.
		var mine []relay.Event
		for _, fe := range flows {
			if fe.flow == actor {
				mine = fe.events
			}
		}
		last := -1
		for j, e := range mine {
			if e.Dir == relay.ClientToServer {
				last = j
			}
		}
		if err := emit(streams[actor], mine[:last+1]); err != nil {
			return Stats{}, err
		}
		for _, fe := range flows {
			if fe.flow != actor {
				if err := emit(streams[fe.flow], fe.events); err != nil {
					return Stats{}, err
				}
			}
		}
		if err := emit(streams[actor], mine[last+1:]); err != nil {
			return Stats{}, err
		}
	}
	st.Packets = pw.Packets()
	st.Streams = len(streams)
	st.Length = clock.Now().Sub(Start)
	return st, nil
}

type stepEvents struct {
	flow   int
	events []relay.Event
}

func emit(s *pcap.Stream, events []relay.Event) error {
	for _, e := range events {
		var err error
		if e.FIN {
			err = s.Close(e.Dir == relay.ServerToClient)
		} else {
			err = s.Send(e.Dir == relay.ServerToClient, e.Data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// actorFlow returns the session of the user acting in step, or -1.
func actorFlow(rec *stages.Recording, step int) int {
	a := rec.Script.Actions[step]
	for i, s := range rec.Sessions {
		if s.User == a.User && s.Login <= step && (s.Logout < 0 || step <= s.Logout) {
			return i
		}
	}
	return -1
}

// canonical returns a flow's events with every FIN moved up to follow
// the last bytes its side sent in the same step. A client that closes
// right after its last bytes (a TLS close_notify) and the server's
// answer to those bytes cross the relay in either order; a capture
// shows them in one order, every run.
func canonical(events []relay.Event) []relay.Event {
	out := slices.Clone(events)
	for k := range out {
		if !out[k].FIN {
			continue
		}
		fin := out[k]
		j := k - 1
		for j >= 0 && out[j].Step == fin.Step && out[j].Dir != fin.Dir {
			j--
		}
		if j >= 0 && out[j].Step == fin.Step && out[j].Dir == fin.Dir {
			copy(out[j+2:k+1], out[j+1:k])
			out[j+1] = fin
		}
	}
	return out
}
