// Command certgen writes a new self-signed certificate and key for the
// TLS stages (localhost, 127.0.0.1, ::1), replacing any there: `make
// certs` runs it.
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
	certFile := cmd.FlagSet.String("cert", certs.DefaultCertFile, "where to write the certificate")
	keyFile := cmd.FlagSet.String("key", certs.DefaultKeyFile, "where to write the private key (mode 0600)")
	validFor := cmd.FlagSet.Duration("valid", certs.Validity, "how long the certificate is valid")
	cmd.Parse(os.Args[1:])
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
