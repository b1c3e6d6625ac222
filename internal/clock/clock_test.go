package clock

import (
	"testing"
	"time"
)

func TestManualNeverRunsBackwards(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_800_000_000, 0)
	m := NewManual(t0)
	steps := []struct {
		op   func() time.Time
		want time.Time
	}{
		{func() time.Time { return m.Advance(time.Hour) }, t0.Add(time.Hour)},
		{func() time.Time { return m.Advance(-time.Minute) }, t0.Add(time.Hour)},
		{func() time.Time { return m.Set(t0) }, t0.Add(time.Hour)},
		{func() time.Time { return m.Set(t0.Add(2 * time.Hour)) }, t0.Add(2 * time.Hour)},
		{m.Now, t0.Add(2 * time.Hour)},
	}
	for i, s := range steps {
		if got := s.op(); !got.Equal(s.want) {
			t.Errorf("step %d: %v, want %v", i, got, s.want)
		}
	}
	if d := time.Since(System{}.Now()); d < 0 || d > time.Minute {
		t.Errorf("System clock is off by %v", d)
	}
}
