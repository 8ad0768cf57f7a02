// Command pcaps writes the lab kit's scripted chat session as capture
// files, one per stage (v2, v2-tls, v3, v4), to open in Wireshark or
// tshark: Ethernet, IPv4 and TCP as a tap on 127.0.0.1 would have seen
// them, one TCP stream per client connection. For the TLS stages it also
// writes the session keys (NSS key log) so that Wireshark can decrypt
// them. scripts/lab/wireshark/chatproto.lua decodes every ChatProto
// field, binary or JSON.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"chatlab/lab/capture"
	"chatlab/lab/stages"
	"chatlab/lab/workload"
	"chatlab/shared/cli"
)

// maxActions bounds -actions.
const maxActions = 1_000_000

// dissector is where the Wireshark dissector lives, from the repository's
// root.
const dissector = "scripts/lab/wireshark/chatproto.lua"

func main() {
	cmd := cli.NewCommand("pcaps", "[stage...]",
		"Write the scripted chat session as pcap captures, one per stage, to open in Wireshark.", 0, len(stages.All))
	out := cmd.FlagSet.String("out", "bin/lab/pcaps", "write STAGE.pcap (and STAGE.keys for TLS) into this directory")
	seed := cmd.FlagSet.Uint64("seed", workload.DefaultSeed, "seed of the PRNG that draws the session")
	actions := cmd.FlagSet.Int("actions", workload.DefaultActions, "actions drawn between the first log-ins and the last log-outs")
	cmd.Details = []string{
		"The stages are " + strings.Join(stages.Names(), ", ") + " (all of them by default). Each runs in this\n" +
			"process on 127.0.0.1; the captures show client ports 50001, 50002, ... talking\n" +
			"to port 5555, with virtual timestamps, so a plain stage's capture is the same\n" +
			"file on every run. Open one with the ChatProto dissector:\n" +
			"  tshark -X lua_script:" + dissector + " -r bin/lab/pcaps/v3.pcap\n" +
			"  tshark -X lua_script:" + dissector + " -o tls.keylog_file:bin/lab/pcaps/v4.keys -r bin/lab/pcaps/v4.pcap",
	}
	args := cmd.Parse(os.Args[1:])
	if *actions < 0 || *actions > maxActions {
		cmd.Fatal(cli.ExitUsage, fmt.Errorf("-actions must be from 0 to %d, not %d", maxActions, *actions))
	}
	chosen := stages.All
	if len(args) > 0 {
		chosen = nil
		for _, name := range args {
			st, err := stages.Lookup(name)
			if err != nil {
				cmd.Fatal(cli.ExitUsage, err)
			}
			chosen = append(chosen, st)
		}
	}
	if err := run(context.Background(), os.Stdout, *out, workload.Generate(*seed, *actions), chosen); err != nil {
		cmd.Fatal(cli.ExitError, err)
	}
}

func run(ctx context.Context, stdout io.Writer, out string, script workload.Script, chosen []stages.Stage) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("make the output directory: %w", err)
	}
	width := 0
	for _, st := range chosen {
		width = max(width, len(filepath.Join(out, st.Name+".pcap")))
	}
	for _, st := range chosen {
		path := filepath.Join(out, st.Name+".pcap")
		f, err := capture.WriteFile(ctx, st, script, path, filepath.Join(out, st.Name+".keys"))
		if err != nil {
			return fmt.Errorf("%s: %w", st.Name, err)
		}
		fmt.Fprintf(stdout, "%-*s  %-17s  %6d packets, %2d TCP streams, %7d bytes of TCP payload, %.1f s",
			width, path, st.Label(), f.Stats.Packets, f.Stats.Streams, f.Stats.Payload, f.Stats.Length.Seconds())
		if f.KeyLog != "" {
			fmt.Fprintf(stdout, "; TLS keys in %s", f.KeyLog)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "\nOpen one with the ChatProto dissector, for example:\n")
	fmt.Fprintf(stdout, "  tshark -X lua_script:%s -r %s\n", dissector, filepath.Join(out, "v3.pcap"))
	fmt.Fprintf(stdout, "  tshark -X lua_script:%s -o tls.keylog_file:%s -r %s\n", dissector,
		filepath.Join(out, "v4.keys"), filepath.Join(out, "v4.pcap"))
	return nil
}
