package ecslocal

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// groupRecords is the crash record of a process runtime: a directory of
// its own under the state directory, holding a file "owner" (the owner's
// String) and one empty file "<pgid>-<leader start>-<session>" per process
// group it runs. A runtime that starts removes the records of owners that are
// gone, killing what is left of their groups.
type groupRecords struct {
	dir string // "" when no records are kept
}

// openGroupRecords sweeps stateDir (default: defaultStateDir) and
// creates this runtime's record directory in it. The state directory must
// be this user's alone: the records say which processes to kill.
func openGroupRecords(stateDir string) (*groupRecords, error) {
	stateDir = cmp.Or(stateDir, defaultStateDir())
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if err := checkPrivate(stateDir); err != nil {
		return nil, err
	}
	sweepGroupRecords(stateDir)
	name := hex.EncodeToString(randomBytes(8))
	tmp := filepath.Join(stateDir, ".new-"+name)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	// The directory appears with its owner file, never without.
	dir := filepath.Join(stateDir, name)
	err := os.WriteFile(filepath.Join(tmp, "owner"), []byte(self().String()), 0o600)
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return &groupRecords{dir: dir}, nil
}

// sweepGroupRecords kills what is left of the process groups recorded by
// owners that are gone and removes their records.
func sweepGroupRecords(stateDir string) {
	entries, err := os.ReadDir(stateDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(stateDir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue
		}
		o, err := parseOwner(string(b))
		if err != nil || !o.gone() {
			continue
		}
		if o.boot == self().boot {
			killRecordedGroups(dir)
		}
		_ = os.RemoveAll(dir)
	}
}

// killRecordedGroups kills the leftovers of each group recorded in dir.
func killRecordedGroups(dir string) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if f := strings.Split(d.Name(), "-"); len(f) == 3 {
			if pgid, err := strconv.Atoi(f[0]); err == nil && pgid > 0 {
				killLeftoverGroup(pgid, f[1], f[2])
			}
		}
		return nil
	})
}

// add records a process group and returns the record's name ("" when
// none was kept).
func (r *groupRecords) add(pgid int) string {
	if r == nil || r.dir == "" {
		return ""
	}
	name := strconv.Itoa(pgid) + "-" + processStart(pgid) + "-" + processSession(pgid)
	if err := os.WriteFile(filepath.Join(r.dir, name), nil, 0o600); err != nil {
		return ""
	}
	return name
}

// remove drops a record once its group is gone.
func (r *groupRecords) remove(name string) {
	if r == nil || r.dir == "" || name == "" {
		return
	}
	_ = os.Remove(filepath.Join(r.dir, name))
}

// close removes the runtime's records: none of its groups is left.
func (r *groupRecords) close() error {
	if r == nil || r.dir == "" {
		return nil
	}
	if err := os.RemoveAll(r.dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ecslocal: removing the process records: %w", err)
	}
	return nil
}

// defaultStateDir is a directory of the user's on a memory file system
// when there is one ($XDG_RUNTIME_DIR, else /dev/shm), where a record
// costs microseconds and a reboot clears them all, else in os.TempDir().
func defaultStateDir() string {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "ecslocal")
	}
	name := "ecslocal-" + strconv.Itoa(os.Getuid())
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return filepath.Join("/dev/shm", name)
	}
	return filepath.Join(os.TempDir(), name)
}

// checkPrivate refuses a state directory that is a symbolic link, that
// another user owns or that others may write to.
func checkPrivate(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("state directory %s is not a directory", dir)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("state directory %s may be written by others (mode %v)", dir, fi.Mode().Perm())
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("state directory %s belongs to uid %d, not to this user", dir, st.Uid)
	}
	return nil
}
