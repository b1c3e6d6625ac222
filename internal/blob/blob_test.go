package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newDir(t *testing.T) *Dir {
	t.Helper()
	d, err := NewDir(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantRef(b []byte) Ref {
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	return Ref{Key: "sha256/" + h[:2] + "/" + h, SHA256: h, Size: int64(len(b))}
}

func readAll(t *testing.T, s Store, key string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

// files lists the regular files under the store's root, relative to it, with slashes.
func files(t *testing.T, d *Dir) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPutOpenRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", []byte{}},
		{"nil", nil},
		{"text", []byte("hello, KYC")},
		{"binary", bytes.Repeat([]byte{0, 0xff, 0x10, '\n'}, 300_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDir(t)
			ref, err := d.Put(t.Context(), tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantRef(tt.b), ref); diff != "" {
				t.Errorf("Put ref (-want +got):\n%s", diff)
			}
			if got := readAll(t, d, ref.Key); !bytes.Equal(got, tt.b) {
				t.Errorf("Open returned %d bytes, want the %d stored", len(got), len(tt.b))
			}
			if err := d.Verify(t.Context(), ref.Key); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if diff := cmp.Diff([]string{ref.Key}, files(t, d)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	d := newDir(t)
	ref, err := d.Put(t.Context(), []byte("perm"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(d.root, filepath.FromSlash(ref.Key))
	for _, c := range []struct {
		path string
		want fs.FileMode
	}{
		{p, 0o640},
		{filepath.Dir(p), 0o750 | fs.ModeDir},
		{filepath.Dir(filepath.Dir(p)), 0o750 | fs.ModeDir},
		{d.root, 0o750 | fs.ModeDir},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		// The umask may only remove bits; these modes are within the usual 022 and 027 masks.
		if got := fi.Mode(); got != c.want {
			t.Errorf("mode of %s = %v, want %v", c.path, got, c.want)
		}
	}
}

func TestPutSameContentTwice(t *testing.T) {
	t.Parallel()
	d := newDir(t)
	b := []byte("the same document")
	r1, err := d.Put(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(d.root, filepath.FromSlash(r1.Key))
	fi1, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := d.Put(t.Context(), bytes.Clone(b))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r1, r2); diff != "" {
		t.Errorf("second Put ref differs (-first +second):\n%s", diff)
	}
	fi2, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(fi1, fi2) {
		t.Error("second Put replaced the stored file")
	}
	if diff := cmp.Diff([]string{r1.Key}, files(t, d)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestPutKeepsExistingFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stored  func(b []byte) []byte // what is found at the key before Put
		wantErr error
	}{
		// Same size, different bytes: kept as is (Put checks the size only; Verify catches this).
		{"same size", func(b []byte) []byte { c := bytes.Clone(b); c[0] ^= 0xff; return c }, nil},
		{"different size", func(b []byte) []byte { return b[:len(b)-1] }, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDir(t)
			b := []byte("original content")
			ref := wantRef(b)
			p := filepath.Join(d.root, filepath.FromSlash(ref.Key))
			if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
				t.Fatal(err)
			}
			stored := tt.stored(b)
			if err := os.WriteFile(p, stored, 0o640); err != nil {
				t.Fatal(err)
			}
			got, err := d.Put(t.Context(), b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != ref {
				t.Errorf("Put = %+v, want %+v", got, ref)
			}
			if on, _ := os.ReadFile(p); !bytes.Equal(on, stored) {
				t.Error("Put overwrote the existing file")
			}
			if diff := cmp.Diff([]string{ref.Key}, files(t, d)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentPuts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content func(i int) []byte
		blobs   int
	}{
		{"same content", func(int) []byte { return []byte("one passport scan") }, 1},
		{"different content", func(i int) []byte { return fmt.Appendf(nil, "document %d", i) }, 20},
		{"mixed", func(i int) []byte { return fmt.Appendf(nil, "document %d", i%3) }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDir(t)
			const n = 20
			refs := make([]Ref, n)
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					refs[i], errs[i] = d.Put(t.Context(), tt.content(i))
				})
			}
			close(start)
			wg.Wait()
			keys := map[string]bool{}
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("Put %d: %v", i, errs[i])
				}
				b := tt.content(i)
				if diff := cmp.Diff(wantRef(b), refs[i]); diff != "" {
					t.Errorf("Put %d ref (-want +got):\n%s", i, diff)
				}
				if got := readAll(t, d, refs[i].Key); !bytes.Equal(got, b) {
					t.Errorf("Open(%s) = %q, want %q", refs[i].Key, got, b)
				}
				keys[refs[i].Key] = true
			}
			if len(keys) != tt.blobs {
				t.Errorf("%d distinct keys, want %d", len(keys), tt.blobs)
			}
			if got := files(t, d); len(got) != tt.blobs {
				t.Errorf("files = %q, want %d blobs and no temporary files", got, tt.blobs)
			}
		})
	}
}

func TestOpenRefusesBadKeys(t *testing.T) {
	t.Parallel()
	d := newDir(t)
	ref, err := d.Put(t.Context(), []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	// A file outside the blob tree that traversal would reach.
	if err := os.WriteFile(filepath.Join(filepath.Dir(d.root), "x"), []byte("outside"), 0o640); err != nil {
		t.Fatal(err)
	}
	h := ref.SHA256
	tests := []string{
		"",
		"../x",
		"sha256/../../x",
		"sha256/" + h[:2] + "/../../../x",
		"/etc/passwd",
		"sha256/" + h,                     // no fan-out directory
		"sha256/" + h[:2] + "/" + h + "/", // trailing slash
		"sha256/" + h[:2] + "/" + h[:63],  // short
		"sha256/" + h[:2] + "/" + h + "0", // long
		"sha256/" + h[:2] + "/" + strings.ToUpper(h), // upper case
		"sha256/00/" + h,              // fan-out does not match
		"sha256\\" + h[:2] + "\\" + h, // backslashes
		"SHA256/" + h[:2] + "/" + h,
		"md5/" + h[:2] + "/" + h,
		"./sha256/" + h[:2] + "/" + h,
		"sha256//" + h[:2] + "/" + h,
		"sha256/" + h[:2] + "/" + h[:62] + "\x00x",
		"sha256/" + h[:2] + "/.tmp-" + h[:16] + "-1",
	}
	for _, key := range tests {
		rc, err := d.Open(t.Context(), key)
		if err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded", key)
			continue
		}
		if !errors.Is(err, ErrInvalidKey) || !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) error = %v, want ErrInvalidKey and ErrNotFound", key, err)
		}
		if err := d.Verify(t.Context(), key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Verify(%q) error = %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestOpenMissing(t *testing.T) {
	t.Parallel()
	d := newDir(t)
	if _, err := d.Put(t.Context(), []byte("present")); err != nil {
		t.Fatal(err)
	}
	key := wantRef([]byte("absent")).Key
	if _, err := d.Open(t.Context(), key); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidKey) {
		t.Errorf("Open(missing) error = %v, want ErrNotFound only", err)
	}
	if err := d.Verify(t.Context(), key); !errors.Is(err, ErrNotFound) {
		t.Errorf("Verify(missing) error = %v, want ErrNotFound", err)
	}
}

func TestVerifyDetectsCorruption(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		corrupt func(b []byte) []byte
	}{
		{"flipped bit", func(b []byte) []byte { c := bytes.Clone(b); c[len(c)/2] ^= 1; return c }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"extended", func(b []byte) []byte { return append(bytes.Clone(b), 0) }},
		{"emptied", func([]byte) []byte { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDir(t)
			b := []byte("a driver's licence, scanned")
			ref, err := d.Put(t.Context(), b)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(d.root, filepath.FromSlash(ref.Key))
			if err := os.WriteFile(p, tt.corrupt(b), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := d.Verify(t.Context(), ref.Key); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Verify error = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	d := newDir(t)
	ref, err := d.Put(t.Context(), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Put(ctx, []byte("y")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put error = %v, want context.Canceled", err)
	}
	if _, err := d.Open(ctx, ref.Key); !errors.Is(err, context.Canceled) {
		t.Errorf("Open error = %v, want context.Canceled", err)
	}
	if err := d.Verify(ctx, ref.Key); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify error = %v, want context.Canceled", err)
	}
}

func TestNewDir(t *testing.T) {
	t.Parallel()
	if _, err := NewDir(""); err == nil {
		t.Error("NewDir(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDir(file); err == nil {
		t.Error("NewDir(a regular file) succeeded")
	}
	// An existing root is reused, with its blobs.
	root := filepath.Join(t.TempDir(), "a", "b")
	d1, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := d1.Put(t.Context(), []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, d2, ref.Key); string(got) != "kept" {
		t.Errorf("reopened store returned %q", got)
	}
}

func TestPutWithoutHardLinks(t *testing.T) {
	t.Parallel()
	d := newDir(t)
	d.link = func(string, string) error { return &os.LinkError{Op: "link", Err: errors.ErrUnsupported} }
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = d.Put(t.Context(), fmt.Appendf(nil, "document %d", i%2))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	for i := range 2 {
		b := fmt.Appendf(nil, "document %d", i)
		if got := readAll(t, d, wantRef(b).Key); !bytes.Equal(got, b) {
			t.Errorf("Open = %q, want %q", got, b)
		}
	}
	if got := files(t, d); len(got) != 2 {
		t.Errorf("files = %q, want 2 blobs and no temporary files", got)
	}
}

func TestOpenNonRegularFile(t *testing.T) {
	t.Parallel()
	d := newDir(t)
	ref := wantRef([]byte("a directory squats here"))
	p := filepath.Join(d.root, filepath.FromSlash(ref.Key))
	if err := os.MkdirAll(p, 0o750); err != nil {
		t.Fatal(err)
	}
	if rc, err := d.Open(t.Context(), ref.Key); err == nil {
		rc.Close()
		t.Error("Open of a directory succeeded")
	}
	if _, err := d.Put(t.Context(), []byte("a directory squats here")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Put over a directory: error = %v, want ErrCorrupt", err)
	}
}
