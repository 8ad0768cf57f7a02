package bonus3_test

import (
	"encoding/base64"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"chatlab/classchat/bonus1"
	"chatlab/shared/logging"
)

func quietLog() *slog.Logger { return logging.New(&strings.Builder{}, false) }

func bonusLimits(groups, created, joined int) bonus1.Limits {
	return bonus1.Limits{MaxGroups: groups, MaxCreated: created, MaxJoined: joined}
}

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

func osWrite(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

func osMkdir(path string) error { return os.Mkdir(path, 0o755) }

// damage overwrites the start of a database's page (counted from 1), as
// a bad disk or a stray write would.
func damage(t *testing.T, path string, page int64) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	info, err := f.Stat()
	require.NoError(t, err)
	require.Greater(t, info.Size(), (page+1)*4096, "a database of several pages")
	_, err = f.WriteAt([]byte(strings.Repeat("\xff\x00garbage", 200)), (page-1)*4096)
	require.NoError(t, err)
}

// readOnly makes path unwritable: by its mode or, for root, whom modes
// do not stop, by the immutable attribute (chattr +i), which stops root
// too. The test is skipped, saying why, where neither is possible.
func readOnly(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if os.Geteuid() != 0 {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.NoError(t, os.Chmod(path, mode))
		t.Cleanup(func() { os.Chmod(path, info.Mode().Perm()) })
		return
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsImmutable))
	}
	if err != nil {
		t.Skipf("running as root, where a mode does not stop writes, on a file system where the immutable attribute cannot be set (%v)", err)
	}
	t.Cleanup(func() {
		f, err := os.Open(path)
		if err == nil {
			unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags))
			f.Close()
		}
	})
}

// fsImmutable is FS_IMMUTABLE_FL of linux/fs.h (chattr +i).
const fsImmutable = 0x10
