package wireshark

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/lab/pcap"
)

const serverPort = 5555

// session is what one synthetic connection carries: writes, each from
// the client or the server.
type write struct {
	fromServer bool
	data       []byte
}

// writeCapture writes one TCP stream per session, from client ports
// 50001, 50002, ... to 5555.
func writeCapture(t *testing.T, sessions ...[]write) string {
	t.Helper()
	return writeCaptureTo(t, serverPort, sessions...)
}

// writeCaptureTo is writeCapture to another server port.
func writeCaptureTo(t *testing.T, port uint16, sessions ...[]write) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "synthetic.pcap")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w, err := pcap.NewWriter(f, pcap.LinkEthernet)
	require.NoError(t, err)
	clock := pcap.NewClock(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC), time.Millisecond)
	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	for i, writes := range sessions {
		client := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(50001+i))
		s := pcap.NewStream(w, clock, client, server)
		require.NoError(t, s.Open())
		for _, wr := range writes {
			require.NoError(t, s.Send(wr.fromServer, wr.data))
		}
		require.NoError(t, s.Close(false))
		require.NoError(t, s.Close(true))
	}
	return path
}

// TestEveryMessageDecodes writes every message kind, in every direction
// it travels and with every value of its enumeration, once in binary and
// once in JSON, plus a message longer than a segment and two messages in
// one segment, and checks every field tshark shows.
func TestEveryMessageDecodes(t *testing.T) {
	examples := append([]wiretest.Example(nil), wiretest.Examples...)
	examples = append(examples,
		wiretest.Example{Dir: proto.ClientToServer, Msg: proto.Message{Kind: proto.KindRoomMsg, Text: strings.Repeat("long text, ", 360)}},
		wiretest.Example{Dir: proto.ServerToClient, Msg: proto.Message{Kind: proto.KindRoomMsg, Room: "général", From: "zoë", Text: "unicode: ünïcødé ✓"}},
		wiretest.Example{Dir: proto.ServerToClient, Msg: proto.Message{Kind: proto.KindJoinRoom, Room: "tech", Created: false}},
		wiretest.Example{Dir: proto.ServerToClient, Msg: proto.Message{Kind: proto.KindListUsers, Room: "empty"}},
		wiretest.Example{Dir: proto.ServerToClient, Msg: proto.Message{Kind: proto.KindSystemMsg, Text: `quotes " and \ backslash`}},
	)
	var sessions [][]write
	want := map[flow]packet{}
	for i, binary := range []bool{true, false} {
		var writes []write
		for j, e := range examples {
			b := encode(&e.Msg, e.Dir, binary)
			fromServer := e.Dir == proto.ServerToClient
			// Two messages in one segment: the last two go together.
			if j == len(examples)-1 && writes[len(writes)-1].fromServer == fromServer {
				writes[len(writes)-1].data = append(writes[len(writes)-1].data, b...)
			} else {
				writes = append(writes, write{fromServer, b})
			}
			f := flow{clientPort: 50001 + i, dir: e.Dir}
			if want[f] == nil {
				want[f] = packet{}
			}
			expect(want[f], &e.Msg, e.Dir, binary)
		}
		sessions = append(sessions, writes)
	}
	packets := dissect(t, writeCapture(t, sessions...))
	assert.Empty(t, problems(packets))
	got := decoded(packets, serverPort)
	for f, w := range want {
		for field, values := range w {
			assert.Equal(t, values, got[f][field], "client port %d %s: %s", f.clientPort, f.dir, field)
		}
	}
	assert.Len(t, got, len(want), "no other flows")
}

// TestBrokenMessagesAreFlagged: what the spec calls malformed or unknown
// shows as expert information, and the stream stays in step after it.
func TestBrokenMessagesAreFlagged(t *testing.T) {
	login := encode(&proto.Message{Kind: proto.KindLogin, Username: "alice"}, proto.ClientToServer, true)
	trailing := append([]byte("CP\x01\x01\x00\x00\x00\x00\x07\x05alice"), '!') // body_len 7: one byte too many
	short := []byte("CP\x01\x01\x00\x00\x00\x00\x03\x05al")                    // the username says 5, the body holds 2
	unknown := []byte("CP\x01\x0d\x00\x00\x00\x00\x02hi")                      // type 0x0D
	badVersion := []byte("CP\x02\x09\x00\x00\x00\x00\x00")
	capture := writeCapture(t,
		[]write{{false, trailing}, {false, login}},
		[]write{{false, short}, {false, login}},
		[]write{{false, unknown}, {false, login}},
		[]write{{false, badVersion}},
		[]write{{false, []byte("{\"type\":\"login\",\"username\":}\n")}, {false, []byte("{\"type\":\"nope\"}\n")}},
		[]write{{false, []byte("\x00\x01binary junk")}},
	)
	packets := dissect(t, capture)
	byPort := map[string][]string{}
	for _, p := range packets {
		port := first(p, "tcp.srcport")
		for _, f := range []string{"chatproto.malformed", "chatproto.unknown_type", "chatproto.not_chatproto"} {
			if len(p[f]) > 0 {
				byPort[port] = append(byPort[port], f)
			}
		}
	}
	assert.Equal(t, map[string][]string{
		"50001": {"chatproto.malformed"},
		"50002": {"chatproto.malformed"},
		"50003": {"chatproto.unknown_type"},
		"50004": {"chatproto.malformed"},
		"50005": {"chatproto.malformed", "chatproto.unknown_type"},
		"50006": {"chatproto.not_chatproto"},
	}, byPort)
	// After each broken frame, the LOGIN that follows still decodes.
	got := decoded(packets, serverPort)
	for _, port := range []int{50001, 50002, 50003} {
		assert.Contains(t, got[flow{port, proto.ClientToServer}]["chatproto.username"], "alice", "port %d", port)
	}
}

// TestHeuristicFindsChatProtoOnAnotherPort: a stream that starts like
// ChatProto, binary or JSON, is decoded on any port; the lower port is
// taken for the server's.
func TestHeuristicFindsChatProtoOnAnotherPort(t *testing.T) {
	login := proto.Message{Kind: proto.KindLogin, Username: "alice"}
	ack := proto.Message{Kind: proto.KindLoginAck, Username: "alice", Room: "general"}
	var sessions [][]write
	want := map[flow]packet{}
	for i, binary := range []bool{true, false} {
		sessions = append(sessions, []write{
			{false, encode(&login, proto.ClientToServer, binary)},
			{true, encode(&ack, proto.ServerToClient, binary)},
		})
		up, down := packet{}, packet{}
		expect(up, &login, proto.ClientToServer, binary)
		expect(down, &ack, proto.ServerToClient, binary)
		want[flow{50001 + i, proto.ClientToServer}] = up
		want[flow{50001 + i, proto.ServerToClient}] = down
	}
	packets := dissect(t, writeCaptureTo(t, 7777, sessions...))
	assert.Empty(t, problems(packets))
	assert.Equal(t, want, decoded(packets, 7777))
}
