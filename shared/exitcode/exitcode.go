// Package exitcode holds the exit statuses of every ChatLab client: one
// number for each class of problem, the same for the same event in every
// client (v2's troubleshooting table lists them with their causes).
package exitcode

// Exit statuses. The numbers are part of the clients' interface (scripts
// test them): never renumber.
const (
	OK             = 0  // the user quit, or the input ended
	Other          = 1  // an unexpected error
	Usage          = 2  // bad arguments
	NameTaken      = 3  // the server refused the name: someone has it
	NameInvalid    = 4  // the server refused the name: it breaks the rules
	ServerFull     = 5  // the server refused the log-in: it is full
	HostNotFound   = 10 // the host name does not resolve
	Refused        = 11 // nothing listens at the address
	ConnectTimeout = 12 // the connection was not accepted in time
	LoginTimeout   = 13 // connected, but the log-in was never answered
	ConnectionLost = 14 // the server closed or reset the connection
	WrongProtocol  = 15 // the server speaks another protocol
	TLS            = 16 // the TLS handshake failed
)
