package bandwidth

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/relay"
	"chatlab/lab/stages"
	"chatlab/lab/workload"
	"chatlab/shared/golden"
)

// The document that quotes the figures, and the markers around them.
const (
	doc        = "../../../docs/bandwidth.md"
	docBegin   = "<!-- bandwidth: made by scripts/lab/bandwidth; cd scripts/lab && go test ./bandwidth -update -->"
	docEnd     = "<!-- end of bandwidth -->"
	goldenText = "testdata/bandwidth.txt"
)

// TestFiguresAreTheSameEveryRun runs the default session twice against
// every stage: every figure must be equal, and equal to what the
// documentation quotes.
func TestFiguresAreTheSameEveryRun(t *testing.T) {
	script := workload.Generate(workload.DefaultSeed, workload.DefaultActions)
	first, err := Measure(context.Background(), script, stages.Options{})
	require.NoError(t, err)
	second, err := Measure(context.Background(), script, stages.Options{})
	require.NoError(t, err)
	require.Equal(t, first, second, "two runs of the same session")

	var text bytes.Buffer
	require.NoError(t, first.Write(&text))
	golden.Check(t, goldenText, text.Bytes())
	golden.CheckSection(t, doc, docBegin, docEnd, first.Markdown())

	t.Run("what the figures must show", func(t *testing.T) {
		byStage := map[string]StageFigures{}
		for _, s := range first.Stages {
			byStage[s.Stage] = s
		}
		assert.Less(t, byStage["v3"].Total, byStage["v2"].Total, "binary is smaller than JSON")
		assert.Less(t, byStage["v4"].Total, byStage["v2-tls"].Total, "binary+TLS is smaller than JSON+TLS")
		assert.Greater(t, byStage["v2-tls"].Total, byStage["v2"].Total, "TLS costs bytes")
		for _, k := range first.Kinds {
			assert.Less(t, k.Binary, k.JSON, "%s %s: binary is smaller", k.Kind, k.Dir)
		}
		for _, f := range first.TLS {
			assert.Equal(t, "TLS 1.3", f.Version, f.Stage)
			assert.Equal(t, int64(22), f.RecordOverhead, "%s: 5-byte header, content type, 16-byte tag", f.Stage)
			assert.True(t, f.HandshakeSame, "%s: every handshake the same size", f.Stage)
			assert.Equal(t, int64(24+24), f.Close/int64(f.Connections), "%s: a close_notify each way", f.Stage)
		}
		assert.Equal(t, first.TLS[0].HandshakeClient, first.TLS[1].HandshakeClient, "TLS costs JSON and binary the same")
	})
}

// recordings runs a short script against every stage.
func recordings(t *testing.T) []*stages.Recording {
	t.Helper()
	script := workload.Generate(workload.DefaultSeed, 60)
	var recs []*stages.Recording
	for _, st := range stages.All {
		rec, err := stages.Run(context.Background(), st, script, stages.Options{})
		require.NoError(t, err)
		recs = append(recs, rec)
	}
	return recs
}

func TestAnalyseNoticesBytesThatDoNotAddUp(t *testing.T) {
	recs := recordings(t)
	_, err := Analyse(recs)
	require.NoError(t, err)

	tamper := func(stage int, extra []byte) []*stages.Recording {
		out := append([]*stages.Recording(nil), recs...)
		rec := *out[stage]
		f := *rec.Flows[0]
		f.Events = append(append([]relay.Event(nil), f.Events...), relay.Event{Step: 1, Dir: relay.ServerToClient, Data: extra})
		rec.Flows = append([]*relay.Flow{&f}, rec.Flows[1:]...)
		out[stage] = &rec
		return out
	}
	_, err = Analyse(tamper(2, []byte("x")))
	assert.ErrorIs(t, err, ErrBytes, "v3: a byte no message accounts for")
	_, err = Analyse(tamper(3, []byte{23, 3, 3, 0, 1, 0}))
	assert.ErrorIs(t, err, ErrTLSRecords, "v4: a record no message accounts for")
	_, err = Analyse(tamper(1, []byte{23, 3, 3}))
	assert.ErrorIs(t, err, ErrTLSRecords, "v2-tls: a record cut short")

	_, err = Analyse(recs[:3])
	assert.Error(t, err, "a stage missing")
	_, err = Analyse([]*stages.Recording{recs[0], recs[2], recs[1], recs[3]})
	assert.ErrorContains(t, err, "recording 1 is of v3, want v2-tls")

	other := *recs[2]
	other.Sessions = other.Sessions[:len(other.Sessions)-1]
	_, err = Analyse([]*stages.Recording{recs[0], recs[1], &other, recs[3]})
	assert.ErrorIs(t, err, ErrSessions)
}

func tlsRecord(typ uint8, body int) []byte {
	b := []byte{typ, 3, 3, 0, 0}
	binary.BigEndian.PutUint16(b[3:], uint16(body))
	return append(b, make([]byte, body)...)
}

func TestSplitRecords(t *testing.T) {
	stream := append(append(tlsRecord(22, 100), tlsRecord(20, 1)...), tlsRecord(23, 40)...)
	recs, err := splitRecords(stream)
	require.NoError(t, err)
	assert.Equal(t, []record{{22, 105}, {20, 6}, {23, 45}}, recs)

	tests := []struct {
		name   string
		stream []byte
	}{
		{"a header cut short", stream[:len(stream)-45+3]},
		{"a body cut short", stream[:len(stream)-1]},
		{"not a content type", append(tlsRecord(24, 1), 0)},
		{"not TLS", []byte("CP\x01\x01\x00\x00\x00\x00\x06\x05alice")},
		{"a record over the limit", tlsRecord(23, maxTLSRecordLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := splitRecords(tt.stream)
			assert.ErrorIs(t, err, ErrTLSRecords)
		})
	}
}

func FuzzSplitRecords(f *testing.F) {
	f.Add(append(tlsRecord(22, 100), tlsRecord(23, 17)...))
	f.Add(tlsRecord(21, 2)[:6])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, stream []byte) {
		recs, err := splitRecords(stream)
		if err != nil {
			return
		}
		total := 0
		for _, r := range recs {
			if r.Size < tlsHeaderSize || r.Size > tlsHeaderSize+maxTLSRecordLen {
				t.Fatalf("record of %d bytes", r.Size)
			}
			total += r.Size
		}
		if total != len(stream) {
			t.Fatalf("records cover %d of %d bytes", total, len(stream))
		}
	})
}

func TestNumbersAreWrittenForPeople(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 656550: "656,550", 1234567: "1,234,567", -4321: "-4,321"} {
		assert.Equal(t, want, commas(n))
	}
	assert.Equal(t, "baseline", pct(0))
	assert.Equal(t, "-41.1%", pct(change(386444, 656550)))
	assert.Equal(t, "+22.5%", pct(change(804598, 656550)))
	assert.Equal(t, "", pctp(nil))
	assert.Equal(t, "about 4 B", perConn(12, TLSFigures{Connections: 3}))
	assert.Equal(t, "4 B", perConn(12, TLSFigures{Connections: 3, HandshakeSame: true}))
	assert.True(t, strings.HasPrefix(avg(10, 4), "2.5"))
}
