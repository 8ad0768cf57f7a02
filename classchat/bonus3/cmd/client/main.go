// Command client-bonus3 is ClassChat bonus 3's client: direct messages,
// groups, files, and the messages kept while you were away.
package main

import (
	"chatlab/classchat/bonus2"
	"chatlab/classchat/bonus3"
	"chatlab/classchat/task4"
)

func main() {
	task4.ClientMainWith("client-bonus3", "ClassChat bonus 3 client: messages, groups, files, and offline messages.",
		"Type \"@user message\" (delivered later if the user is offline), \"#group message\",\n"+
			"\"/create g\", \"/join g\", \"/leave g\", \"/groups\", \"/sendfile\", /help for the commands,\n"+
			"and /quit (or exit) to leave. The client acknowledges each message kept for you once shown\n"+
			"(or saved): the server removes it only then.\n"+bonus2.DownloadsHelp,
		task4.ClientConfig{Command: bonus2.Command, Describe: bonus3.Describe, Help: bonus2.ClientHelp},
		bonus3.Flags)
}
