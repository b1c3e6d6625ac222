package finmath

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPriceScheduleInfeasible: at high rate × long term the centavo
// roundings of §5.1 compound until the balance would go negative before the
// last row. That is a clean error wrapping ErrInvalidSchedule, from
// PriceSchedule and from FinancedIOF, never a panic or a negative row.
func TestPriceScheduleInfeasible(t *testing.T) {
	t.Parallel()
	if _, err := PriceSchedule(50_000_00, MustPercent("3.5"), 360); !errors.Is(err, ErrInvalidSchedule) || !strings.Contains(err.Error(), "installment 353") {
		t.Errorf("PriceSchedule(50000.00, 3.5%%, 360) err = %v, want ErrInvalidSchedule at installment 353", err)
	}
	d0 := Date{2026, time.March, 4}
	for _, tc := range []struct {
		net  Cents
		rate string
		n    int
	}{{25_000_00, "10", 120}, {50_000_00, "3.5", 360}} {
		dues := make([]Date, tc.n)
		for k := range dues {
			dues[k] = NextBusinessDay(d0.AddDays(30).AddMonths(k))
		}
		if _, err := FinancedIOF(tc.net, MustPercent(tc.rate), dues, d0, BorrowerPJ, DefaultIOFTable()); !errors.Is(err, ErrInvalidSchedule) {
			t.Errorf("FinancedIOF(%s, %s%%, %d) err = %v, want ErrInvalidSchedule", tc.net, tc.rate, tc.n, err)
		}
	}
}
