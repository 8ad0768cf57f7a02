// Package bonus2 is ClassChat's second bonus: file transfer. On top of
// bonus 1 (groups, direct messages), a user sends a file to another: the
// client reads it, base64-encodes it into a JSON object with its name,
// size and SHA-256, and the server forwards it; the receiving client
// checks the checksum and saves the file in its download folder.
//
// Where the original failed, this one does not: files up to the 10 MiB
// limit arrive whole (the original parsed one recv() as the whole file's
// message, so larger files never arrived); the limit is enforced by the
// server too, which reads at most the limit plus the JSON overhead before
// refusing; a received name cannot escape the download folder, hide, hold
// invisible characters, be too long to save, or overwrite anything; and a
// file whose checksum does not match is not kept.
package bonus2

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"maps"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/internal/cc"
	"chatlab/classchat/task4"
	"chatlab/shared/outbox"
	"chatlab/shared/safetext"
	"chatlab/shared/server"
)

// Limits and texts.
const (
	MaxFileBytes = 10 << 20
	// MaxFileNameBytes bounds a file name, in bytes of UTF-8: the server
	// shortens a longer one before forwarding it (ShortenFileName), and
	// our client shortens one it receives before saving it. Linux takes
	// 255 bytes (NAME_MAX), and both our client and the original add
	// "_1", "_2", … to a name that is taken: 100 leaves room for that and
	// for a download folder on a file system with a smaller limit, so
	// every client can save every file the server forwards.
	MaxFileNameBytes = 100
	// maxKeptExt is the longest extension, its dot included, a shortened
	// name keeps; a longer one is cut with the rest of the name.
	maxKeptExt = 16
	Welcome    = "Welcome %s! ClassChat with Group Chat + File Transfer."
)

// MaxObject bounds one object from a client: a whole file, base64, and
// room for the rest of the object.
var MaxObject = base64.StdEncoding.EncodedLen(MaxFileBytes) + 64<<10

// Commands is the help sent after the welcome: bonus 1's and /sendfile.
var Commands = func() map[string]string {
	c := maps.Clone(bonus1.Commands)
	c["Send file"] = "Use /sendfile username filepath"
	return c
}()

// FileData is the file part of a request.
type FileData struct {
	Filename string `json:"filename"`
	Filesize int64  `json:"filesize"`
	Checksum string `json:"checksum"` // SHA-256, hex
	Data     string `json:"data"`     // base64
}

// FileRequest is a client's file, as the original client sends it.
type FileRequest struct {
	Type     string   `json:"type"` // "file"
	Sender   string   `json:"sender"`
	Receiver string   `json:"receiver"`
	FileData FileData `json:"file_data"`
}

// FileTransfer is a file as its receiver gets it.
type FileTransfer struct {
	Status    string `json:"status"` // "file_transfer"
	Sender    string `json:"sender"`
	Filename  string `json:"filename"`
	Filesize  int64  `json:"filesize"`
	Checksum  string `json:"checksum"`
	Data      string `json:"data"`
	Timestamp string `json:"timestamp,omitempty"` // offline delivery (bonus 3)
}

// Encode returns t as one line.
func (t FileTransfer) Encode() []byte {
	b, _ := json.Marshal(t)
	return append(b, '\n')
}

// New returns a bonus 2 server.
func New(log *slog.Logger) *server.Server {
	srv, _ := NewFiles(log, task4.Options{Welcome: Welcome}, Commands, false)
	return srv
}

// NewFiles returns a server with groups and files, built on task 4 with
// opts (a later bonus adds its own: bonus 3 holds messages) and the
// arguments of bonus1.NewGroups, and the group registry.
func NewFiles(log *slog.Logger, opts task4.Options, commands map[string]string, keepAbsent bool) (*server.Server, *bonus1.Groups) {
	var reg *task4.Registry
	opts.MaxObject = MaxObject
	opts.TooLarge = "That message is over the limit: a file is at most 10 MiB. Disconnecting..."
	opts.QueueBytes = 2 * MaxObject
	opts.Flow = &cc.FileFlow
	next := opts.Handle
	opts.Handle = func(name string, req task4.Request, raw []byte, out *outbox.Outbox) bool {
		if req.Type != "file" {
			return next != nil && next(name, req, raw, out)
		}
		out.Send(Send(reg, name, req.Receiver, raw).Encode())
		return true
	}
	srv, groups := bonus1.NewGroups(log, opts, commands, keepAbsent)
	reg = groups.Registry()
	return srv, groups
}

// Send checks a file request from name and delivers the file to
// receiver, or holds it if the server holds messages for absent users,
// and returns the answer for the sender.
func Send(reg *task4.Registry, name, receiver string, raw []byte) task4.Reply {
	reply, t := Check(name, raw)
	if t == nil {
		return reply
	}
	if strings.HasPrefix(receiver, "@") {
		return task4.Notice(task4.StatusError, "Files go to one user, not to a group: send '%s' to each member of '%s'", t.Filename, receiver[1:])
	}
	if task4.CheckName(receiver) != "" {
		return task4.Notice(task4.StatusError, "User '%s' is not connected.", receiver)
	}
	switch outcome, err := reg.DeliverOrHold(receiver, t.Encode()); outcome {
	case task4.Delivered:
		return task4.Notice(task4.StatusSuccess, "File '%s' sent to %s", t.Filename, receiver)
	case task4.Held:
		return task4.Notice(task4.StatusSuccess, "File '%s' queued for %s (offline)", t.Filename, receiver)
	case task4.HoldFailed:
		return task4.Notice(task4.StatusError, "File '%s' not queued for %s: %v", t.Filename, receiver, err)
	}
	return task4.Notice(task4.StatusError, "User '%s' is not connected.", receiver)
}

// Check validates a file request from name and returns the transfer to
// forward, or the error to answer with. The file must decode, be within
// the limit, match its size and checksum, and have a usable name, which
// is forwarded shortened to MaxFileNameBytes if longer.
func Check(name string, raw []byte) (task4.Reply, *FileTransfer) {
	var req FileRequest
	if json.Unmarshal(raw, &req) != nil {
		return task4.Notice(task4.StatusError, task4.InvalidFormat), nil
	}
	f := req.FileData
	fname, problem := FileName(f.Filename)
	if fname == "" {
		return task4.Notice(task4.StatusError, "Invalid file name '%s': %s", f.Filename, problem), nil
	}
	if base64.StdEncoding.DecodedLen(len(f.Data)) > MaxFileBytes+2 {
		return task4.Notice(task4.StatusError, "File '%s' is too large: the limit is 10 MiB (%d bytes)", fname, MaxFileBytes), nil
	}
	data, err := base64.StdEncoding.DecodeString(f.Data)
	switch {
	case err != nil:
		return task4.Notice(task4.StatusError, "File '%s' is not valid base64", fname), nil
	case len(data) > MaxFileBytes:
		return task4.Notice(task4.StatusError, "File '%s' is too large: the limit is 10 MiB (%d bytes)", fname, MaxFileBytes), nil
	case int64(len(data)) != f.Filesize:
		return task4.Notice(task4.StatusError, "File '%s' says %d bytes but holds %d", fname, f.Filesize, len(data)), nil
	case !strings.EqualFold(Checksum(data), f.Checksum):
		return task4.Notice(task4.StatusError, "File '%s' does not match its checksum: it was damaged on the way, and not delivered", fname), nil
	}
	return task4.Reply{}, &FileTransfer{Status: "file_transfer", Sender: name, Filename: fname,
		Filesize: f.Filesize, Checksum: strings.ToLower(f.Checksum), Data: f.Data}
}

// Checksum is the hex SHA-256 of data.
func Checksum(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// SafeName reduces a received file name to a plain base name of at most
// MaxFileNameBytes, or "" if nothing usable is left (see FileName).
func SafeName(name string) string {
	name, _ = FileName(name)
	return name
}

// FileName reduces a file name a client sent to the name the server
// forwards and a client saves: its base name (either slash separates
// directories), shortened to MaxFileNameBytes if longer (see
// ShortenFileName). It returns "" and what is wrong, for the sender, if
// nothing usable is left: an empty or hidden name, or one with a control
// or invisible character (safetext.Invisible: `invoice\u202etxt.exe`,
// which a right-to-left override shows as `invoiceexe.txt`).
func FileName(name string) (string, string) {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(path.Clean("/" + name))
	name = filepath.Base(name)
	switch {
	case name == "/" || name == "." || name == "..":
		return "", "a file name cannot be empty"
	case strings.HasPrefix(name, "."):
		return "", "a file name cannot start with '.'"
	case strings.ContainsFunc(name, safetext.Invisible):
		return "", "a file name cannot contain invisible or control characters"
	}
	return ShortenFileName(name), ""
}

// ShortenFileName returns name cut to at most MaxFileNameBytes bytes, at
// a character boundary, keeping its extension if that is at most
// maxKeptExt bytes: a 300-character name.pdf keeps ".pdf". A name within
// the limit is returned as it is.
func ShortenFileName(name string) string {
	if len(name) <= MaxFileNameBytes {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > maxKeptExt || len(ext) == len(name) {
		ext = ""
	}
	base := name[:len(name)-len(ext)]
	cut := MaxFileNameBytes - len(ext)
	for cut > 0 && !utf8.RuneStart(base[cut]) {
		cut--
	}
	return base[:cut] + ext
}
