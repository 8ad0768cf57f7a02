package proto

import "fmt"

// RejectReason says why a LOGIN was refused.
type RejectReason uint8

// LOGIN_REJECT reasons.
const (
	ReasonNameTaken   RejectReason = 1
	ReasonNameInvalid RejectReason = 2
	ReasonServerFull  RejectReason = 3
)

// DeliveryStatus is the outcome of a PRIVATE_MSG.
type DeliveryStatus uint8

// PRIVATE_MSG_DELIVERY statuses.
const (
	StatusDelivered  DeliveryStatus = 0
	StatusNoSuchUser DeliveryStatus = 1
)

// ErrorCode is the code of an ERROR_MSG.
type ErrorCode uint8

// ERROR_MSG codes.
const (
	CodeMalformed       ErrorCode = 1
	CodeUnsupported     ErrorCode = 2
	CodeNotLoggedIn     ErrorCode = 3
	CodeAlreadyLoggedIn ErrorCode = 4
	CodeNameInvalid     ErrorCode = 5
	CodeTooLong         ErrorCode = 6
	CodeEmpty           ErrorCode = 7
)

var (
	reasonNames = map[RejectReason]string{
		ReasonNameTaken:   "name_taken",
		ReasonNameInvalid: "name_invalid",
		ReasonServerFull:  "server_full",
	}
	statusNames = map[DeliveryStatus]string{
		StatusDelivered:  "delivered",
		StatusNoSuchUser: "no_such_user",
	}
	codeNames = map[ErrorCode]string{
		CodeMalformed:       "malformed",
		CodeUnsupported:     "unsupported",
		CodeNotLoggedIn:     "not_logged_in",
		CodeAlreadyLoggedIn: "already_logged_in",
		CodeNameInvalid:     "name_invalid",
		CodeTooLong:         "too_long",
		CodeEmpty:           "empty",
	}
)

// String is the reason's wire name ("name_taken").
func (r RejectReason) String() string { return enumName(reasonNames, r) }

// Valid reports whether r is one of the reasons of docs/protocol.md §2.
func (r RejectReason) Valid() bool { _, ok := reasonNames[r]; return ok }

// String is the status's wire name ("delivered").
func (s DeliveryStatus) String() string { return enumName(statusNames, s) }

// Valid reports whether s is one of the statuses of docs/protocol.md §2.
func (s DeliveryStatus) Valid() bool { _, ok := statusNames[s]; return ok }

// String is the code's wire name ("not_logged_in").
func (c ErrorCode) String() string { return enumName(codeNames, c) }

// Valid reports whether c is one of the codes of docs/protocol.md §2.
func (c ErrorCode) Valid() bool { _, ok := codeNames[c]; return ok }

// ParseRejectReason returns the reason with the given wire name.
func ParseRejectReason(name string) (RejectReason, bool) { return enumByName(reasonNames, name) }

// ParseDeliveryStatus returns the status with the given wire name.
func ParseDeliveryStatus(name string) (DeliveryStatus, bool) { return enumByName(statusNames, name) }

// ParseErrorCode returns the code with the given wire name.
func ParseErrorCode(name string) (ErrorCode, bool) { return enumByName(codeNames, name) }

func enumName[E ~uint8](names map[E]string, e E) string {
	if n, ok := names[e]; ok {
		return n
	}
	return fmt.Sprintf("unknown(%d)", uint8(e))
}

func enumByName[E ~uint8](names map[E]string, name string) (E, bool) {
	for e, n := range names {
		if n == name {
			return e, true
		}
	}
	return 0, false
}
