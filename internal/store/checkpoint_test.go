package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackgroundCheckpoint: the writer never checkpoints (its commits stay short), and the background
// checkpointer copies the WAL back so that the writer starts it over: after thousands of pages written
// and a moment's wait, the next commit leaves a WAL of a few pages.
func TestBackgroundCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.db.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("the writer's wal_autocheckpoint is %d (%v), want 0", auto, err)
	}
	if _, err := s.db.Exec(`CREATE TABLE w (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	filler := strings.Repeat("x", 3000) // most of a page per row
	for i := range 40 {
		err := s.InTx(ctx, func(tx *Tx) error {
			for j := range 100 {
				if _, err := tx.conn().exec(ctx, `INSERT INTO w (k, v) VALUES (?, ?)`, i*100+j, filler); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Wait for a background checkpoint that copied everything written so far (one that started after
	// the last insert committed), then commit again: the writer starts the WAL over.
	before := s.checkpoints.complete.Load()
	deadline := time.Now().Add(20 * time.Second)
	for s.checkpoints.complete.Load() < before+2 {
		if time.Now().After(deadline) {
			t.Fatal("no background checkpoint copied the WAL")
		}
		time.Sleep(checkpointEvery / 4)
	}
	if err := s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.conn().exec(ctx, `UPDATE w SET v = 'y' WHERE k = 0`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var busy, log, done int
	// A PASSIVE checkpoint reports the WAL's size in pages.
	if err := s.rdb.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done); err != nil {
		t.Fatal(err)
	}
	if log > 100 {
		t.Fatalf("after a background checkpoint the WAL still holds %d pages", log)
	}
	var count int
	if err := s.rdb.QueryRow(`SELECT COUNT(*) FROM w`).Scan(&count); err != nil || count != 4000 {
		t.Fatalf("%d rows (%v), want 4000", count, err)
	}
}
