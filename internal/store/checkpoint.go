package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite copies the WAL back into the database file at checkpoints. Left to itself it does that inside
// the commit that crosses 1,000 WAL pages, on the writer: about 5 % of the writer's time under load, and
// a stall for the whole group of transactions committing then. The store turns that off
// (wal_autocheckpoint(0)) and checkpoints from a read connection in the background instead: a PASSIVE
// checkpoint never blocks the writer or readers, and the writer starts the WAL over once a checkpoint
// has copied all of it.

// checkpointEvery is how often the background checkpoint runs.
const checkpointEvery = 200 * time.Millisecond

// checkpointer runs PASSIVE checkpoints until stopped.
type checkpointer struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// complete counts the checkpoints that found the whole WAL copied into the database.
	complete atomic.Int64
}

func startCheckpointer(s *Store) *checkpointer {
	c := &checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				// An error (the database closing under us, a busy lock) is retried at the next tick.
				if logPages, done, err := s.checkpoint(context.Background()); err == nil && done == logPages {
					c.complete.Add(1)
				}
			}
		}
	}()
	return c
}

// close stops the checkpointer and waits for a running checkpoint.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

// Checkpoint copies what it can of SQLite's WAL into the database file without blocking anyone (a
// PASSIVE checkpoint); the store also does it in the background. On PostgreSQL it does nothing.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.dialect.name() != "sqlite" {
		return nil
	}
	_, _, err := s.checkpoint(ctx)
	return err
}

// checkpoint runs a PASSIVE checkpoint and returns the WAL's size and how much of it is now copied, in
// pages.
func (s *Store) checkpoint(ctx context.Context) (logPages, done int, err error) {
	var busy int
	err = s.rdb.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logPages, &done)
	return logPages, done, err
}
