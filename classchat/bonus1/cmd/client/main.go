// Command client-bonus1 is ClassChat bonus 1's client: direct messages
// and groups.
package main

import (
	"chatlab/classchat/bonus1"
	"chatlab/classchat/task4"
)

func main() {
	task4.ClientMain("client-bonus1", "ClassChat bonus 1 client: direct messages and groups.",
		"Type \"<user> <message>\" for a direct message, \"@group <message>\" for a group,\n"+
			"\"/create g\", \"/join g\", \"/leave g\", \"/groups\", and exit to leave.",
		task4.ClientConfig{Command: bonus1.Command, Describe: bonus1.Describe})
}
