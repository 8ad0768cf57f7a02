package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"

	"chatlab/lab/stages"
	"chatlab/lab/workload"
)

// File is a capture written to disk.
type File struct {
	Stage  string
	Path   string
	KeyLog string // the TLS key log beside it, or ""
	Stats  Stats
}

// WriteFile runs script against stage st and writes the capture to path.
// For a TLS stage it also writes keyLogPath: every session's TLS secrets
// in NSS key log format, which lets Wireshark decrypt the capture
// (tshark -o tls.keylog_file:PATH).
func WriteFile(ctx context.Context, st stages.Stage, script workload.Script, path, keyLogPath string) (file File, err error) {
	file = File{Stage: st.Name, Path: path}
	opts := stages.Options{}
	if st.TLS {
		kl, err := os.Create(keyLogPath)
		if err != nil {
			return file, fmt.Errorf("key log: %w", err)
		}
		defer func() { err = errors.Join(err, kl.Close()) }()
		opts.KeyLog = kl
		file.KeyLog = keyLogPath
	}
	rec, err := stages.Run(ctx, st, script, opts)
	if err != nil {
		return file, err
	}
	f, err := os.Create(path)
	if err != nil {
		return file, fmt.Errorf("capture: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	bw := bufio.NewWriter(f)
	if file.Stats, err = Write(bw, rec); err != nil {
		return file, err
	}
	if err := bw.Flush(); err != nil {
		return file, fmt.Errorf("capture: %w", err)
	}
	return file, nil
}
