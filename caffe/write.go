package caffe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path so that readers see either the old
// file or the complete new one: it writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory. Whether
// overwriting an input file is allowed is the caller's policy (see
// SameFile).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable only once the directory entry is on disk; some
	// file systems refuse to sync a directory, which is not worth failing for.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// SameFile reports whether out names an existing file that is one of the
// inputs (same inode, so hard links and different spellings count). Callers
// use it to refuse overwriting an input unless forced.
func SameFile(out string, inputs ...string) (bool, error) {
	oi, err := os.Stat(out)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		ii, err := os.Stat(in)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return false, fmt.Errorf("stat %s: %w", in, err)
		}
		if os.SameFile(oi, ii) {
			return true, nil
		}
	}
	return false, nil
}
