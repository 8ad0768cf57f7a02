package workload

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/chat-v1/proto"
)

func TestGenerateGivesTheSameScriptForTheSameSeed(t *testing.T) {
	a, b := Generate(DefaultSeed, 500), Generate(DefaultSeed, 500)
	assert.Equal(t, a, b)
	c := Generate(DefaultSeed+1, 500)
	assert.NotEqual(t, a.Actions, c.Actions, "another seed, another session")
}

// The first steps of the default session: a change to the PRNG, the mix
// or the words shows here first (and then in the bandwidth figures).
func TestDefaultScriptBeginsAsItAlwaysHas(t *testing.T) {
	s := Generate(DefaultSeed, DefaultActions)
	assert.Equal(t, []Action{
		{Op: OpLogin, User: 0},
		{Op: OpLogin, User: 1},
		{Op: OpLogin, User: 2},
		{Op: OpLogin, User: 3},
		{Op: OpLogin, User: 4},
		{Op: OpRoomMsg, User: 4, Text: "header leave"},
		{Op: OpRoomMsg, User: 1, Text: "is in broken"},
		{Op: OpRoomMsg, User: 0, Text: "with list lab please TLS please ack socket struct make cool binary on :)"},
	}, s.Actions[:8])
}

func TestGeneratedScriptsAreValidAndHoldTheWholeMix(t *testing.T) {
	for _, seed := range []uint64{1, 2, DefaultSeed} {
		s := Generate(seed, DefaultActions)
		drawn := len(Users) + DefaultActions
		require.GreaterOrEqual(t, len(s.Actions), drawn, "seed %d", seed)
		for i, a := range s.Actions {
			switch {
			case i < len(Users):
				require.Equal(t, Action{Op: OpLogin, User: i}, a, "everyone logs in first (seed %d)", seed)
			case i >= drawn:
				require.Equal(t, OpLogout, a.Op, "those online log out at the end (seed %d)", seed)
			}
		}
		m := NewModel(s.Users)
		for i, a := range s.Actions {
			require.NoError(t, m.Check(a), "seed %d step %d", seed, i)
			m.Apply(a)
		}
		assert.Empty(t, m.Online(), "everyone has logged out at the end (seed %d)", seed)
		n := s.Count()
		for _, op := range Ops {
			assert.Positive(t, n[op], "seed %d has no %s", seed, op)
		}
		assert.Greater(t, n[OpLogin], len(Users), "some users log in again (seed %d)", seed)
	}
}

func TestTextsAreWhatTheServerAccepts(t *testing.T) {
	s := Generate(DefaultSeed, DefaultActions)
	longest := 0
	for _, a := range s.Actions {
		if a.Op == OpRoomMsg || a.Op == OpPrivateMsg {
			require.Zero(t, proto.CheckText(a.Text), "%q", a.Text)
			longest = max(longest, len(a.Text))
		}
	}
	assert.Less(t, longest, 1000, "a message fits one TLS record and one segment")
}
