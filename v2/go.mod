module chatlab/chat-v2

go 1.26.0

require (
	chatlab/chat-v1 v0.0.0
	chatlab/shared v0.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/mattn/go-runewidth v0.0.31 // indirect
	github.com/peterh/liner v1.2.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
)

replace (
	chatlab/chat-v1 => ../v1
	chatlab/shared => ../shared
)
