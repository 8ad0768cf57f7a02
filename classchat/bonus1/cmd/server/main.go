// Command server-bonus1 is ClassChat bonus 1's server: task 4 with groups.
package main

import (
	"chatlab/classchat/bonus1"
	"chatlab/classchat/internal/cc"
)

func main() {
	cc.RunServer("server-bonus1", "bonus 1",
		"ClassChat bonus 1 server: direct messages and groups (/create, /join, /leave, /groups, @group).",
		cc.DefaultFlow,
		bonus1.New,
		"The original Python bonus clients work with it unchanged. Stop it with Ctrl-C.")
}
