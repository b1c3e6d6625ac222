package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

func TestCPFSeqSkipsMagicAndRepeatedBases(t *testing.T) {
	s := newCPFSeq(111_110_995)
	seen := map[lending.CPF]bool{}
	for range 20 {
		c := s.next()
		base := string(c)[:9]
		if strings.HasSuffix(base, "997") || strings.HasSuffix(base, "998") || strings.HasSuffix(base, "999") || base == "111111111" {
			t.Errorf("CPF %s has a magic or repeated base", c)
		}
		if _, err := lending.ParseCPF(string(c)); err != nil {
			t.Errorf("CPF %s: %v", c, err)
		}
		if seen[c] {
			t.Errorf("CPF %s twice", c)
		}
		seen[c] = true
	}
}

// TestOpenLoopChargesTheWait: at 200/s for 1 s against an op that stalls for 300 ms once, the operations
// scheduled behind the stall are still started on time (the loop is open), and the stalled one's latency
// counts from its due time.
func TestOpenLoopChargesTheWait(t *testing.T) {
	var n atomic.Int64
	o := func(ctx context.Context) outcome {
		if n.Add(1) == 50 {
			time.Sleep(300 * time.Millisecond)
		}
		return outcome{answer: answer{status: 200}, calls: 1}
	}
	rec := runLoad(context.Background(), shape{rate: 200, maxInflight: 100, duration: time.Second, drain: time.Second}, o)
	r := rec.result("t", "t", "req/s", "", shape{duration: time.Second}, nil)
	if r.Requests < 190 || r.Requests > 200 || r.OK != r.Requests {
		t.Errorf("%d requests (%d ok), want about 200", r.Requests, r.OK)
	}
	if r.LatencyMS.Max < 300 || r.LatencyMS.P50 > 50 {
		t.Errorf("latency %+v: want max ≥ 300ms and a small median", r.LatencyMS)
	}
}

// TestClosedLoopRecordsOnlyTheWindow: warmup operations are not counted.
func TestClosedLoopRecordsOnlyTheWindow(t *testing.T) {
	var n atomic.Int64
	o := func(ctx context.Context) outcome {
		n.Add(1)
		time.Sleep(10 * time.Millisecond)
		return outcome{answer: answer{status: 500, code: "internal_error"}, calls: 1}
	}
	sh := shape{concurrency: 2, warmup: 200 * time.Millisecond, duration: 400 * time.Millisecond, drain: time.Second}
	rec := runLoad(context.Background(), sh, o)
	r := rec.result("t", "t", "req/s", "", sh, nil)
	if total := int(n.Load()); r.Requests >= total || r.Requests < 40 || r.Requests > 90 {
		t.Errorf("%d recorded of %d run, want the 400ms window only (about 80)", r.Requests, total)
	}
	if r.OK != 0 || r.Errors["500 internal_error"] != r.Requests {
		t.Errorf("errors %v", r.Errors)
	}
}

// TestClosedLoopShowsAStall: operations that hang past the window still show up, as errors.
func TestClosedLoopShowsAStall(t *testing.T) {
	o := func(ctx context.Context) outcome {
		time.Sleep(600 * time.Millisecond)
		return outcome{answer: answer{err: context.DeadlineExceeded}, calls: 1}
	}
	sh := shape{concurrency: 3, warmup: 100 * time.Millisecond, duration: 300 * time.Millisecond, drain: time.Second}
	r := runLoad(context.Background(), sh, o).result("t", "t", "req/s", "", sh, nil)
	if r.Requests != 0 || r.Errors["timeout (still running at the end of the window)"] != 3 {
		t.Errorf("%d requests, errors %v; want none finished and 3 late timeouts", r.Requests, r.Errors)
	}
}

// TestParseFlagsServerOptions: --no-jobs and --server-arg reach the server the tool starts, and are
// refused where they cannot apply.
func TestParseFlagsServerOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		wantErr string
		want    []string
	}{
		{args: []string{"--no-jobs", "create-customer", "token"}},
		{args: []string{"--server-arg=--job-workers=20", "--server-arg", "--webhook-workers=10", "create-customer"},
			want: []string{"--job-workers=20", "--webhook-workers=10"}},
		{args: []string{"--no-jobs", "get-customer"}, wantErr: "needs the job workers"},
		{args: []string{"--no-jobs", "all"}, wantErr: "needs the job workers"},
		{args: []string{"--target", "http://127.0.0.1:1", "--no-jobs", "token"}, wantErr: "not with --target"},
		{args: []string{"--target", "http://127.0.0.1:1", "--server-arg=--x", "token"}, wantErr: "not with --target"},
	} {
		c, _, err := parseFlags(tc.args, io.Discard)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: %v, want an error containing %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !slices.Equal([]string(c.serverArgs), tc.want) {
			t.Errorf("%q: server args %q, want %q", tc.args, c.serverArgs, tc.want)
		}
	}
}
