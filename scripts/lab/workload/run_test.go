package workload_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/stages"
	"chatlab/lab/workload"
	"chatlab/shared/chattest"
)

func start(t *testing.T, st stages.Stage) *stages.Server {
	t.Helper()
	srv, err := stages.Start(st, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	return srv
}

func TestRunDrivesEveryStage(t *testing.T) {
	script := workload.Generate(workload.DefaultSeed, 150)
	// What the model says each session sends and receives.
	m := workload.NewModel(script.Users)
	var sent, received int
	for _, a := range script.Actions {
		if m.Request(a) != nil {
			sent++
		}
		for _, msgs := range m.Apply(a) {
			received += len(msgs)
		}
	}
	for _, st := range stages.All {
		t.Run(st.Name, func(t *testing.T) {
			srv := start(t, st)
			var steps []int
			res, err := workload.Run(context.Background(), script, workload.Config{
				Addr: srv.Addr, Codec: st.Codec, TLS: srv.ClientTLS,
				OnStep: func(i int, _ workload.Action) { steps = append(steps, i) },
			})
			require.NoError(t, err)
			assert.Len(t, steps, len(script.Actions), "OnStep is called once a step")
			var gotSent, gotReceived int
			for _, s := range res.Sessions {
				gotSent += len(s.Sent)
				gotReceived += len(s.Received)
				assert.GreaterOrEqual(t, s.Logout, s.Login, "%s logged out", s.Name)
				if st.TLS {
					assert.Equal(t, uint16(tls.VersionTLS13), s.TLS.Version)
				}
			}
			assert.Equal(t, sent, gotSent)
			assert.Equal(t, received, gotReceived)
		})
	}
}

func TestRunNoticesAServerThatDiffersFromTheModel(t *testing.T) {
	// The model keeps names apart; the spec folds case, so the server
	// refuses the second log-in.
	script := workload.Script{
		Users:   []string{"alice", "ALICE"},
		Actions: []workload.Action{{Op: workload.OpLogin, User: 0}, {Op: workload.OpLogin, User: 1}},
	}
	srv := start(t, stages.V3)
	_, err := workload.Run(context.Background(), script, workload.Config{Addr: srv.Addr, Codec: stages.V3.Codec})
	require.ErrorIs(t, err, workload.ErrMismatch)
	assert.ErrorContains(t, err, "step 1 (ALICE: log-in)")
	assert.ErrorContains(t, err, "got LOGIN_REJECT")
}

func TestRunRefusesAnInvalidScript(t *testing.T) {
	script := workload.Script{Users: []string{"alice"}, Actions: []workload.Action{{Op: workload.OpRoomMsg, User: 0, Text: "hi"}}}
	_, err := workload.Run(context.Background(), script, workload.Config{Addr: "127.0.0.1:1", Codec: stages.V3.Codec})
	assert.ErrorIs(t, err, workload.ErrBadScript)
}

func TestRunNamesAServerThatIsNotThere(t *testing.T) {
	script := workload.Generate(1, 0)
	_, err := workload.Run(context.Background(), script, workload.Config{Addr: chattest.ClosedPort(t), Codec: stages.V3.Codec})
	assert.ErrorIs(t, err, workload.ErrConnection)
}

func TestRunGivesUpOnASilentServer(t *testing.T) {
	script := workload.Generate(1, 0)
	start := time.Now()
	_, err := workload.Run(context.Background(), script, workload.Config{
		Addr: chattest.SilentListener(t), Codec: stages.V3.Codec, StepTimeout: 100 * time.Millisecond,
	})
	assert.ErrorIs(t, err, workload.ErrNoMessage)
	assert.ErrorContains(t, err, "waiting for LOGIN_ACK")
	assert.Less(t, time.Since(start), 5*time.Second)
}
