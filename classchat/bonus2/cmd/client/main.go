// Command client-bonus2 is ClassChat bonus 2's client: direct messages,
// groups, and files (saved under downloads/).
package main

import (
	"chatlab/classchat/bonus1"
	"chatlab/classchat/bonus2"
	"chatlab/classchat/task4"
)

func main() {
	task4.ClientMain("client-bonus2", "ClassChat bonus 2 client: direct messages, groups and files.",
		"Type \"<user> <message>\", \"@group <message>\", \"/create g\", \"/join g\", \"/leave g\",\n"+
			"\"/groups\", \"/sendfile\" (or \"/sendfile <user> <path>\"), and exit to leave.\n"+
			"Received files are saved under downloads/ in the current directory.",
		task4.ClientConfig{
			Command:  bonus2.Command,
			Incoming: bonus2.Downloads{Dir: "downloads"}.Incoming,
			Describe: bonus1.Describe,
		})
}
