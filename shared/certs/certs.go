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
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of the self-signed certificate. Its files are named
// CertFileName and KeyFileName, in DefaultDir unless a path is given.
const (
	CertFileName = "server.crt"
	KeyFileName  = "server.key"
	Validity     = 365 * 24 * time.Hour
	Organization = "ChatLab"
	// DirName is the folder of the user's configuration directory that
	// holds the default pair.
	DirName = "chatlab"
)

// DefaultDir is where the TLS servers, their clients and certgen keep the
// certificate and key when no path is given: the user's configuration
// directory (os.UserConfigDir: $XDG_CONFIG_HOME or ~/.config on Linux,
// ~/Library/Application Support on macOS) joined with "chatlab". One
// place, whatever folder a binary is started from, and outside the
// repository, so that no key lands in it.
func DefaultDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no default place for the certificate (%w): give its path", err)
	}
	return filepath.Join(dir, DirName), nil
}

// DefaultPaths are the default certificate and key files, in DefaultDir.
func DefaultPaths() (certFile, keyFile string, err error) {
	dir, err := DefaultDir()
	if err != nil {
		return "", "", err
	}
	return filepath.Join(dir, CertFileName), filepath.Join(dir, KeyFileName), nil
}

// DefaultCertFile is the default certificate's path, or "" if the
// system has no configuration directory; for --help texts.
func DefaultCertFile() string {
	cert, _, _ := DefaultPaths()
	return cert
}

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
		// The folder holds a private key: only its owner may list it.
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
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

// Server is a TLS server's certificate, loaded by LoadServer, with where
// it is and where it came from.
type Server struct {
	Cert              tls.Certificate
	CertFile, KeyFile string // absolute paths
	Created           bool   // made now, because neither file existed
	Default           bool   // the default place, not paths given
}

// LoadServer loads a TLS server's certificate and key, making a
// self-signed pair if neither file exists. Empty paths mean the default
// ones (DefaultPaths); a key path alone is refused.
func LoadServer(certFile, keyFile string) (*Server, error) {
	s := &Server{}
	switch {
	case certFile == "" && keyFile == "":
		var err error
		if certFile, keyFile, err = DefaultPaths(); err != nil {
			return nil, err
		}
		s.Default = true
	case keyFile == "":
		keyFile = KeyBeside(certFile)
	case certFile == "":
		return nil, errors.New("a key file without its certificate: give the certificate's path first")
	}
	s.CertFile, s.KeyFile = abs(certFile), abs(keyFile)
	var err error
	s.Cert, s.Created, err = LoadOrCreate(s.CertFile, s.KeyFile)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ServerHelp is the --help paragraph of a TLS server on where its
// certificate comes from.
func ServerHelp() string {
	place, err := DefaultDir()
	if err != nil {
		place = "the user's configuration folder (none here: give the files)"
	}
	return "The certificate and key: certfile and keyfile if given (a certfile alone\n" +
		"takes the key beside it, ending in .key); else " + CertFileName + " and " + KeyFileName + " in\n" +
		place + ", where the clients and make certs look too. If\n" +
		"neither exists, the server makes a self-signed pair for localhost, 127.0.0.1\n" +
		"and ::1 (the key with mode 0600). Its log says which certificate it uses,\n" +
		"whether it made it, and the SHA-256 fingerprint the clients show."
}

// KeyBeside is the key file that goes with certFile when only the
// certificate is named: the same path ending in .key (server.crt,
// server.key).
func KeyBeside(certFile string) string {
	return strings.TrimSuffix(certFile, filepath.Ext(certFile)) + ".key"
}

// Log says, for a server's log, where its certificate is and where it
// came from: two lines when it was made now, one when it was found.
func (s *Server) Log(log *slog.Logger) {
	from := "the paths given"
	if s.Default {
		from = "the default place"
	}
	if s.Created {
		log.Info("made a new self-signed certificate for "+strings.Join(Hosts, ", ")+" at "+s.CertFile,
			"key", s.KeyFile, "in", from)
		log.Info("clients trust it with --ca " + s.CertFile + defaultNote(s.Default))
	} else {
		log.Info("using certificate "+s.CertFile, "key", s.KeyFile, "from", from)
	}
	log.Info("TLS certificate", "sha256", Fingerprint(s.Cert.Certificate[0]))
}

func defaultNote(isDefault bool) string {
	if isDefault {
		return " (the default: clients on this machine need no flag)"
	}
	return ""
}

func abs(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
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
// certificates in caFile (the default certificate if "") and checks the
// host name; with insecure it checks nothing (for tests only).
func ClientTLS(host, caFile string, insecure bool) (*tls.Config, error) {
	if insecure {
		return &tls.Config{InsecureSkipVerify: true, MinVersion: MinTLSVersion}, nil
	}
	given := caFile != ""
	if !given {
		var err error
		if caFile, _, err = DefaultPaths(); err != nil {
			return nil, fmt.Errorf("%w (--ca FILE), or give --insecure", err)
		}
	}
	pool, err := Pool(caFile)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !given:
		return nil, fmt.Errorf("no CA certificate at %s, the default place: start the TLS server on this machine once "+
			"(make server-v4 or make server-v2-tls) to make it there, or give the server's certificate with --ca FILE, "+
			"or (for a test only) --insecure", caFile)
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("--ca %s: no such file: give the server's certificate (the TLS server logs its path), "+
			"or leave out --ca to use %s, or (for a test only) --insecure", caFile, DefaultCertFile())
	case err != nil:
		return nil, fmt.Errorf("--ca %s: %w", caFile, err)
	}
	return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: MinTLSVersion}, nil
}
