package flow

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestNoLimitIsNil(t *testing.T) {
	assert.Nil(t, New(Limit{}))
	assert.Nil(t, New(Limit{Burst: 5, ByteBurst: 5}))
	var b *Bucket
	assert.NoError(t, b.Wait(context.Background(), 1<<30))
}

// Messages: a burst at once, then one per 1/Rate; idle time refills the
// burst, and no more.
func TestMessageRate(t *testing.T) {
	b := New(Limit{Rate: 10, Burst: 3})
	for i := range 3 {
		assert.Zero(t, b.reserve(at(0), 100), "message %d of the burst", i)
	}
	assert.Equal(t, 100*time.Millisecond, b.reserve(at(0), 100))
	assert.Equal(t, 200*time.Millisecond, b.reserve(at(0), 100), "the next waits behind it")
	// A second later the debt of two is paid and eight tokens came: the
	// bucket is full (3), not 8.
	for i := range 3 {
		assert.Zero(t, b.reserve(at(2*time.Second), 1), "message %d after the pause", i)
	}
	assert.Equal(t, 100*time.Millisecond, b.reserve(at(2*time.Second), 1))
}

// Bytes: a message waits for its size in tokens; one larger than the
// burst waits only for the burst and leaves a debt the next one pays.
func TestByteRate(t *testing.T) {
	b := New(Limit{ByteRate: 1000, ByteBurst: 2000})
	assert.Zero(t, b.reserve(at(0), 1500))
	assert.Equal(t, time.Second, b.reserve(at(0), 1500), "500 left, 1500 needed")
	// Now at -1000. At 5 s: +5000, capped at 2000.
	assert.Zero(t, b.reserve(at(5*time.Second), 2000))
	// Empty; a 10 000-byte message waits for the burst only (2 s) ...
	assert.Equal(t, 2*time.Second, b.reserve(at(5*time.Second), 10000))
	// ... and the next pays the debt: -10 000 + 1 to reach = 10.001 s.
	assert.Equal(t, 10001*time.Millisecond, b.reserve(at(5*time.Second), 1))
}

// Both limits: the longer wait wins. Defaults: burst is a second's worth.
func TestBothLimits(t *testing.T) {
	b := New(Limit{Rate: 2, ByteRate: 100})
	assert.Zero(t, b.reserve(at(0), 50))
	assert.Zero(t, b.reserve(at(0), 50))
	assert.Equal(t, 500*time.Millisecond, b.reserve(at(0), 1), "out of messages")
	b = New(Limit{Rate: 100, ByteRate: 100})
	assert.Zero(t, b.reserve(at(0), 100))
	assert.Equal(t, 500*time.Millisecond, b.reserve(at(0), 50), "out of bytes")
}

// A clock that goes back does not mint tokens.
func TestClockBackwards(t *testing.T) {
	b := New(Limit{Rate: 1, Burst: 1})
	assert.Zero(t, b.reserve(at(time.Hour), 1))
	assert.Equal(t, time.Second, b.reserve(at(0), 1))
}

// Wait waits out the time it must (never less), and gives up when its
// context ends.
func TestWait(t *testing.T) {
	b := New(Limit{Rate: 20, Burst: 1})
	ctx := context.Background()
	start := time.Now()
	require.NoError(t, b.Wait(ctx, 1))
	require.NoError(t, b.Wait(ctx, 1))
	assert.GreaterOrEqual(t, time.Since(start), 45*time.Millisecond)

	b = New(Limit{Rate: 1.0 / 3600, Burst: 1})
	require.NoError(t, b.Wait(ctx, 1))
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, b.Wait(ctx, 1), context.Canceled)
}

func TestFlags(t *testing.T) {
	parse := func(args ...string) (Limit, error) {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		get := AddFlags(fs, Default)
		err := fs.Parse(args)
		return get(), err
	}
	l, err := parse()
	require.NoError(t, err)
	assert.Equal(t, Default, l)
	l, err = parse("--msg-rate", "0", "--byte-rate=0")
	require.NoError(t, err)
	assert.Nil(t, New(l), "0 turns flow control off")
	l, err = parse("--msg-rate", "2.5", "--msg-burst", "7", "--byte-rate", "1000", "--byte-burst", "10")
	require.NoError(t, err)
	assert.Equal(t, Limit{Rate: 2.5, Burst: 7, ByteRate: 1000, ByteBurst: 10}, l)
	for _, bad := range [][]string{{"--msg-rate", "-1"}, {"--byte-burst", "-5"}, {"--msg-burst", "1.5"}, {"--byte-rate", "fast"}} {
		_, err := parse(bad...)
		assert.Error(t, err, "%v", bad)
	}
}
