package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Secrets as platforms mount them. A *_FILE setting names a file holding
// one secret. Kubernetes mounts a Secret's keys as symlinks into a hidden
// directory of the same mount (key -> ..data/key -> ..2025_01_01_…/key),
// mode 0644 unless defaultMode says otherwise; Docker Swarm and Compose
// mount /run/secrets/NAME as a regular file, mode 0444 by default. So:
//
//   - a file that group or others may read is accepted, with a warning
//     naming the setting and the file (owner-only 0400/0600 is better);
//   - a file that group or others may write is refused: whoever can
//     write it can swap the key;
//   - a symlink is followed only within the directory that holds the
//     setting's path (the mount): a link out of it is refused, so a
//     secret mount cannot point the app at another file on the host;
//   - anything but a regular file is refused.
//
// Errors and warnings name the setting and the path, never the content.

// maxSecretFile bounds a secret file: a key or a URL, never a document.
const maxSecretFile = 64 << 10

// readSecretFile reads the secret file path for the setting name (such
// as HPP_API_KEY_FILE). warning is "" when the file is owner-only.
func readSecretFile(name, path string) (value, warning string, err error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", "", fmt.Errorf("%s: cannot read %s: %w", name, path, reason(err))
	}
	target := path
	if fi.Mode()&os.ModeSymlink != 0 {
		mount, err1 := filepath.EvalSymlinks(filepath.Dir(path))
		resolved, err2 := filepath.EvalSymlinks(path)
		if err := errors.Join(err1, err2); err != nil {
			return "", "", fmt.Errorf("%s: cannot resolve the symlink %s: %w", name, path, reason(err))
		}
		if rel, err := filepath.Rel(mount, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", "", fmt.Errorf("%s: %s is a symlink out of its directory (to %s); mount the secret itself", name, path, resolved)
		}
		target = resolved
	}
	fi, err = os.Stat(target)
	if err != nil {
		return "", "", fmt.Errorf("%s: cannot read %s: %w", name, path, reason(err))
	}
	perm := fi.Mode().Perm()
	switch {
	case !fi.Mode().IsRegular():
		return "", "", fmt.Errorf("%s: %s is not a regular file", name, path)
	case perm&0o022 != 0:
		return "", "", fmt.Errorf("%s: %s may be written by group or others (mode %04o); chmod go-w it", name, path, perm)
	case fi.Size() > maxSecretFile:
		return "", "", fmt.Errorf("%s: %s is larger than %d KiB; it should hold one secret", name, path, maxSecretFile>>10)
	}
	b, err := os.ReadFile(target)
	if err != nil {
		return "", "", fmt.Errorf("%s: cannot read %s: %w", name, path, reason(err))
	}
	if perm&0o044 != 0 {
		warning = fmt.Sprintf("%s: %s is readable by group or others (mode %04o); owner-only (0400 or 0600) is safer, e.g. defaultMode: 0400 in Kubernetes or mode: 0400 in Compose", name, path, perm)
	}
	return strings.TrimSpace(string(b)), warning, nil
}

// reason is a file error's cause without the path, which the messages
// above name themselves.
func reason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
