package wireshark

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v3/binwire"
)

// tsharkTimeout bounds one run of tshark.
const tsharkTimeout = 2 * time.Minute

// script is the dissector under test.
var script = func() string {
	p, err := filepath.Abs("chatproto.lua")
	if err != nil {
		panic(err)
	}
	return p
}()

// tsharkPath finds tshark. Without it the test is skipped, except in CI
// (CI=true), where .ci/run installs it and its absence is a failure.
func tsharkPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tshark is not installed (apt-get install tshark): %v", err)
		}
		t.Skipf("tshark is not installed (apt-get install tshark); CI=true makes this a failure")
	}
	return p
}

// fields tshark reports for every packet.
var fields = []string{
	"frame.number", "tcp.srcport", "tcp.dstport", "tcp.len",
	"tcp.checksum.status", "ip.checksum.status", "_ws.expert.severity", "_ws.expert.message", "_ws.malformed",
	"chatproto.encoding", "chatproto.direction",
	"chatproto.magic", "chatproto.version", "chatproto.type", "chatproto.flags", "chatproto.body_len",
	"chatproto.username", "chatproto.room", "chatproto.from", "chatproto.to", "chatproto.text",
	"chatproto.reason", "chatproto.status", "chatproto.code", "chatproto.created", "chatproto.recipients",
	"chatproto.count", "chatproto.list.user", "chatproto.list.room", "chatproto.list.members",
	"chatproto.malformed", "chatproto.unknown_type", "chatproto.not_chatproto",
}

// packet is one packet as tshark decoded it: each field's values, in the
// order they occur.
type packet map[string][]string

// dissect runs tshark with the dissector over a capture (checksums
// checked) and returns every packet's fields.
func dissect(t *testing.T, capture string, args ...string) []packet {
	t.Helper()
	tshark := tsharkPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), tsharkTimeout)
	defer cancel()
	cmdArgs := []string{"-X", "lua_script:" + script, "-r", capture, "-n",
		"-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-T", "json"}
	cmdArgs = append(cmdArgs, args...)
	for _, f := range fields {
		cmdArgs = append(cmdArgs, "-e", f)
	}
	cmd := exec.CommandContext(ctx, tshark, cmdArgs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "tshark %v\n%s", cmdArgs, stderr.String())
	// A Lua error is reported on standard error while tshark goes on.
	require.NotContains(t, stderr.String(), "Lua", "the dissector failed")
	var docs []struct {
		Source struct {
			Layers packet `json:"layers"`
		} `json:"_source"`
	}
	require.NoError(t, json.Unmarshal(out, &docs), "tshark's JSON output")
	packets := make([]packet, len(docs))
	for i, d := range docs {
		packets[i] = d.Source.Layers
	}
	return packets
}

// severityWarning is Wireshark's PI_WARN; notes and chats are below it.
const severityWarning = 0x00600000

// problems lists what tshark found wrong: expert information of warning
// or error severity, malformed packets, bad checksums.
func problems(packets []packet) []string {
	var out []string
	for _, p := range packets {
		frame := first(p, "frame.number")
		for i, s := range p["_ws.expert.severity"] {
			if n, _ := strconv.Atoi(s); n >= severityWarning {
				msg := ""
				if i < len(p["_ws.expert.message"]) {
					msg = p["_ws.expert.message"][i]
				}
				out = append(out, fmt.Sprintf("frame %s: expert info %s: %s", frame, s, msg))
			}
		}
		if len(p["_ws.malformed"]) > 0 {
			out = append(out, "frame "+frame+": malformed")
		}
		for _, f := range []string{"tcp.checksum.status", "ip.checksum.status"} {
			for _, s := range p[f] {
				if s != "1" { // 1: good
					out = append(out, fmt.Sprintf("frame %s: %s %s", frame, f, s))
				}
			}
		}
	}
	return out
}

func first(p packet, field string) string {
	if v := p[field]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// chatFields are the dissector's fields of a message.
var chatFields = fields[9:30]

// flow is one direction of one TCP stream, keyed by the client's port.
type flow struct {
	clientPort int
	dir        proto.Dir
}

// decoded gathers, for each flow, every chatproto field's values in the
// order they were decoded.
func decoded(packets []packet, serverPort int) map[flow]packet {
	out := map[flow]packet{}
	for _, p := range packets {
		src, _ := strconv.Atoi(first(p, "tcp.srcport"))
		dst, _ := strconv.Atoi(first(p, "tcp.dstport"))
		f := flow{clientPort: src, dir: proto.ClientToServer}
		if src == serverPort {
			f = flow{clientPort: dst, dir: proto.ServerToClient}
		}
		for _, name := range chatFields {
			if v := p[name]; len(v) > 0 {
				if out[f] == nil {
					out[f] = packet{}
				}
				out[f][name] = append(out[f][name], v...)
			}
		}
	}
	return out
}

// expect adds to want the fields the dissector must show for m, sent in
// direction dir, in binary or JSON.
func expect(want packet, m *proto.Message, dir proto.Dir, binary bool) {
	add := func(field, value string) { want[field] = append(want[field], value) }
	if binary {
		frame, err := binwire.Marshal(m, dir)
		if err != nil {
			panic(err)
		}
		add("chatproto.encoding", "binary")
		add("chatproto.magic", "0x4350")
		add("chatproto.version", "1")
		add("chatproto.flags", "0x00")
		add("chatproto.body_len", strconv.Itoa(len(frame)-binwire.HeaderSize))
	} else {
		add("chatproto.encoding", "json")
	}
	add("chatproto.direction", dir.String())
	add("chatproto.type", fmt.Sprintf("0x%02x", uint8(m.Kind)))
	c2s := dir == proto.ClientToServer
	switch m.Kind {
	case proto.KindLogin:
		add("chatproto.username", m.Username)
	case proto.KindLoginAck:
		add("chatproto.username", m.Username)
		add("chatproto.room", m.Room)
	case proto.KindLoginReject:
		add("chatproto.reason", strconv.Itoa(int(m.Reason)))
		add("chatproto.text", m.Text)
	case proto.KindRoomMsg:
		if !c2s {
			add("chatproto.room", m.Room)
			add("chatproto.from", m.From)
		}
		add("chatproto.text", m.Text)
	case proto.KindPrivateMsg:
		if c2s {
			add("chatproto.to", m.To)
		} else {
			add("chatproto.from", m.From)
		}
		add("chatproto.text", m.Text)
	case proto.KindPrivateMsgDelivery:
		add("chatproto.status", strconv.Itoa(int(m.Status)))
		add("chatproto.to", m.To)
	case proto.KindJoinRoom:
		add("chatproto.room", m.Room)
		if !c2s {
			add("chatproto.created", map[bool]string{false: "0", true: "1"}[m.Created])
		}
	case proto.KindListUsers:
		if !c2s {
			add("chatproto.room", m.Room)
			add("chatproto.count", strconv.Itoa(len(m.Users)))
			for _, u := range m.Users {
				add("chatproto.list.user", u)
			}
		}
	case proto.KindListRooms:
		if !c2s {
			add("chatproto.count", strconv.Itoa(len(m.Rooms)))
			for _, r := range m.Rooms {
				add("chatproto.list.room", r.Name)
				add("chatproto.list.members", strconv.Itoa(r.Members))
			}
		}
	case proto.KindSystemMsg:
		add("chatproto.text", m.Text)
	case proto.KindErrorMsg:
		add("chatproto.code", strconv.Itoa(int(m.Code)))
		add("chatproto.text", m.Text)
	case proto.KindRoomMsgAck:
		add("chatproto.room", m.Room)
		add("chatproto.recipients", strconv.FormatUint(uint64(m.Recipients), 10))
	}
}

// encode returns m in binary or JSON.
func encode(m *proto.Message, dir proto.Dir, binary bool) []byte {
	var b []byte
	var err error
	if binary {
		b, err = binwire.Marshal(m, dir)
	} else {
		b, err = jsonwire.Marshal(m, dir)
	}
	if err != nil {
		panic(err)
	}
	return b
}
