package chatclient

import (
	"errors"
	"fmt"

	"chatlab/chat-v1/proto"
)

var (
	// ErrServerClosed is returned when the server ends the session.
	ErrServerClosed = errors.New("the server closed the connection")
	// ErrNoLoginReply is returned when the server says nothing, or
	// something other than LOGIN_ACK or LOGIN_REJECT, after LOGIN.
	ErrNoLoginReply = errors.New("no log-in reply from the server")
)

// RejectError is returned when the server refuses the log-in and the
// client does not (or cannot) ask for another name.
type RejectError struct {
	Username string
	Reason   proto.RejectReason
	Text     string
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("log-in as %q refused: %s (%s)", e.Username, e.Text, e.Reason)
}

// InvalidError is returned (for LOGIN) or shown (for other messages) when
// Config.Validate refuses a message: nothing was sent.
type InvalidError struct {
	Kind    proto.Kind
	Problem string
}

func (e *InvalidError) Error() string { return e.Problem }
