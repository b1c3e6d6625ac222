package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// TestBootstrapSandboxOnceUnderConcurrentStarts starts six "servers" on one new database at once: they
// make exactly one Sandbox partner between them.
func TestBootstrapSandboxOnceUnderConcurrentStarts(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn := e.DSN(t)
			ctx := context.Background()
			m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
			d := dbFlags{db: dsn}
			first, err := m.openStore(ctx, d, clock.System{})
			if err != nil {
				t.Fatal(err)
			}
			first.Close()
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Go(func() {
					st, err := m.openStore(ctx, d, clock.System{})
					if err != nil {
						t.Error(err)
						return
					}
					defer st.Close()
					dir := filepath.Join(t.TempDir(), "data", string(rune('a'+i)))
					if err := os.MkdirAll(dir, 0o750); err != nil {
						t.Error(err)
						return
					}
					if err := m.bootstrapSandbox(ctx, st, clock.System{}, dir, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ps, err := st.ListPartners(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 || ps[0].Name != "Sandbox" {
				t.Errorf("partners after six concurrent first starts: %+v, want one Sandbox", ps)
			}
		})
	}
}

// TestSandboxFileIsPrivateEvenWhenReplaced checks that an older, world-readable file does not keep its
// mode when a new secret is written into it.
func TestSandboxFileIsPrivateEvenWhenReplaced(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sandbox-credentials.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePrivateFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if fi.Mode().Perm() != 0o600 || string(b) != "new" {
		t.Errorf("mode %v, content %q; want 0600 and the new content", fi.Mode().Perm(), b)
	}
}
