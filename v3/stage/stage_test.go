package stage_test

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"chatlab/shared/bintest"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/chatserver"
	"chatlab/chat-v1/proto"
	"chatlab/chat-v1/wiretest"
	"chatlab/chat-v3/binwire"
	"chatlab/chat-v3/stage"
	"chatlab/shared/chattest"
)

var v3Env = wiretest.Env{
	Codec: binwire.Codec{},
	Start: func(t *testing.T, cfg chatserver.Config) string {
		cfg.OnBadInput = stage.V3.ServerConfig().OnBadInput
		return chattest.Start(t, chatserver.New(cfg))
	},
}

// Every rule of docs/protocol.md §1 and every command, over binary frames.
func TestSuite(t *testing.T) {
	wiretest.Suite(t, v3Env)
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// Every ERROR_MSG case of docs/protocol.md §2, on the wire: the right code, fatal
// ones followed by a close, the others by a connection that still works.
func TestErrorFrames(t *testing.T) {
	srv := v3Env.StartServer(t, chatserver.Config{})
	witness := srv.Login("witness")
	tests := []struct {
		name  string
		frame string
		code  proto.ErrorCode
		fatal bool
	}{
		{"bad magic", "43 51 01 09 00 00 00 00 00", proto.CodeMalformed, true},
		{"bad version", "43 50 02 09 00 00 00 00 00", proto.CodeUnsupported, true},
		{"oversized body (header only)", "43 50 01 04 00 00 10 00 01", proto.CodeTooLong, true},
		{"truncated body", "43 50 01 05 00 00 00 00 03 05 62 6f", proto.CodeMalformed, false},
		{"trailing bytes", "43 50 01 07 00 00 00 00 03 01 61 00", proto.CodeMalformed, false},
		{"invalid UTF-8", "43 50 01 04 00 00 00 00 04 00 02 c3 28", proto.CodeMalformed, false},
		{"unknown type", "43 50 01 0d 00 00 00 00 03 01 02 03", proto.CodeUnsupported, false},
		{"a server's type", "43 50 01 0a 00 00 00 00 02 00 00", proto.CodeUnsupported, false},
		{"empty text", "43 50 01 04 00 00 00 00 02 00 00", proto.CodeEmpty, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := srv.Login("mallory")
			witness.Expect("mallory's arrival", wiretest.System("mallory joined general"))
			c.SendRaw(unhex(t, tt.frame))
			if tt.fatal {
				got := c.ExpectClosed()
				require.Len(t, got, 1)
				assert.Equal(t, tt.code, got[0].Code)
			} else {
				m := c.Next()
				require.Equal(t, proto.KindErrorMsg, m.Kind, wiretest.Format(m))
				assert.Equal(t, tt.code, m.Code)
				wiretest.Sync(t, c)
				c.Raw.Close()
			}
			witness.Expect("mallory's departure", wiretest.System("mallory left general"))
		})
	}
	t.Run("flags are ignored", func(t *testing.T) {
		c := srv.Dial()
		c.SendRaw(unhex(t, "43 50 01 01 ff 00 00 00 06 05 61 6c 69 63 65"))
		assert.Equal(t, proto.Message{Kind: proto.KindLoginAck, Username: "alice", Room: "general"}, c.Next())
		witness.Expect("alice's arrival", wiretest.System("alice joined general"))
	})
	t.Run("before log-in", func(t *testing.T) {
		c := srv.Dial()
		c.SendRaw(unhex(t, "43 50 01 09 00 00 00 00 00"))
		m := c.Next()
		assert.Equal(t, proto.CodeNotLoggedIn, m.Code)
		assert.Contains(t, m.Text, "43 50 01 01 00 00 00 00 06 05 61 6c 69 63 65", "the answer shows a LOGIN frame")
		c.Send(proto.Message{Kind: proto.KindLogin, Username: "late"})
		assert.Equal(t, proto.KindLoginAck, c.Next().Kind)
		witness.Expect("late's arrival", wiretest.System("late joined general"))
	})
	wiretest.Sync(t, witness)
}

// A room message costs the same allocations for 10 members as for 100.
func TestFanOutDoesNotAllocatePerDelivery(t *testing.T) {
	if bintest.RaceEnabled() {
		t.Skip("allocation counts mean nothing under -race; make test runs this test in a pass without it")
	}
	small := wiretest.AllocsPerBroadcast(t, binwire.Codec{}, 10)
	large := wiretest.AllocsPerBroadcast(t, binwire.Codec{}, 100)
	t.Logf("allocations per room message: %.1f with 10 members, %.1f with 100", small, large)
	assert.InDelta(t, small, large, 2, "allocations grow with the number of recipients")
}

func BenchmarkFanOut100(b *testing.B) { wiretest.BenchmarkFanOut(b, binwire.Codec{}, 100) }

// A client that sends half a frame of the largest size at once and stops
// is closed once it has not moved for the frame timeout: the half
// megabyte earns it no time (at the default minimum rate, 32 s).
func TestStallInsideALargestFrame(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv := v3Env.StartServer(t, chatserver.Config{FrameTimeout: timeout})
	bob := srv.Login("bob")
	mallory := srv.Login("mallory")
	bob.Expect("mallory's arrival", wiretest.System("mallory joined general"))

	frame := binary.BigEndian.AppendUint32(unhex(t, "43 50 01 04 00"), proto.MaxBinaryBody)
	frame = append(frame, make([]byte, proto.MaxBinaryBody/2)...)
	begun := time.Now()
	mallory.SendRaw(frame)
	assert.Empty(t, mallory.ExpectClosed())
	assert.GreaterOrEqual(t, time.Since(begun), timeout)
	bob.Expect("mallory's departure", wiretest.System("mallory left general"))
	wiretest.Sync(t, bob)
}
