package stages

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"chatlab/lab/relay"
	"chatlab/lab/workload"
)

func TestWorkloadCertificateIsTheSameEveryTime(t *testing.T) {
	c1, k1, err := WorkloadCert()
	require.NoError(t, err)
	c2, k2, err := WorkloadCert()
	require.NoError(t, err)
	assert.Equal(t, c1, c2)
	assert.Equal(t, k1, k2)

	block, _ := pem.Decode(c1)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Equal(t, x509.PureEd25519, cert.SignatureAlgorithm)
	assert.IsType(t, ed25519.PublicKey{}, cert.PublicKey)
	assert.NoError(t, cert.VerifyHostname("127.0.0.1"))
	assert.NoError(t, cert.VerifyHostname("localhost"))
	assert.True(t, time.Now().Before(cert.NotAfter), "still valid")
	_, err = tls.X509KeyPair(c1, k1)
	assert.NoError(t, err)
}

func TestLookup(t *testing.T) {
	st, err := Lookup("v2-tls")
	require.NoError(t, err)
	assert.Equal(t, "v2-tls (JSON+TLS)", st.Label())
	_, err = Lookup("v5")
	assert.ErrorIs(t, err, ErrUnknownStage)
	assert.ErrorContains(t, err, "v2, v2-tls, v3, v4")
}

// TestRunsAreTheSame runs a short script twice against every stage: the
// same connections, and in each the same events of the same sizes (the
// same bytes, without TLS).
func TestRunsAreTheSame(t *testing.T) {
	script := workload.Generate(workload.DefaultSeed, 120)
	for _, st := range All {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			a, err := Run(context.Background(), st, script, Options{})
			require.NoError(t, err)
			b, err := Run(context.Background(), st, script, Options{})
			require.NoError(t, err)
			require.Len(t, b.Flows, len(a.Flows))
			require.Len(t, a.Flows, len(a.Sessions))
			for i := range a.Flows {
				ea, eb := a.Flows[i].Events, b.Flows[i].Events
				if !st.TLS {
					assert.Equal(t, a.Flows[i].Stream(relay.ClientToServer), b.Flows[i].Stream(relay.ClientToServer))
					assert.Equal(t, a.Flows[i].Stream(relay.ServerToClient), b.Flows[i].Stream(relay.ServerToClient))
				}
				for _, d := range []relay.Dir{relay.ClientToServer, relay.ServerToClient} {
					assert.Equal(t, a.Flows[i].Bytes(d), b.Flows[i].Bytes(d), "session %d %s", i, d)
				}
				assert.Equal(t, shape(ea), shape(eb), "session %d: the same events, step by step", i)
			}
		})
	}
}

type eventShape struct {
	Step int
	Dir  relay.Dir
	Len  int
}

func shape(events []relay.Event) []eventShape {
	var s []eventShape
	for _, e := range events {
		if e.FIN {
			continue // a FIN may cross before or after the other side's last bytes
		}
		s = append(s, eventShape{e.Step, e.Dir, len(e.Data)})
	}
	return s
}

func TestRunWritesTheTLSKeys(t *testing.T) {
	var keys keyLog
	script := workload.Generate(1, 0)
	rec, err := Run(context.Background(), V4, script, Options{KeyLog: &keys})
	require.NoError(t, err)
	assert.Len(t, rec.Sessions, len(script.Users))
	// TLS 1.3: four secrets per connection.
	assert.Equal(t, 4*len(script.Users), keys.lines)
}

type keyLog struct{ lines int }

func (k *keyLog) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			k.lines++
		}
	}
	return len(p), nil
}

func TestStartedServerSpeaksItsStage(t *testing.T) {
	srv, err := Start(V4, t.TempDir())
	require.NoError(t, err)
	defer srv.Close()
	conn, err := tls.Dial("tcp", srv.Addr, srv.ClientTLS)
	require.NoError(t, err, "the client configuration trusts the server")
	defer conn.Close()
	assert.Equal(t, uint16(tls.VersionTLS13), conn.ConnectionState().Version)
	assert.Equal(t, "127.0.0.1", srv.ClientTLS.ServerName)
}
