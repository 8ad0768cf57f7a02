// Command client-bonus3 is ClassChat bonus 3's client: direct messages,
// groups, files, and the messages kept while you were away.
package main

import (
	"chatlab/classchat/bonus2"
	"chatlab/classchat/bonus3"
	"chatlab/classchat/task4"
)

func main() {
	task4.ClientMain("client-bonus3", "ClassChat bonus 3 client: messages, groups, files, and offline messages.",
		"Type \"<user> <message>\" (delivered later if the user is offline), \"@group <message>\",\n"+
			"\"/create g\", \"/join g\", \"/leave g\", \"/groups\", \"/sendfile\", and exit to leave.\n"+
			"Received files are saved under downloads/ in the current directory.",
		task4.ClientConfig{
			Command:  bonus2.Command,
			Incoming: bonus2.Downloads{Dir: "downloads"}.Incoming,
			Describe: bonus3.Describe,
		})
}
