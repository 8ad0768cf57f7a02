// Package certs makes and loads the TLS certificates of the stages that
// speak TLS (v2-tls, v4), in Go, with no openssl needed: a self-signed
// certificate for localhost, 127.0.0.1 and ::1, its private key written
// with mode 0600, and the certificate's SHA-256 fingerprint to compare by
// eye.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of the self-signed certificate.
const (
	DefaultCertFile = "server.crt"
	DefaultKeyFile  = "server.key"
	Validity        = 365 * 24 * time.Hour
	Organization    = "ChatLab"
)

// Hosts are the names and addresses the generated certificate is valid for.
var Hosts = []string{"localhost", "127.0.0.1", "::1"}

// Generate writes a new self-signed certificate (ECDSA P-256, valid from
// now for the given duration) and its key to certFile and keyFile,
// replacing them if they exist. The key file gets mode 0600.
func Generate(certFile, keyFile string, validFor time.Duration) error {
	now := time.Now()
	return GenerateWindow(certFile, keyFile, now.Add(-time.Minute), now.Add(validFor))
}

// GenerateWindow is Generate with an explicit validity window; tests use
// it to make a certificate that has expired or is not yet valid.
func GenerateWindow(certFile, keyFile string, notBefore, notAfter time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return fmt.Errorf("generate serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{Organization}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own authority
	}
	for _, h := range Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	for _, f := range []string{certFile, keyFile} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(certFile, "CERTIFICATE", der, 0o644)
}

// writePEM writes one PEM block to path with the given mode, replacing the
// file atomically.
func writePEM(path, blockType string, der []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := pem.Encode(tmp, &pem.Block{Type: blockType, Bytes: der}); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadOrCreate loads the pair at certFile and keyFile. If both are
// missing it generates a self-signed pair first and reports created; if
// only one is missing it refuses, rather than overwrite the other.
func LoadOrCreate(certFile, keyFile string) (cert tls.Certificate, created bool, err error) {
	_, certErr := os.Stat(certFile)
	_, keyErr := os.Stat(keyFile)
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		if err := Generate(certFile, keyFile, Validity); err != nil {
			return tls.Certificate{}, false, err
		}
		created = true
	case errors.Is(certErr, fs.ErrNotExist) || errors.Is(keyErr, fs.ErrNotExist):
		return tls.Certificate{}, false, fmt.Errorf("found only one of %s and %s: give both, or remove the other to have a new pair made", certFile, keyFile)
	}
	cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("load %s and %s: %w", certFile, keyFile, err)
	}
	return cert, created, nil
}

// Fingerprint is the SHA-256 of a certificate's DER bytes, as colon
// separated hex pairs (as browsers and openssl show it).
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(hexes, ":")
}

// Pool returns a certificate pool holding the PEM certificates in file.
func Pool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// MinTLSVersion is the oldest TLS version the stages accept, either side.
const MinTLSVersion = tls.VersionTLS12

// ClientTLS is a client's TLS configuration for host: it trusts the
// certificates in caFile and checks the host name; with insecure it checks
// nothing (for tests only).
func ClientTLS(host, caFile string, insecure bool) (*tls.Config, error) {
	if insecure {
		return &tls.Config{InsecureSkipVerify: true, MinVersion: MinTLSVersion}, nil
	}
	pool, err := Pool(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca: %w (start the TLS server once to generate it, or give --insecure)", err)
	}
	return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: MinTLSVersion}, nil
}
