package finmath

import (
	"fmt"
	"time"
)

// Date is a calendar date without time of day or zone. Day counts between
// Dates are calendar days. The zero value is not a valid date.
type Date struct {
	Y int
	M time.Month
	D int
}

// NewDate returns the date y-m-d, or an error if it does not exist (for
// example 2025-02-29).
func NewDate(y int, m time.Month, d int) (Date, error) {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || t.Month() != m || t.Day() != d {
		return Date{}, fmt.Errorf("finmath: invalid date %04d-%02d-%02d", y, int(m), d)
	}
	return Date{y, m, d}, nil
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Time returns the date at midnight UTC.
func (d Date) Time() time.Time { return time.Date(d.Y, d.M, d.D, 0, 0, 0, 0, time.UTC) }

// String returns the date in ISO 8601 form, YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Y, int(d.M), d.D) }

// AddDays returns the date n calendar days later (earlier if n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// AddMonths returns the same day n months later; when that day does not
// exist in the target month it is clamped to the month's last day
// (2025-01-31 + 1 month = 2025-02-28).
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Y, d.M+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return Date{first.Year(), first.Month(), min(d.D, last)}
}

// DaysSince returns the number of calendar days from earlier to d
// (negative if d is before earlier).
func (d Date) DaysSince(earlier Date) int {
	return int((d.Time().Unix() - earlier.Time().Unix()) / 86400)
}

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// Easter returns Easter Sunday of the Gregorian year y (anonymous Gregorian
// computus, Meeus/Jones/Butcher).
func Easter(y int) Date {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{y, time.Month(month), day}
}

// IsHoliday reports whether d is a Brazilian national banking holiday:
// Jan 1, Apr 21, May 1, Sep 7, Oct 12, Nov 2, Nov 15, Nov 20 (from 2024,
// Lei 14.759/2023), Dec 25, and, from Easter, Carnival Monday and Tuesday
// (Easter − 48/−47), Good Friday (−2) and Corpus Christi (+60). State and
// municipal holidays are not included (domain.md §5.6).
func IsHoliday(d Date) bool {
	switch {
	case d.M == time.January && d.D == 1,
		d.M == time.April && d.D == 21,
		d.M == time.May && d.D == 1,
		d.M == time.September && d.D == 7,
		d.M == time.October && d.D == 12,
		d.M == time.November && d.D == 2,
		d.M == time.November && d.D == 15,
		d.M == time.November && d.D == 20 && d.Y >= 2024,
		d.M == time.December && d.D == 25:
		return true
	}
	switch d.DaysSince(Easter(d.Y)) {
	case -48, -47, -2, 60:
		return true
	}
	return false
}

// IsBusinessDay reports whether d is a banking business day: not a
// Saturday, Sunday or national banking holiday (see IsHoliday).
func IsBusinessDay(d Date) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	return !IsHoliday(d)
}

// NextBusinessDay returns d if it is a business day, otherwise the first
// business day after it ("following" roll, domain.md §5.6).
func NextBusinessDay(d Date) Date {
	for !IsBusinessDay(d) {
		d = d.AddDays(1)
	}
	return d
}
