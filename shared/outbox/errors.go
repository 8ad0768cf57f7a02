package outbox

import "errors"

var (
	// ErrClosed is returned by Send after the outbox was closed.
	ErrClosed = errors.New("outbox closed")
	// ErrSlowConsumer is the reason an outbox gives when it cut its
	// connection off because the peer did not read fast enough to keep the
	// queue within its bound.
	ErrSlowConsumer = errors.New("slow consumer: outbound queue full")
)
