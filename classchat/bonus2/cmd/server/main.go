// Command server-bonus2 is ClassChat bonus 2's server: groups and files.
package main

import (
	"chatlab/classchat/bonus2"
	"chatlab/classchat/internal/cc"
)

func main() {
	cc.RunServer("server-bonus2", "bonus 2",
		"ClassChat bonus 2 server: direct messages, groups, and files up to 10 MiB.",
		cc.FileFlow,
		bonus2.New,
		"The original Python bonus clients work with it unchanged. Stop it with Ctrl-C.")
}
