package finmath

import (
	"testing"
	"time"
)

// benchDues mirrors lending.DueDates: the first due date 30 days after d0,
// each later one a month after the first, rolled to the next business day.
func benchDues(d0 Date, n int) []Date {
	first := d0.AddDays(30)
	out := make([]Date, n)
	for k := range n {
		out[k] = NextBusinessDay(first.AddMonths(k))
	}
	return out
}

// benchInput is the simulation of lending's BenchmarkSimulate: R$ 25,000
// requested plus a 2% fee (R$ 500) financed, 2.49% a.m., PJ, released
// 2026-03-04.
func benchInput(b *testing.B, n int) (Cents, Rate, []Date, Date) {
	b.Helper()
	d0 := Date{2026, time.March, 4}
	return 25_500_00, MustPercent("2.49"), benchDues(d0, n), d0
}

func benchmarkFinancedIOF(b *testing.B, n int) {
	net, rate, dues, disb := benchInput(b, n)
	table := DefaultIOFTable()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FinancedIOF(net, rate, dues, disb, BorrowerPJ, table); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFinancedIOF12 is the financed-IOF gross-up (with its schedule)
// of a 12-installment simulation.
func BenchmarkFinancedIOF12(b *testing.B) { benchmarkFinancedIOF(b, 12) }

// BenchmarkFinancedIOF48 is BenchmarkFinancedIOF12 in 48 installments.
func BenchmarkFinancedIOF48(b *testing.B) { benchmarkFinancedIOF(b, 48) }

func benchmarkCET(b *testing.B, n int) {
	net, rate, dues, disb := benchInput(b, n)
	fin, err := FinancedIOF(net, rate, dues, disb, BorrowerPJ, DefaultIOFTable())
	if err != nil {
		b.Fatal(err)
	}
	flows, err := fin.Schedule.Flows(dues)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CET(25_000_00, flows, disb); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCET12 is the CET of a 12-installment simulation.
func BenchmarkCET12(b *testing.B) { benchmarkCET(b, 12) }

// BenchmarkCET48 is BenchmarkCET12 in 48 installments.
func BenchmarkCET48(b *testing.B) { benchmarkCET(b, 48) }

// BenchmarkMonthlyEquivalent is the monthly equivalent of a published CET.
func BenchmarkMonthlyEquivalent(b *testing.B) {
	cet := MustPercent("36.123456789")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MonthlyEquivalent(cet); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPriceSchedule48 is one 48-installment Price schedule.
func BenchmarkPriceSchedule48(b *testing.B) {
	rate := MustPercent("2.49")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PriceSchedule(25_500_00, rate, 48); err != nil {
			b.Fatal(err)
		}
	}
}
