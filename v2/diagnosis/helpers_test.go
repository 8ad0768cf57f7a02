package diagnosis_test

import (
	"chatlab/chat-v1/jsonwire"
	"chatlab/chat-v1/wiretest"
)

var chattestCodec = wiretest.Codec(jsonwire.Codec{})
