// Command certgen writes a new self-signed certificate and key for the
// TLS stages (localhost, 127.0.0.1, ::1), replacing any there: `make
// certs` runs it. By default it writes them where the TLS servers and
// clients look for them (certs.DefaultDir).
package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"chatlab/shared/certs"
	"chatlab/shared/cli"
)

func main() {
	cmd := cli.NewCommand("certgen", "", "Write a new self-signed certificate and key for the TLS stages.", 0, 0)
	defCert, defKey, defErr := certs.DefaultPaths()
	certFile := cmd.FlagSet.String("cert", defCert, "where to write the certificate")
	keyFile := cmd.FlagSet.String("key", "", "where to write the private key, mode 0600 (default: beside the certificate, ending in .key)")
	validFor := cmd.FlagSet.Duration("valid", certs.Validity, "how long the certificate is valid")
	cmd.Details = []string{"The TLS servers (server-v2-tls, server-v4) and their clients use the default\n" +
		"place when given no path, so after certgen they need no flag; restart a\n" +
		"running server to use the new certificate."}
	cmd.Parse(os.Args[1:])
	switch {
	case *certFile == "" && defErr != nil:
		cmd.Fatal(cli.ExitUsage, defErr)
	case *keyFile == "" && *certFile == defCert:
		*keyFile = defKey
	case *keyFile == "":
		*keyFile = certs.KeyBeside(*certFile)
	}
	if err := certs.Generate(*certFile, *keyFile, *validFor); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	b, err := os.ReadFile(*certFile)
	if err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		cmd.Fatal(cli.ExitError, errors.New("the certificate just written does not read back"))
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
	fmt.Printf("wrote %s and %s\nSHA-256 fingerprint: %s\n", *certFile, *keyFile, certs.Fingerprint(block.Bytes))
}
