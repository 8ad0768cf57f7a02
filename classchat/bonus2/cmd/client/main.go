// Command client-bonus2 is ClassChat bonus 2's client: direct messages,
// groups, and files (saved under ~/Downloads/ClassChat/<name>/ unless
// --downloads says otherwise).
package main

import (
	"chatlab/classchat/bonus1"
	"chatlab/classchat/bonus2"
	"chatlab/classchat/task4"
)

func main() {
	task4.ClientMainWith("client-bonus2", "ClassChat bonus 2 client: direct messages, groups and files.",
		"Type \"@user message\", \"#group message\", \"/create g\", \"/join g\", \"/leave g\", \"/groups\",\n"+
			"\"/sendfile\" (or \"/sendfile user path\"), /help for the commands, and /quit (or exit) to leave.\n"+
			bonus2.DownloadsHelp,
		task4.ClientConfig{Command: bonus2.Command, Describe: bonus1.Describe, Help: bonus2.ClientHelp},
		bonus2.DownloadsFlag)
}
