module chatlab/chat-v3

go 1.26.0

require chatlab/chat-v1 v0.0.0

replace (
	chatlab/chat-v1 => ../v1
	chatlab/chat-v2 => ../v2
	chatlab/shared => ../shared
)
