package stages

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"chatlab/shared/certs"
)

// The workload's certificate is made the same way every time, so that
// the TLS handshakes, and the byte counts, are the same on every run: an
// Ed25519 key from a fixed seed (Ed25519 signatures are deterministic and
// always 64 bytes, where an ECDSA signature's DER length varies), a fixed
// serial number and a fixed validity. It is for this workload only: its
// private key is no secret.
var (
	certSeed   = sha256.Sum256([]byte("chatlab lab kit: the bandwidth workload's certificate"))
	certSerial = big.NewInt(586)
	certFrom   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	certUntil  = time.Date(2046, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Files of the workload's certificate and key in a stage's directory.
const (
	CertFile = "workload.crt"
	KeyFile  = "workload.key"
)

// WorkloadCert returns the workload's certificate and private key, PEM
// encoded: the same bytes on every call.
func WorkloadCert() (certPEM, keyPEM []byte, err error) {
	key := ed25519.NewKeyFromSeed(certSeed[:])
	tmpl := &x509.Certificate{
		SerialNumber:          certSerial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{certs.Organization}},
		NotBefore:             certFrom,
		NotAfter:              certUntil,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range certs.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	// Ed25519 signs without randomness; rand.Reader is only the API's.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("create the workload certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode the workload key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeCert writes the workload's certificate and key into dir and
// returns their paths.
func writeCert(dir string) (certFile, keyFile string, err error) {
	certPEM, keyPEM, err := WorkloadCert()
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}
