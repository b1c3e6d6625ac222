package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// On SQLite every commit waits for an fsync of the WAL (synchronous=FULL) and there is one writer, so
// transactions that commit one by one are bounded by the disk's fsync rate. The batcher commits them in
// groups instead: it runs the transactions waiting for the writer one after another inside one SQLite
// transaction, each in a savepoint of its own, and commits once. Each caller still returns only after
// the commit that made its work durable, a failed transaction is rolled back to its savepoint without
// touching the others, and a failed commit fails every transaction of the group: the guarantees of
// separate transactions, at the cost of one fsync per group.

// maxBatch bounds how many transactions one commit carries.
const maxBatch = 64

// batchRequest is one transaction waiting for the writer.
type batchRequest struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan batchResult
}

type batchResult struct {
	err   error
	panic any
}

// errBatchAborted is what the transactions of a group get when the group could not commit.
var errBatchAborted = errors.New("store: the transaction's group was rolled back")

// batcher runs grouped transactions on the writer connection until its channel closes.
type batcher struct {
	s        *Store
	reqs     chan batchRequest
	quit     chan struct{}
	quitOnce sync.Once
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, reqs: make(chan batchRequest), quit: make(chan struct{})}
	go b.loop()
	return b
}

func (b *batcher) close() { b.quitOnce.Do(func() { close(b.quit) }) }

// submit runs fn in the next group and returns its outcome (re-panicking fn's panic here, in the
// caller's goroutine).
func (b *batcher) submit(ctx context.Context, fn func(tx *Tx) error) error {
	req := batchRequest{ctx: ctx, fn: fn, done: make(chan batchResult, 1)}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.quit:
		return errors.New("store: closed")
	}
	res := <-req.done
	if res.panic != nil {
		panic(res.panic)
	}
	return res.err
}

func (b *batcher) loop() {
	for {
		var group []batchRequest
		select {
		case r := <-b.reqs:
			group = append(group, r)
		case <-b.quit:
			return
		}
	more:
		for len(group) < maxBatch {
			select {
			case r := <-b.reqs:
				group = append(group, r)
			default:
				break more
			}
		}
		b.run(group)
	}
}

// run commits one group. A transaction whose caller already gave up is skipped.
func (b *batcher) run(group []batchRequest) {
	results := make([]batchResult, len(group))
	finish := func() {
		for i, r := range group {
			r.done <- results[i]
		}
	}
	defer finish()
	// The group's transaction is not the callers': one caller going away must not roll back the others'.
	sqlTx, err := b.s.db.BeginTx(context.Background(), nil)
	if err != nil {
		for i := range results {
			results[i].err = fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	tx := &Tx{tx: sqlTx, s: b.s, detached: true}
	ok := false
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		results[i] = b.runOne(tx, r)
		if _, err := sqlTx.Exec("RELEASE tx"); err != nil {
			// The savepoint is gone: SQLite rolled the whole transaction back (an interrupted statement
			// does that). Nothing of the group is kept; no transaction may run outside it.
			for j := range results[:i+1] {
				if results[j].err == nil && results[j].panic == nil {
					results[j].err = errBatchAborted
				}
			}
			for j := i + 1; j < len(group); j++ {
				results[j].err = errBatchAborted
			}
			_ = sqlTx.Rollback()
			return
		}
		ok = ok || (results[i].err == nil && results[i].panic == nil)
	}
	if !ok {
		_ = sqlTx.Rollback()
		return
	}
	if err := sqlTx.Commit(); err != nil {
		for i := range results {
			if results[i].err == nil && results[i].panic == nil {
				results[i].err = fmt.Errorf("store: commit: %w", err)
			}
		}
	}
}

// runOne runs one transaction of the group in the savepoint "tx", rolling back to it when fn fails or
// panics. The caller releases the savepoint.
func (b *batcher) runOne(tx *Tx, r batchRequest) (res batchResult) {
	if _, err := tx.tx.Exec("SAVEPOINT tx"); err != nil {
		return batchResult{err: fmt.Errorf("store: savepoint: %w", err)}
	}
	defer func() {
		if p := recover(); p != nil {
			res = batchResult{panic: p}
		}
		if res.err != nil || res.panic != nil {
			_, _ = tx.tx.Exec("ROLLBACK TO tx")
		}
	}()
	return batchResult{err: r.fn(tx)}
}
