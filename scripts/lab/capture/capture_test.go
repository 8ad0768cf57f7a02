package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/pcap"
	"chatlab/lab/relay"
	"chatlab/lab/stages"
	"chatlab/lab/workload"
)

var script = workload.Generate(workload.DefaultSeed, 200)

func capture(t *testing.T, st stages.Stage) (*stages.Recording, []byte) {
	t.Helper()
	rec, err := stages.Run(context.Background(), st, script, stages.Options{})
	require.NoError(t, err)
	var buf bytes.Buffer
	stats, err := Write(&buf, rec)
	require.NoError(t, err)
	assert.Equal(t, len(rec.Sessions), stats.Streams)
	assert.Equal(t, time.Duration(len(script.Actions)-1)*StepGap, stats.Length.Truncate(StepGap))
	return rec, buf.Bytes()
}

func TestPlainCapturesAreTheSameFileEveryRun(t *testing.T) {
	for _, st := range []stages.Stage{stages.V2, stages.V3} {
		_, a := capture(t, st)
		_, b := capture(t, st)
		assert.True(t, bytes.Equal(a, b), "%s: two captures of the same session differ", st.Name)
	}
}

// TestCaptureCarriesExactlyTheRelayedBytes reads a capture back, packet by
// packet: every checksum holds, every TCP stream is whole and in order,
// and each direction carries exactly what crossed the relay.
func TestCaptureCarriesExactlyTheRelayedBytes(t *testing.T) {
	for _, st := range stages.All {
		t.Run(st.Name, func(t *testing.T) {
			rec, file := capture(t, st)
			r, err := pcap.NewReader(bytes.NewReader(file))
			require.NoError(t, err)
			type half struct {
				data    []byte
				next    uint32
				started bool
				fin     bool
			}
			halves := map[[2]netip.AddrPort]*half{}
			var last time.Time
			for {
				p, err := r.ReadPacket()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				require.False(t, p.Time.Before(last), "timestamps go forward")
				last = p.Time
				s, err := pcap.DecodeSegment(p.Data)
				require.NoError(t, err)
				require.LessOrEqual(t, len(s.Payload), pcap.MaxPayload)
				h := halves[[2]netip.AddrPort{s.Src, s.Dst}]
				if h == nil {
					require.NotZero(t, s.Flags&pcap.SYN, "a stream begins with SYN")
					h = &half{}
					halves[[2]netip.AddrPort{s.Src, s.Dst}] = h
				}
				if h.started {
					require.Equal(t, h.next, s.Seq, "%s → %s: no gap, no overlap", s.Src, s.Dst)
				}
				require.False(t, h.fin && len(s.Payload) > 0, "no data after FIN")
				h.started = true
				h.data = append(h.data, s.Payload...)
				h.next = s.Seq + uint32(len(s.Payload))
				if s.Flags&(pcap.SYN|pcap.FIN) != 0 {
					h.next++
				}
				h.fin = h.fin || s.Flags&pcap.FIN != 0
			}
			server := netip.AddrPortFrom(Loopback, ServerPort)
			require.Len(t, halves, 2*len(rec.Flows))
			for i, f := range rec.Flows {
				client := netip.AddrPortFrom(Loopback, uint16(FirstClientPort+i))
				up, down := halves[[2]netip.AddrPort{client, server}], halves[[2]netip.AddrPort{server, client}]
				require.NotNil(t, up)
				require.NotNil(t, down)
				assert.Equal(t, f.Stream(relay.ClientToServer), up.data, "session %d C→S", i)
				assert.Equal(t, f.Stream(relay.ServerToClient), down.data, "session %d S→C", i)
				assert.True(t, up.fin && down.fin, "session %d closed both ways", i)
			}
		})
	}
}

func TestCanonicalPutsAFINRightAfterItsSidesLastBytes(t *testing.T) {
	c, s := relay.ClientToServer, relay.ServerToClient
	ev := func(step int, d relay.Dir, data string) relay.Event {
		if data == "" {
			return relay.Event{Step: step, Dir: d, FIN: true}
		}
		return relay.Event{Step: step, Dir: d, Data: []byte(data)}
	}
	// A TLS close: the client's close_notify and FIN, the server's; the
	// relay may see the client's FIN after the server's close_notify.
	crossed := []relay.Event{ev(7, c, "hi"), ev(7, s, "ack"), ev(9, c, "notify"), ev(9, s, "notify"), ev(9, c, ""), ev(9, s, "")}
	want := []relay.Event{ev(7, c, "hi"), ev(7, s, "ack"), ev(9, c, "notify"), ev(9, c, ""), ev(9, s, "notify"), ev(9, s, "")}
	assert.Equal(t, want, canonical(crossed))
	assert.Equal(t, want, canonical(want), "already canonical")
	// A plain close: nothing to move.
	plain := []relay.Event{ev(3, c, ""), ev(3, s, "")}
	assert.Equal(t, plain, canonical(plain))
	// A FIN is never moved into an earlier step.
	late := []relay.Event{ev(2, c, "x"), ev(3, s, "y"), ev(3, c, "")}
	assert.Equal(t, late, canonical(late))
}

func TestWriteFileWritesTheKeysOfATLSStage(t *testing.T) {
	dir := t.TempDir()
	f, err := WriteFile(context.Background(), stages.V4, workload.Generate(1, 10), dir+"/v4.pcap", dir+"/v4.keys")
	require.NoError(t, err)
	assert.Equal(t, dir+"/v4.keys", f.KeyLog)
	assert.Positive(t, f.Stats.Packets)

	f, err = WriteFile(context.Background(), stages.V3, workload.Generate(1, 10), dir+"/v3.pcap", dir+"/v3.keys")
	require.NoError(t, err)
	assert.Empty(t, f.KeyLog, "no keys without TLS")
	assert.NoFileExists(t, dir+"/v3.keys")

	_, err = WriteFile(context.Background(), stages.V3, workload.Generate(1, 10), dir+"/no/such/dir/v3.pcap", "")
	assert.Error(t, err)
}
