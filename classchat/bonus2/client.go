package bonus2

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"chatlab/classchat/bonus1"
	"chatlab/classchat/task4"
	"chatlab/shared/cli"
	"chatlab/shared/safetext"
)

// Command handles /sendfile (asking for the recipient and the path, as the
// original client does, or taking them on one line: /sendfile bob
// notes.pdf), and leaves the rest to bonus 1.
func Command(line string, s *task4.Session) (bool, error) {
	cmd, rest, _ := strings.Cut(line, " ")
	if cmd != "/sendfile" {
		return bonus1.Command(line, s)
	}
	to, file, _ := strings.Cut(strings.TrimSpace(rest), " ")
	var err error
	if to == "" {
		if to, err = s.Ask("Recipient username:"); err != nil {
			return true, nil
		}
	}
	if file = strings.TrimSpace(file); file == "" {
		if file, err = s.Ask("File path:"); err != nil {
			return true, nil
		}
	}
	req, err := ReadFile(s.Name(), to, file)
	if err != nil {
		s.Println("[ERROR] " + err.Error())
		return true, nil
	}
	amount, unit := task4.Size(req.FileData.Filesize, req.FileData.Filesize)
	s.Println(fmt.Sprintf("[FILE] Sending %s (%s %s) to %s...", req.FileData.Filename, amount, unit, to))
	return true, s.SendFile(req, req.FileData.Filesize)
}

// ClientHelp lists the commands of bonus 2's client beyond task 4's, for
// /help.
var ClientHelp = append(slices.Clone(bonus1.ClientHelp),
	"  /sendfile user path  send a file of at most 10 MiB (/sendfile alone asks for both)")

// ReadFile makes the request that sends the file at path to receiver,
// refusing one over the limit before reading it.
func ReadFile(sender, receiver, path string) (FileRequest, error) {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return FileRequest{}, fmt.Errorf("cannot send %s: %w", path, err)
	case !info.Mode().IsRegular():
		return FileRequest{}, fmt.Errorf("cannot send %s: not a regular file", path)
	case info.Size() > MaxFileBytes:
		return FileRequest{}, fmt.Errorf("%s is %d bytes; the limit is 10 MiB (%d bytes)", path, info.Size(), MaxFileBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return FileRequest{}, err
	}
	return FileRequest{Type: "file", Sender: sender, Receiver: receiver, FileData: FileData{
		Filename: filepath.Base(path), Filesize: int64(len(data)),
		Checksum: Checksum(data), Data: base64.StdEncoding.EncodeToString(data),
	}}, nil
}

// Downloads saves the files a client receives in Dir, or, if Dir is
// empty, in DefaultDir of the user's name.
type Downloads struct{ Dir string }

// DefaultDir is where the files user receives are saved unless told
// otherwise: ClassChat/<user> in the download folder ($XDG_DOWNLOAD_DIR,
// or Downloads in the home directory), where each user of the machine
// finds their own and nothing lands in the directory the client runs in
// (a clone of the repository, say).
func DefaultDir(user string) string {
	dir := os.Getenv("XDG_DOWNLOAD_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		dir = filepath.Join(home, "Downloads")
	}
	return filepath.Join(dir, "ClassChat", user)
}

// Incoming saves a file_transfer object; it leaves every other object to
// the display.
func (d Downloads) Incoming(raw []byte, s *task4.Session) bool {
	var t FileTransfer
	if json.Unmarshal(raw, &t) != nil || t.Status != "file_transfer" {
		return false
	}
	t.Sender = safetext.Clean(t.Sender) // shown in what follows
	when := ""
	if t.Timestamp != "" {
		when = " [" + safetext.Clean(t.Timestamp) + "]"
	}
	s.Println(fmt.Sprintf("[FILE RECEIVED] From %s%s: %s (%d bytes)", t.Sender, when, safetext.Clean(t.Filename), t.Filesize))
	if d.Dir == "" {
		d.Dir = DefaultDir(s.Name())
	}
	saved, err := d.Save(t)
	if err != nil {
		s.Println("[ERROR] " + err.Error())
		return true
	}
	s.Println("[FILE SAVED] " + saved)
	s.Println("[VERIFIED] Checksum OK")
	return true
}

// ErrChecksum is returned by Save for a file that does not match its
// checksum; nothing is kept.
var ErrChecksum = errors.New("does not match its checksum")

// Save writes the file of t under d.Dir, under its sanitised name
// (SafeName: its base name, shortened to MaxFileNameBytes, as our server
// already does, in case another did not) or, if that is taken,
// name_1.ext, name_2.ext, ...; it never overwrites. A file with no usable
// name (hidden, empty, with invisible characters), or that does not
// decode, exceeds the limit or fails its checksum, is not kept.
func (d Downloads) Save(t FileTransfer) (string, error) {
	name, problem := FileName(t.Filename)
	if name == "" {
		return "", fmt.Errorf("refused a file with the unusable name %+q: %s", t.Filename, problem)
	}
	data, err := base64.StdEncoding.DecodeString(t.Data)
	switch {
	case err != nil:
		return "", fmt.Errorf("file '%s' is not valid base64; not kept", name)
	case len(data) > MaxFileBytes:
		return "", fmt.Errorf("file '%s' is over the 10 MiB limit; not kept", name)
	case !strings.EqualFold(Checksum(data), t.Checksum):
		return "", fmt.Errorf("file '%s' from %s %w: it was damaged on the way and was not kept", name, t.Sender, ErrChecksum)
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return "", err
	}
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 0; ; i++ {
		candidate := name
		if i > 0 {
			candidate = fmt.Sprintf("%s_%d%s", base, i, ext)
		}
		p := filepath.Join(d.Dir, candidate)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(p)
			return "", err
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs // the user is told where it is
		}
		return p, f.Close()
	}
}

// DownloadsHelp is the --help paragraph on where received files go.
const DownloadsHelp = "Received files are saved in ~/Downloads/ClassChat/<your name>/ ($XDG_DOWNLOAD_DIR\n" +
	"instead of ~/Downloads if set), or in the folder --downloads gives; the client says where."

// DownloadsFlag adds the --downloads flag to a client's command line, and
// returns what sets the client's Incoming to save files where it says.
func DownloadsFlag(c *cli.Command) func(*task4.ClientConfig) {
	dir := c.FlagSet.String("downloads", "", "the folder received files are saved in (default ~/Downloads/ClassChat/<name>)")
	return func(cfg *task4.ClientConfig) { cfg.Incoming = Downloads{Dir: *dir}.Incoming }
}
