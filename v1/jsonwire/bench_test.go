package jsonwire

import (
	"testing"

	"chatlab/chat-v1/wiretest"
)

func BenchmarkAppendRoomMsg(b *testing.B) { wiretest.BenchmarkEncodeRoomMsg(b, Codec{}) }

func BenchmarkDecodeRoomMsg(b *testing.B) { wiretest.BenchmarkDecodeRoomMsg(b, Codec{}) }
