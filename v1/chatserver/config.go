package chatserver

import (
	"log/slog"
	"time"

	"chatlab/chat-v1/proto"
	"chatlab/shared/flow"
	"chatlab/shared/framing"
)

// DefaultMaxUsers is how many users may be logged in at once before
// LOGIN_REJECT server_full. It stays below the machine's limit of about
// 20 000 open files per process.
const DefaultMaxUsers = 16384

// Config sets up a chat server; zero fields take the defaults.
type Config struct {
	// Codec is the wire encoding. Required.
	Codec proto.Codec
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// MaxUsers bounds the users online (default DefaultMaxUsers).
	MaxUsers int
	// LoginTimeout closes a connection that has not logged in by then
	// (default proto.LoginTimeout).
	LoginTimeout time.Duration
	// FrameTimeout closes a connection whose message, once it has begun
	// to arrive, goes this long without a byte, or averages less than
	// FrameMinRate after its first FrameTimeout (framing.Limits; default
	// framing.DefaultFrameTimeout; negative: no limit). A connection idle
	// between messages has no time limit.
	FrameTimeout time.Duration
	// FrameMinRate is the least average rate of a message, in bytes a
	// second (default framing.DefaultMinRate).
	FrameMinRate int
	// ReadBudget bounds the bytes held in partly read messages, server-wide
	// (default framing.DefaultReadBudget; negative: no limit). A
	// connection whose message would go past it is closed.
	ReadBudget int64
	// Flow is each connection's inbound flow control: the session waits
	// for its allowance before it handles a message, and meanwhile reads
	// nothing more (nil: flow.Default; a zero Limit: none).
	Flow *flow.Limit
	// QueueBytes bounds each connection's outbound queue; a client that
	// lets it fill is cut off (default outbox.DefaultMaxBytes).
	QueueBytes int
	// WriteTimeout cuts off a client that takes longer than this to take
	// one write (default outbox.DefaultWriteTimeout).
	WriteTimeout time.Duration
	// Trace logs every frame received and sent (a broadcast once) at
	// logging.LevelTrace, as the codec describes it.
	Trace bool
	// NoticeBatch is the number of members above which a room gathers
	// its joins and leaves and announces them together, once every
	// NoticeInterval (default DefaultNoticeBatch; negative: never, each
	// is announced alone).
	NoticeBatch int
	// NoticeInterval is how long a big room gathers joins and leaves
	// before it announces them (default DefaultNoticeInterval).
	NoticeInterval time.Duration
	// OnBadInput decides how to answer a message that breaks the wire
	// protocol (see BadInputPolicy); nil is v1's policy, CloseOnBadInput.
	OnBadInput BadInputPolicy
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxUsers <= 0 {
		c.MaxUsers = DefaultMaxUsers
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = proto.LoginTimeout
	}
	if c.FrameTimeout == 0 {
		c.FrameTimeout = framing.DefaultFrameTimeout
	}
	if c.FrameMinRate <= 0 {
		c.FrameMinRate = framing.DefaultMinRate
	}
	if c.ReadBudget == 0 {
		c.ReadBudget = framing.DefaultReadBudget
	}
	if c.Flow == nil {
		l := flow.Default
		c.Flow = &l
	}
	if c.NoticeBatch == 0 {
		c.NoticeBatch = DefaultNoticeBatch
	}
	if c.NoticeInterval <= 0 {
		c.NoticeInterval = DefaultNoticeInterval
	}
	if c.OnBadInput == nil {
		c.OnBadInput = CloseOnBadInput
	}
}

// BadInputPolicy answers a protocol error a client made: the ERROR_MSG to
// send, and whether to close the connection after it. err is the decoder's
// *proto.Error, or one the server made for a message sent before LOGIN
// (code not_logged_in).
type BadInputPolicy func(err *proto.Error) (reply proto.Message, closeConn bool)

// CloseOnBadInput is v1's policy: answer with the error's code and close
// the connection, whatever the error. docs/protocol.md (§1.1, §3) allows
// v1 this; v2 teaches better.
func CloseOnBadInput(err *proto.Error) (proto.Message, bool) {
	return proto.Message{Kind: proto.KindErrorMsg, Code: err.Code, Text: err.Detail}, true
}
