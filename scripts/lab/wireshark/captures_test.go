package wireshark

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
	"chatlab/lab/capture"
	"chatlab/lab/relay"
	"chatlab/lab/stages"
	"chatlab/lab/workload"
)

// record runs a short session against st and writes its capture, and
// for a TLS stage its key log, into a temporary directory.
func record(t *testing.T, st stages.Stage) (rec *stages.Recording, pcapPath, keyLog string) {
	t.Helper()
	dir := t.TempDir()
	var keys bytes.Buffer
	rec, err := stages.Run(context.Background(), st, workload.Generate(workload.DefaultSeed, 150), stages.Options{KeyLog: &keys})
	require.NoError(t, err)
	var file bytes.Buffer
	_, err = capture.Write(&file, rec)
	require.NoError(t, err)
	pcapPath = filepath.Join(dir, st.Name+".pcap")
	require.NoError(t, os.WriteFile(pcapPath, file.Bytes(), 0o644))
	if st.TLS {
		keyLog = filepath.Join(dir, st.Name+".keys")
		require.NoError(t, os.WriteFile(keyLog, keys.Bytes(), 0o644))
	}
	return rec, pcapPath, keyLog
}

// TestCapturesDecode opens each stage's capture of the workload in tshark
// with the dissector (and, over TLS, the key log): the TCP streams parse
// without a warning or a bad checksum, they carry the bytes the relay
// counted, and every message decodes to what was sent and received.
func TestCapturesDecode(t *testing.T) {
	tsharkPath(t)
	for _, st := range []stages.Stage{stages.V3, stages.V2, stages.V4, stages.V2TLS} {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			rec, path, keyLog := record(t, st)
			var args []string
			if keyLog != "" {
				args = []string{"-o", "tls.keylog_file:" + keyLog}
			}
			packets := dissect(t, path, args...)
			assert.Empty(t, problems(packets))

			var payload, relayed int64
			for _, p := range packets {
				n, _ := strconv.ParseInt(first(p, "tcp.len"), 10, 64)
				payload += n
			}
			for _, f := range rec.Flows {
				relayed += f.Bytes(relay.ClientToServer) + f.Bytes(relay.ServerToClient)
			}
			assert.Equal(t, relayed, payload, "TCP payload in the capture, and counted by the relay")

			got := decoded(packets, capture.ServerPort)
			for i, s := range rec.Sessions {
				port := capture.FirstClientPort + i
				for _, d := range []proto.Dir{proto.ClientToServer, proto.ServerToClient} {
					msgs := s.Sent
					if d == proto.ServerToClient {
						msgs = s.Received
					}
					want := packet{}
					for j := range msgs {
						expect(want, &msgs[j], d, !isJSON(st))
					}
					for field, values := range want {
						assert.Equal(t, values, got[flow{port, d}][field], "%s, session %d (%s) %s: %s", st.Name, i, s.Name, d, field)
					}
				}
			}
		})
	}
}

func isJSON(st stages.Stage) bool { return st.Encoding == "JSON" }

// TestTLSCapturesNeedTheKeys: without the key log nothing of ChatProto
// shows in a v4 capture, only TLS records.
func TestTLSCapturesNeedTheKeys(t *testing.T) {
	tsharkPath(t)
	_, path, _ := record(t, stages.V4)
	packets := dissect(t, path)
	assert.Empty(t, problems(packets))
	for _, p := range packets {
		require.Empty(t, p["chatproto.type"], "frame %s decoded without the keys", first(p, "frame.number"))
	}
}

// TestABadChecksumIsCaught: the check the tests rely on finds a capture's
// flaw.
func TestABadChecksumIsCaught(t *testing.T) {
	tsharkPath(t)
	_, path, _ := record(t, stages.V3)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	// The fourth packet is the first LOGIN: change a byte of it.
	off := 24
	for range 3 {
		off += 16 + int(uint32(b[off+8])|uint32(b[off+9])<<8)
	}
	b[off+16+14+20+32+10] ^= 0x20 // inside the payload: "alice" becomes "aLice"
	require.NoError(t, os.WriteFile(path, b, 0o644))
	found := problems(dissect(t, path))
	require.NotEmpty(t, found)
	assert.Contains(t, found[0], "frame 4")
}
