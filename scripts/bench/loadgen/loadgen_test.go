package loadgen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v3/binwire"
	"chatlab/classchat/task4"
)

func TestMain(m *testing.M) {
	// The lean stage runs the generator's own binary as its server: here,
	// the test binary.
	if len(os.Args) == 3 && os.Args[1] == "-serve-lean" {
		if err := ServeLean(os.Args[2]); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	// A server built with -race waits a second before it exits, to let
	// reports out; the tests stop one per run.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	code := m.Run()
	if built != "" {
		os.RemoveAll(built)
	}
	os.Exit(code)
}

// A load message's text reads back as it was written, at every size.
func TestTextRoundTrip(t *testing.T) {
	for _, size := range []int{MinTextBytes, 32, 4096} {
		text := appendText(nil, 513, 1<<36+7, 123456789012345, size)
		require.Len(t, text, size)
		pub, seq, sent, ok := parseText(text)
		require.True(t, ok)
		assert.Equal(t, 513, pub)
		assert.Equal(t, uint64(1<<36+7), seq)
		assert.Equal(t, int64(123456789012345), sent)
	}
	_, _, _, ok := parseText([]byte("hello, everyone in the room"))
	assert.False(t, ok, "an ordinary text is not a load message")
}

// The dialects' lean scanners read what the stages' own encoders write.
func TestDialectsReadTheServersMessages(t *testing.T) {
	text := string(appendText(nil, 1, 2, 3, 40))
	chatProto := []struct {
		m    proto.Message
		want event
	}{
		{proto.Message{Kind: proto.KindLoginAck, Username: "alice", Room: "general"}, event{kind: evLoggedIn}},
		{proto.Message{Kind: proto.KindJoinRoom, Room: "bench", Created: true}, event{kind: evJoined}},
		{proto.Message{Kind: proto.KindRoomMsg, Room: "bench", From: "bob", Text: text}, event{kind: evDelivery, text: []byte(text)}},
		{proto.Message{Kind: proto.KindRoomMsgAck, Room: "bench", Recipients: 99}, event{kind: evAck, n: 99}},
		{proto.Message{Kind: proto.KindSystemMsg, Text: "bob joined bench"}, event{kind: evOther}},
	}
	for _, d := range []struct {
		dialect Dialect
		codec   proto.Codec
	}{{binaryDialect{}, binwire.Codec{}}, {jsonDialect{}, jsonwire.Codec{}}} {
		var stream []byte
		for _, c := range chatProto {
			var err error
			stream, err = d.codec.Append(stream, &c.m, proto.ServerToClient)
			require.NoError(t, err)
		}
		for _, c := range chatProto {
			ev, size, err := d.dialect.Next(stream)
			require.NoError(t, err, d.dialect.Name())
			require.NotZero(t, size, "%s: %s not whole", d.dialect.Name(), c.m.Kind)
			assert.Equal(t, c.want.kind, ev.kind, "%s: %s", d.dialect.Name(), c.m.Kind)
			assert.Equal(t, string(c.want.text), string(ev.text), "%s: %s", d.dialect.Name(), c.m.Kind)
			if c.want.kind == evAck {
				assert.Equal(t, c.want.n, ev.n)
			}
			stream = stream[size:]
		}
		_, size, err := d.dialect.Next(stream)
		assert.Zero(t, size)
		assert.NoError(t, err)
	}

	classchat := []struct {
		line []byte
		want event
	}{
		{task4.Notice(task4.StatusSuccess, "Welcome %s! You are now connected to ClassChat.", "alice").Encode(), event{kind: evLoggedIn}},
		{task4.Notice(task4.StatusSuccess, "Group '%s' created successfully", "bench").Encode(), event{kind: evJoined}},
		{task4.Notice(task4.StatusSuccess, "Joined group '%s'", "bench").Encode(), event{kind: evJoined}},
		{task4.Notice(task4.StatusSuccess, "Message sent to %d/%d members in '%s'", 4, 5, "bench").Encode(), event{kind: evAck, n: 4}},
		{task4.Notice(task4.StatusSent, "Message delivered to %s", "bob").Encode(), event{kind: evAck, n: 1}},
		{task4.Reply{Status: task4.StatusMessage, Sender: "bob", Receiver: "alice", Text: text}.Encode(), event{kind: evDelivery, text: []byte(text)}},
		{[]byte(`{"status":"group_message","group":"bench","sender":"bob","text":"` + text + "\"}\n"), event{kind: evDelivery, text: []byte(text)}},
		{task4.Notice(task4.StatusError, "Username '%s' is already taken. Disconnecting...", "alice").Encode(), event{kind: evRejected}},
		{task4.Reply{Status: task4.StatusUserList, Users: []string{"alice"}}.Encode(), event{kind: evOther}},
	}
	for _, c := range classchat {
		ev, size, err := classChatDialect{groups: true}.Next(c.line)
		require.NoError(t, err)
		assert.Equal(t, len(c.line), size)
		assert.Equal(t, c.want.kind, ev.kind, "%s", c.line)
		if c.want.kind == evDelivery {
			assert.Equal(t, string(c.want.text), string(ev.text))
		}
		if c.want.kind == evAck {
			assert.Equal(t, c.want.n, ev.n)
		}
	}
}

// Test: a room flat out, on each kind of server: every message the
// server acknowledged reaches every member, in order.
func TestFanOutLosesNothing(t *testing.T) {
	for _, stage := range []string{"v1", "v3", "v4", "bonus1", "task4", "lean"} {
		t.Run(stage, func(t *testing.T) {
			srv, tg := startStage(t, stage)
			res, err := RunFanOut(testContext(t), srv, tg, smallRoom())
			require.NoError(t, err)
			assert.Positive(t, res.Sent, "messages sent")
			assert.Positive(t, res.Delivered, "messages delivered while measured")
			assert.Positive(t, res.Latency.Count, "latencies recorded")
			assert.Zero(t, res.Lost, "lost")
			assert.Zero(t, res.OutOfOrder, "out of order")
			assert.Zero(t, res.CutOff, "cut off")
			assert.Zero(t, res.Refused, "refused")
		})
	}
}

// Test: a member that stops reading is cut off by the server, and the
// others lose nothing.
func TestSlowConsumerIsCutOff(t *testing.T) {
	srv, tg := startStage(t, "v3")
	// 3000 messages of 4 kB a second: the others take 12 MB/s with ease,
	// and the slow one's kernel buffers and queue (some 6 MB) fill in
	// about a second.
	f := FanOut{Members: 4, Publishers: 1, Window: 32, TextBytes: 4000, Rate: 3000,
		Warmup: 50 * time.Millisecond, Duration: time.Second,
		Slow: true, SlowTimeout: 30 * time.Second}
	res, err := RunFanOut(testContext(t), srv, tg, f)
	require.NoError(t, err)
	require.NotNil(t, res.Slow)
	assert.True(t, res.Slow.ServerLogged, "the server logged cutting a slow consumer off")
	assert.True(t, res.Slow.ClientSaw, "the slow member's connection was closed")
	assert.Less(t, res.Slow.Received, res.Slow.Expected, "the slow member got everything")
	assert.Equal(t, 1, res.CutOff)
	assert.Zero(t, res.Lost, "the others lost messages")
}

// Test: idle clients beside a room: the server's memory is read, and the
// room still delivers everything.
func TestScale(t *testing.T) {
	srv, tg := startStage(t, "v3")
	res, err := RunScale(testContext(t), srv, tg, Scale{Clients: 40, FanOut: smallRoom()})
	require.NoError(t, err)
	assert.Equal(t, 40, res.Clients)
	assert.Positive(t, res.RSSBefore, "the server's memory before")
	assert.Positive(t, res.RSSAfter, "the server's memory with the clients in")
	assert.Positive(t, res.FanOut.Delivered)
	assert.Zero(t, res.FanOut.Lost)
	assert.True(t, res.Reading, "the idle clients read")
	assert.Equal(t, idleRoomSize, res.RoomSize)
	if assert.NotNil(t, res.MemBefore, "the server's memory line before") && assert.NotNil(t, res.MemAfter, "and after") {
		assert.Positive(t, res.MemAfter.RSS)
		assert.GreaterOrEqual(t, res.MemAfter.Goroutines, res.MemBefore.Goroutines+40, "a goroutine per client at least")
		assert.Positive(t, res.GoPerConn, "heap and stacks per connection")
	}
}

// Test: an invocation, as make bench runs it, flat out at two workloads
// and paced, twice: lean is added, nothing is lost, every stage gets its
// rows with a ratio to lean, the paced load of RepLoads alone is
// repeated, every run's background load is recorded, the targets close
// the table, the JSON reads back, the plot is drawn.
func TestRunReport(t *testing.T) {
	dir := binDir(t, "v1", "v3")
	stages, err := LookupStages("v1,v3")
	require.NoError(t, err)
	cfg := Config{BinDir: dir, Stages: stages, Scenarios: []string{ScenarioFanOut, ScenarioLatency}, Reps: 2,
		Room: smallRoom(), Sweep: []Workload{{40, 8}, {128, 16}}, Loads: []float64{2000, 5000}, RepLoads: []float64{5000}}
	var progress strings.Builder
	cfg.Progress = &progress
	rep, err := Run(testContext(t), cfg)
	require.NoError(t, err)
	require.Zero(t, rep.Failures, "%+v", rep.Stages)
	assert.True(t, rep.LeanAdded)
	assert.Contains(t, progress.String(), "stage lean added")
	require.Equal(t, []string{"lean", "v1", "v3"}, []string{rep.Stages[0].Stage, rep.Stages[1].Stage, rep.Stages[2].Stage})
	for _, s := range rep.Stages {
		require.Len(t, s.FanOut, 4, s.Stage)  // 2 workloads × 2 reps
		require.Len(t, s.Latency, 3, s.Stage) // 2 loads, then 5000 again
		for _, f := range append(slices.Clone(s.FanOut), s.Latency...) {
			assert.Positive(t, f.Delivered, s.Stage)
			assert.Zero(t, f.Lost, s.Stage)
			assert.Contains(t, []int{1, 2}, f.Rep)
		}
		assert.Equal(t, 5000.0, s.Latency[2].Offered)
		assert.Equal(t, 2, s.Latency[2].Rep)
	}
	require.Len(t, rep.Runs, 3*(4+3))
	for _, r := range rep.Runs {
		assert.Positive(t, r.Seconds, "%+v", r)
		assert.Positive(t, r.CPU.Server+r.CPU.Generator, "%+v", r)
	}
	// Rotated: the second repetition starts with the second stage.
	assert.Equal(t, "lean", rep.Runs[0].Stage)
	assert.Equal(t, "v1", rep.Runs[12].Stage, "%+v", rep.Runs[12])
	v3 := findSummary(rep, "v3", ScenarioFanOut, func(s Summary) bool { return s.TextBytes == 128 })
	require.NotNil(t, v3)
	assert.Equal(t, 2, v3.RateRatio.N)
	assert.Positive(t, v3.RateRatio.Median)
	require.NotEmpty(t, rep.Targets)

	var table bytes.Buffer
	WriteTable(&table, rep)
	for _, heading := range []string{"Fan-out, flat out", "Latency against load"} {
		section := sectionOf(t, table.String(), heading)
		assert.Contains(t, section, "| lean ", heading)
		assert.Contains(t, section, "| v1 ", heading)
		assert.Contains(t, section, "| v3 ", heading)
		assert.Contains(t, section, "×lean", heading)
	}
	assert.Contains(t, sectionOf(t, table.String(), "Targets"), "v3 fan-out, 128-byte texts, window 256")

	path := filepath.Join(t.TempDir(), "bench.json")
	require.NoError(t, WriteJSON(path, rep))
	var back Report
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back.Stages, 3)
	assert.Len(t, back.Stages[1].Latency, 3)
	assert.Equal(t, rep.Stages[1].FanOut[3].Delivered, back.Stages[1].FanOut[3].Delivered)
	assert.Equal(t, rep.Targets, back.Targets)
	assert.Len(t, back.Runs, len(rep.Runs))

	svg := filepath.Join(t.TempDir(), "latency.svg")
	require.NoError(t, WritePlot(svg, rep))
	b, err = os.ReadFile(svg)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<svg")
	assert.Contains(t, string(b), "<circle")
	assert.Contains(t, string(b), "v3 (binary)")
}

// The table has a section per scenario, a row per stage in each.
func TestWriteTable(t *testing.T) {
	run := &FanOutResult{Members: 100, Publishers: 4, PerSecond: 3e6, Latency: Latency{P50: 800, P99: 1900, P999: 4000}}
	slow := *run
	slow.Slow = &SlowResult{Latency: Latency{P99: 2000}, CutAfter: 2.5, ServerLogged: true, ClientSaw: true}
	rep := &Report{Room: FanOut{Members: 100, Publishers: 4}, Loads: []float64{200e3}}
	for _, name := range []string{"v1", "v3", "v4"} {
		lat := *run
		lat.Offered = 200e3
		rep.Stages = append(rep.Stages, StageReport{Stage: name, Encoding: "binary", FanOut: []*FanOutResult{run},
			Latency: []*FanOutResult{&lat}, Slow: &slow,
			Scale: &ScaleResult{Clients: 10000, RSSBefore: 7 << 20, RSSAfter: 80 << 20, PerConn: 7800, FanOut: run}})
	}
	var b bytes.Buffer
	WriteTable(&b, rep)
	for _, heading := range []string{"Fan-out, flat out", "Latency against load", "Scale:", "Slow consumer:"} {
		section := sectionOf(t, b.String(), heading)
		for _, name := range []string{"v1", "v3", "v4"} {
			assert.Contains(t, section, "| "+name+" ", heading)
		}
	}
	assert.Contains(t, b.String(), "7.6 KiB")
	assert.Contains(t, b.String(), "2.50 s")
}

// sectionOf returns the text from heading to the next blank line after
// its table.
func sectionOf(t *testing.T, text, heading string) string {
	t.Helper()
	i := strings.Index(text, heading)
	require.GreaterOrEqual(t, i, 0, "no section %q in\n%s", heading, text)
	rest := text[i:]
	if j := strings.Index(rest, "|\n\n"); j >= 0 {
		rest = rest[:j+1]
	}
	return rest
}

// A stage the generator does not know is named in the error.
func TestLookupStages(t *testing.T) {
	st, err := LookupStages("v3 v4,bonus1")
	require.NoError(t, err)
	assert.Equal(t, []string{"v3", "v4", "bonus1"}, []string{st[0].Name, st[1].Name, st[2].Name})
	_, err = LookupStages("v9")
	assert.ErrorIs(t, err, ErrUnknownStage)
}

// Test: the big room: every client gets into general, none is cut off,
// one more is answered, and its room message reaches everyone.
func TestBigRoom(t *testing.T) {
	srv, tg := startStage(t, "v3")
	res, err := RunBigRoom(testContext(t), srv, tg, BigRoom{Clients: 60})
	require.NoError(t, err)
	assert.Equal(t, 60, res.In)
	assert.Zero(t, res.Failed, res.FirstFailure)
	assert.Zero(t, res.CutOff)
	assert.Zero(t, res.Closed)
	assert.Equal(t, 60, res.Reached, "the room message reached every member")
	assert.Positive(t, res.LoginSeconds)
	assert.Positive(t, res.MessageSeconds)
	assert.Positive(t, res.RSS)
}

// Test: the big room is general, which only ChatProto servers have.
func TestBigRoomOnlyChatProto(t *testing.T) {
	st, err := LookupStages("task4")
	require.NoError(t, err)
	_, err = RunBigRoom(testContext(t), nil, &target{stage: st[0]}, BigRoom{Clients: 5})
	assert.ErrorIs(t, err, ErrConfig)
}
