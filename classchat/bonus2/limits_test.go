package bonus2_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/classchat/bonus2"
	"chatlab/classchat/internal/cc"
	"chatlab/classchat/internal/cctest"
	"chatlab/classchat/task4"
	"chatlab/shared/chattest"
	"chatlab/shared/framing"
	"chatlab/shared/logging"
)

// startLimited starts a bonus 2 server with limits, and returns its
// address and read budget.
func startLimited(t *testing.T, limits cc.Limits) (string, *framing.Budget) {
	srv, groups := bonus2.NewFiles(logging.New(&strings.Builder{}, false), task4.Options{Welcome: bonus2.Welcome}, bonus2.Commands, false)
	groups.Registry().SetLimits(limits)
	return chattest.Start(t, srv), groups.Registry().ReadBudget()
}

// A file object that stops half-way is not held: once it has not moved
// for the frame time the sender is told and closed, and the bytes go
// back. The 1 MiB it sent at once earns it no time (at the default
// minimum rate, it would be 64 s).
func TestStalledFileIsClosed(t *testing.T) {
	const frame = 500 * time.Millisecond
	addr, budget := startLimited(t, cc.Limits{FrameTimeout: frame})
	alice := login(t, addr, "alice")
	data := randomBytes(t, 2<<20)
	req := fileRequest(t, "alice", "half.bin", data, bonus2.Checksum(data))
	start := time.Now()
	alice.Write(req[:1<<20])
	assert.Equal(t, task4.Notice(task4.StatusError, "A message was begun but not finished in time. Disconnecting..."), alice.Next())
	alice.ExpectClosed()
	assert.GreaterOrEqual(t, time.Since(start), frame)
	assert.Eventually(t, func() bool { return budget.Used() == 0 }, chattest.Timeout, 5*time.Millisecond,
		"nothing is held once the session has ended")
}

// A file that arrives slowly but steadily finishes, long after the frame
// time: it keeps moving, and averages more than MinRate.
func TestSlowUploadFinishes(t *testing.T) {
	const frame = time.Second
	addr, _ := startLimited(t, cc.Limits{FrameTimeout: frame, MinRate: 128 << 10})
	alice := login(t, addr, "alice")
	bob := login(t, addr, "bob", alice)
	data := randomBytes(t, 3<<20)
	req := fileRequest(t, "bob", "slow.bin", data, bonus2.Checksum(data))
	start := time.Now()
	const chunk = 64 << 10 // 64 KiB every 25 ms: 2.5 MiB/s, 20 times MinRate
	for off := 0; off < len(req); off += chunk {
		alice.Write(req[off:min(off+chunk, len(req))])
		time.Sleep(25 * time.Millisecond) // the pace of a slow link, not a wait for an event
	}
	assert.Equal(t, task4.Notice(task4.StatusSuccess, "File 'slow.bin' sent to bob"), alice.Next())
	assert.Greater(t, time.Since(start), frame, "it took longer than the frame time")
	var ft bonus2.FileTransfer
	bob.Decode(&ft)
	assert.Equal(t, bonus2.Checksum(data), ft.Checksum)
}

// The bytes held in objects partly read are bounded server-wide: with a
// small budget, two partial uploads take most of it, a third is told the
// server is busy and closed, and the first two finish untouched. (Each
// object is 320 KiB, of which all but 4 KiB is charged while it arrives:
// two whole fit in 700 KiB, three parts of 250 KiB do not.)
func TestReadBudget(t *testing.T) {
	const part = 250 << 10
	addr, budget := startLimited(t, cc.Limits{ReadBudget: 700 << 10})
	bob := login(t, addr, "bob")
	alice := login(t, addr, "alice", bob)
	carol := login(t, addr, "carol", bob, alice)
	dave := login(t, addr, "dave", bob, alice, carol)
	data := randomBytes(t, 240<<10)
	req := fileRequest(t, "bob", "f.bin", data, bonus2.Checksum(data))
	for i, p := range []*cctest.Peer{alice, carol} {
		p.Write(req[:part])
		// Wait until the server holds what was sent (all but its first
		// 4 KiB is charged).
		require.Eventually(t, func() bool { return budget.Used() >= int64(i+1)*(part-8<<10) },
			chattest.Timeout, 5*time.Millisecond, "the server reads part %d", i+1)
	}
	dave.Write(req[:part])
	assert.Equal(t, task4.Notice(task4.StatusError, "The server is too busy to take a message this long now; send it again later. Disconnecting..."), dave.Next())
	dave.ExpectClosed()

	for _, p := range []*cctest.Peer{alice, carol} {
		assert.Equal(t, "dave has left the chat", p.Next().Message)
		p.Next() // user list
		p.Write(req[part:])
		assert.Equal(t, task4.Notice(task4.StatusSuccess, "File 'f.bin' sent to bob"), p.Next())
	}
	// Each reader gives its message's bytes back as it goes on to wait for
	// the next one, which may come just after the reply.
	assert.Eventually(t, func() bool { return budget.Used() == 0 }, chattest.Timeout, 5*time.Millisecond,
		"the budget is given back")
}
