package stages

import "errors"

// Errors.
var (
	ErrUnknownStage = errors.New("unknown stage")
	ErrFlows        = errors.New("relayed connections do not match the sessions")
)
