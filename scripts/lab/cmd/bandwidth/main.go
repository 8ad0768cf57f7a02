// Command bandwidth reproduces the course project's bandwidth comparison:
// one scripted five-user chat session, the same every run, against v2
// (JSON), v2-tls (JSON over TLS), v3 (binary) and v4 (binary over TLS),
// with the TCP payload of each counted in both directions. It prints the
// seed's table with the seed's figures beside ChatLab's, the size of every
// message kind in both encodings, and what TLS adds; and writes the same
// as bandwidth.json and bandwidth.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"chatlab/lab/bandwidth"
	"chatlab/lab/stages"
	"chatlab/lab/workload"
	"chatlab/shared/cli"
)

// maxActions bounds -actions: a session of a few minutes' worth of chat
// is the point, not a load test.
const maxActions = 1_000_000

func main() {
	cmd := cli.NewCommand("bandwidth", "",
		"Run one scripted chat session against v2, v2-tls, v3 and v4 and compare the bytes each puts on the wire.", 0, 0)
	out := cmd.FlagSet.String("out", "bin/lab", "write bandwidth.json and bandwidth.md into this directory (\"\" writes no files)")
	seed := cmd.FlagSet.Uint64("seed", workload.DefaultSeed, "seed of the PRNG that draws the session")
	actions := cmd.FlagSet.Int("actions", workload.DefaultActions, "actions drawn between the first log-ins and the last log-outs")
	asJSON := cmd.FlagSet.Bool("json", false, "print the report as JSON instead of tables")
	cmd.Details = []string{
		"Every stage's server runs in this process on 127.0.0.1, and every byte is counted\n" +
			"by a relay between the clients and the server. The same seed and -actions give\n" +
			"the same figures on every run; docs/bandwidth.md explains them.",
	}
	cmd.Parse(os.Args[1:])
	if *actions < 0 || *actions > maxActions {
		cmd.Fatal(cli.ExitUsage, fmt.Errorf("-actions must be from 0 to %d, not %d", maxActions, *actions))
	}
	if err := run(context.Background(), os.Stdout, *out, *seed, *actions, *asJSON); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
}

func run(ctx context.Context, stdout io.Writer, out string, seed uint64, actions int, asJSON bool) error {
	r, err := bandwidth.Measure(ctx, workload.Generate(seed, actions), stages.Options{})
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	if asJSON {
		if _, err := stdout.Write(js); err != nil {
			return err
		}
	} else if err := r.Write(stdout); err != nil {
		return err
	}
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("make the output directory: %w", err)
	}
	md := "# ChatProto bandwidth\n\n" + r.Markdown()
	for name, data := range map[string][]byte{"bandwidth.json": js, "bandwidth.md": []byte(md)} {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return fmt.Errorf("write the result: %w", err)
		}
	}
	if !asJSON {
		fmt.Fprintf(stdout, "\nwrote %s and %s\n", filepath.Join(out, "bandwidth.json"), filepath.Join(out, "bandwidth.md"))
	}
	return nil
}
