package certs

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadOrCreateMakesAUsablePair(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "sub", "server.crt"), filepath.Join(dir, "sub", "server.key")
	cert, created, err := LoadOrCreate(certFile, keyFile)
	require.NoError(t, err)
	assert.True(t, created)
	info, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the key is private")

	again, created, err := LoadOrCreate(certFile, keyFile)
	require.NoError(t, err)
	assert.False(t, created, "an existing pair is loaded, not replaced")
	assert.Equal(t, cert.Certificate[0], again.Certificate[0])

	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	require.NoError(t, err)
	assert.Equal(t, []string{"localhost"}, leaf.DNSNames)
	assert.Len(t, leaf.IPAddresses, 2)
	assert.Len(t, Fingerprint(cert.Certificate[0]), 32*3-1)

	// A client trusting the file verifies the server under every host name.
	pool, err := Pool(certFile)
	require.NoError(t, err)
	for _, host := range Hosts {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool})
		assert.NoError(t, err, host)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "example.invalid", Roots: pool})
	assert.Error(t, err, "no other name")
}

func TestHandshakeWithGeneratedPair(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	cert, _, err := LoadOrCreate(certFile, keyFile)
	require.NoError(t, err)
	pool, err := Pool(certFile)
	require.NoError(t, err)

	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Write([]byte("hello"))
			c.Close()
		}
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"})
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
}

func TestHalfAPairIsRefused(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	require.NoError(t, os.WriteFile(certFile, []byte("not a cert"), 0o644))
	_, _, err := LoadOrCreate(certFile, keyFile)
	assert.ErrorContains(t, err, "found only one of")
	_, err = os.Stat(keyFile)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestPoolRejectsGarbage(t *testing.T) {
	f := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(f, []byte("garbage"), 0o644))
	_, err := Pool(f)
	assert.ErrorContains(t, err, "holds no PEM certificate")
}

func TestLoadServerDefaultPlace(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("HOME", config)
	place, err := DefaultDir()
	require.NoError(t, err)

	_, err = ClientTLS("127.0.0.1", "", false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no CA certificate at "+filepath.Join(place, CertFileName)+", the default place")

	s, err := LoadServer("", "")
	require.NoError(t, err)
	assert.True(t, s.Created)
	assert.True(t, s.Default)
	assert.Equal(t, filepath.Join(place, CertFileName), s.CertFile)
	assert.Equal(t, filepath.Join(place, KeyFileName), s.KeyFile)
	info, err := os.Stat(place)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	again, err := LoadServer("", "")
	require.NoError(t, err)
	assert.False(t, again.Created, "found, not made again")
	_, err = ClientTLS("127.0.0.1", "", false)
	assert.NoError(t, err, "the client finds the server's certificate with no flag")

	only, err := LoadServer(filepath.Join(config, "mine.crt"), "")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(config, "mine.key"), only.KeyFile, "the key goes beside the certificate")
	assert.False(t, only.Default)
}
