// Package blob stores immutable, content-addressed byte blobs (such as KYC documents) durably.
//
// A Store derives each blob's key from the SHA-256 of its content, so storing the same bytes twice
// yields the same key, and content once stored is never overwritten. Dir is the filesystem
// implementation.
package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Ref identifies stored bytes.
type Ref struct {
	// Key locates the blob in its Store: "sha256/" + SHA256[0:2] + "/" + SHA256.
	Key string
	// SHA256 is the lowercase hex SHA-256 of the content.
	SHA256 string
	// Size is the length of the content in bytes.
	Size int64
}

// Store keeps blobs. Implementations are safe for concurrent use.
type Store interface {
	// Put stores b and returns its Ref. Stores are content-addressed: the key is derived from the
	// SHA-256, so the same bytes give the same key and existing content is never overwritten.
	Put(ctx context.Context, b []byte) (Ref, error)
	// Open returns the content of key; ErrNotFound if absent. The returned reader verifies nothing;
	// callers may.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// ErrNotFound reports that no blob is stored under a key.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidKey reports a key that is not of the form a Store hands out. Errors that wrap it also wrap
// ErrNotFound, since no blob can exist under such a key.
var ErrInvalidKey = errors.New("blob: invalid key")

// ErrCorrupt reports stored content that does not match its key.
var ErrCorrupt = errors.New("blob: stored content does not match its key")

const (
	dirPerm  fs.FileMode = 0o750
	filePerm fs.FileMode = 0o640
	// keyPrefix starts every key Dir hands out; it is also the top directory under the root.
	keyPrefix = "sha256/"
	// tempPrefix starts the names of temporary files; a file so named that outlives its Put (after a
	// crash) holds no committed blob and may be removed.
	tempPrefix = ".tmp-"
)

// Dir is a Store in a directory of the local filesystem. The blob with key k is the file root/k.
//
// Put is durable and crash-safe: content is written to a temporary file in the target directory,
// synced, then hard-linked into place, which fails rather than replace an existing file (so a stored
// blob is never overwritten), and the directory is synced. On a filesystem without hard links Put
// falls back to checking for the file and renaming, whose narrow race can at worst replace a blob
// with the same bytes. After a crash a blob is either wholly present or absent; at worst a temporary
// file named ".tmp-*" is left behind.
//
// A Dir is safe for concurrent use, also by several processes sharing the root.
type Dir struct {
	root string
	// link is os.Link; tests replace it to exercise filesystems without hard links.
	link func(oldname, newname string) error
}

var _ Store = (*Dir)(nil)

// NewDir returns a Dir storing blobs under root, creating root (mode 0o750) if needed.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("blob: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blob: root %q: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(abs, dirPerm); err != nil {
			return nil, fmt.Errorf("blob: create root: %w", err)
		}
		if err := syncDir(filepath.Dir(abs)); err != nil {
			return nil, err
		}
		fi, err = os.Stat(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("blob: root %s is not a directory", abs)
	}
	return &Dir{root: abs, link: os.Link}, nil
}

// Put stores b under "sha256/<hex[0:2]>/<hex>" and returns its Ref. If the blob is already stored it
// is kept as is (after checking its size) and the same Ref is returned. Empty content is allowed.
func (d *Dir) Put(ctx context.Context, b []byte) (Ref, error) {
	if err := ctx.Err(); err != nil {
		return Ref{}, err
	}
	sum := sha256.Sum256(b)
	ref := Ref{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}
	ref.Key = keyPrefix + ref.SHA256[:2] + "/" + ref.SHA256
	dir := filepath.Join(d.root, keyPrefix, ref.SHA256[:2])
	target := filepath.Join(dir, ref.SHA256)

	if err := d.ensureDir(dir); err != nil {
		return Ref{}, err
	}
	// Fast path: already stored. The directory is still synced, since a concurrent Put may have
	// linked the file without having synced the directory yet.
	if err := checkExisting(target, ref); err == nil {
		return ref, syncDir(dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Ref{}, err
	}

	tmp, err := writeTemp(dir, ref.SHA256, b)
	if err != nil {
		return Ref{}, err
	}
	// Once the blob is committed, dropping the temporary name is housekeeping: a failure (or a crash
	// before the directory sync below) leaves only a stray ".tmp-*" file, so it is not reported.
	defer os.Remove(tmp)

	// A hard link, unlike rename, fails rather than replacing an existing target: the no-overwrite
	// commit is atomic, and concurrent Puts of the same content are safe.
	switch err := d.link(tmp, target); {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		if err := checkExisting(target, ref); err != nil {
			return Ref{}, err
		}
	default:
		// Filesystems without hard links: rename unless the target exists. The window between the
		// check and the rename can at worst replace a blob with the very same synced bytes.
		if err := checkExisting(target, ref); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return Ref{}, err
		}
		if err := os.Rename(tmp, target); err != nil {
			return Ref{}, fmt.Errorf("blob: commit %s: %w", ref.Key, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return Ref{}, err
	}
	return ref, nil
}

// Open returns the content of key. It returns an error wrapping ErrNotFound if no blob is stored
// under key, and one wrapping ErrInvalidKey (which also matches ErrNotFound) if key is not of the
// form Put returns, so no key can reach outside the root. The reader verifies nothing; see Verify.
func (d *Dir) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, ok := parseKey(key); !ok {
		return nil, invalidKey(key)
	}
	f, err := os.Open(filepath.Join(d.root, filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("blob: open %s: not a regular file", key)
	}
	return f, nil
}

// Verify re-reads the blob stored under key and checks that its SHA-256 matches the key. It returns
// nil if it does, an error wrapping ErrCorrupt if it does not, and one wrapping ErrNotFound if there
// is no such blob.
func (d *Dir) Verify(ctx context.Context, key string) error {
	want, ok := parseKey(key)
	if !ok {
		return invalidKey(key)
	}
	rc, err := d.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := copyContext(ctx, h, rc); err != nil {
		return fmt.Errorf("blob: verify %s: %w", key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s hashes to %s", ErrCorrupt, key, got)
	}
	return nil
}

// invalidKey returns the error for a malformed key, wrapping both ErrInvalidKey and ErrNotFound.
func invalidKey(key string) error {
	return fmt.Errorf("%w %q: %w", ErrInvalidKey, key, ErrNotFound)
}

// parseKey returns the hex digest of a well-formed key: "sha256/" + hex[0:2] + "/" + hex, with hex
// 64 lowercase hexadecimal digits.
func parseKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	if !ok || len(rest) != 2+1+sha256.Size*2 || rest[2] != '/' {
		return "", false
	}
	sum := rest[3:]
	if rest[:2] != sum[:2] {
		return "", false
	}
	for i := range len(sum) {
		if c := sum[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return sum, true
}

// ensureDir creates dir and its parents up to the root if missing, syncing the parent of each so the
// new entries survive a crash.
func (d *Dir) ensureDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("blob: create directory: %w", err)
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if err := syncDir(p); err != nil {
			return err
		}
		if p == d.root || p == filepath.Dir(p) {
			return nil
		}
	}
}

// checkExisting returns nil if target is a regular file of ref's size, an error wrapping
// fs.ErrNotExist if there is no target, and another error otherwise.
func checkExisting(target string, ref Ref) error {
	fi, err := os.Lstat(target)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return fmt.Errorf("blob: stat %s: %w", ref.Key, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, ref.Key)
	}
	if fi.Size() != ref.Size {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrCorrupt, ref.Key, fi.Size(), ref.Size)
	}
	return nil
}

// writeTemp writes b to a new, synced temporary file in dir with mode 0o640 and returns its path.
func writeTemp(dir, sum string, b []byte) (path string, err error) {
	f, err := os.CreateTemp(dir, tempPrefix+sum[:16]+"-*")
	if err != nil {
		return "", fmt.Errorf("blob: create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(filePerm); err != nil {
		return "", fmt.Errorf("blob: chmod temporary file: %w", err)
	}
	if _, err := io.Copy(f, bytes.NewReader(b)); err != nil {
		return "", fmt.Errorf("blob: write temporary file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("blob: sync temporary file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("blob: close temporary file: %w", err)
	}
	return f.Name(), nil
}

// syncDir fsyncs a directory, making the entries created or removed in it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: sync directory: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blob: sync directory: %w", err)
	}
	return nil
}

// copyContext copies src to h in chunks, stopping early if ctx is done.
func copyContext(ctx context.Context, h hash.Hash, src io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := src.Read(buf)
		h.Write(buf[:m])
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
