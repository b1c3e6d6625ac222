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
func (d Date) String() string {
	if d.Y < 0 || d.Y > 9999 || d.M < 0 || d.M > 99 || d.D < 0 || d.D > 99 {
		return fmt.Sprintf("%04d-%02d-%02d", d.Y, int(d.M), d.D)
	}
	y, m := d.Y, int(d.M)
	b := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d.D/10), byte('0' + d.D%10)}
	return string(b[:])
}

// AddDays returns the date n calendar days later (earlier if n < 0).
func (d Date) AddDays(n int) Date {
	if !d.civil() || n <= -civilLimit || n >= civilLimit {
		return DateOf(d.Time().AddDate(0, 0, n))
	}
	return dateOfDayNumber(d.dayNumber() + int64(n))
}

// AddMonths returns the same day n months later; when that day does not
// exist in the target month it is clamped to the month's last day
// (2025-01-31 + 1 month = 2025-02-28).
func (d Date) AddMonths(n int) Date {
	if !d.civil() || n <= -civilLimit || n >= civilLimit {
		first := time.Date(d.Y, d.M+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		return Date{first.Year(), first.Month(), min(d.D, last)}
	}
	mi := int64(d.Y)*12 + int64(d.M) - 1 + int64(n) // months since year 0
	y := floorDiv(mi, 12)
	m := time.Month(mi - 12*y + 1)
	return Date{int(y), m, min(d.D, daysIn(int(y), m))}
}

// DaysSince returns the number of calendar days from earlier to d
// (negative if d is before earlier).
func (d Date) DaysSince(earlier Date) int {
	return int(d.dayNumber() - earlier.dayNumber())
}

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.dayNumber() < o.dayNumber() }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekdayOf(d.dayNumber()) }

// weekdayOf returns the day of the week of the day number n (see dayNumber).
func weekdayOf(n int64) time.Weekday {
	w := (n + 4) % 7 // 1970-01-01 was a Thursday
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

// civilLimit bounds the fields handled by the integer calendar arithmetic
// below; anything outside it (never a real date) goes through package time,
// which normalizes it the same way.
const civilLimit = 100_000_000

// civil reports whether d is in the range of the integer calendar arithmetic.
func (d Date) civil() bool {
	return d.M >= time.January && d.M <= time.December &&
		d.Y > -civilLimit && d.Y < civilLimit && d.D > -civilLimit && d.D < civilLimit
}

// dayNumber returns the days from 1970-01-01 to d, normalizing an
// out-of-range day of month as time.Date does (2025-02-30 is 2025-03-02).
// It is the proleptic-Gregorian days-from-civil algorithm (H. Hinnant,
// "chrono-Compatible Low-Level Date Algorithms"), in integers, so day counts
// and weekdays cost no time.Time conversions.
func (d Date) dayNumber() int64 {
	if !d.civil() {
		return d.Time().Unix() / 86400
	}
	y, m := int64(d.Y), int64(d.M)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                           // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + int64(d.D) - 1 // day of the year from March 1st
	doe := yoe*365 + yoe/4 - yoe/100 + doy       // day of the 400-year era
	return era*146097 + doe - 719468
}

// dateOfDayNumber is the inverse of dayNumber for normalized dates.
func dateOfDayNumber(z int64) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	day := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return Date{int(y), time.Month(m), int(day)}
}

// floorDiv returns ⌊a/b⌋ for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// daysIn returns the number of days of month m (1..12) of year y.
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// Easter returns Easter Sunday of the Gregorian year y (anonymous Gregorian
// computus, Meeus/Jones/Butcher).
func Easter(y int) Date {
	e := easterOffset(y) + 114
	return Date{y, time.Month(e / 31), e%31 + 1}
}

// easterOffset returns the days from March 22 to Easter Sunday of year y
// (0 to 35 for y ≥ 1): the anonymous Gregorian computus.
func easterOffset(y int) int {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	return h + l - 7*m
}

// cumDays[m−1] is the number of days before month m in a common year.
var cumDays = [12]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

// isLeap reports whether y is a Gregorian leap year.
func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// dayOfYear returns the days from January 1st of d.Y to d, for a month in
// 1..12 and any day (linear in d.D, like dayNumber).
func dayOfYear(d Date) int {
	n := cumDays[d.M-1] + d.D - 1
	if d.M > time.February && isLeap(d.Y) {
		n++
	}
	return n
}

// IsHoliday reports whether d is a Brazilian national banking holiday:
// Jan 1, Apr 21, May 1, Sep 7, Oct 12, Nov 2, Nov 15, Nov 20 (from 2024,
// Lei 14.759/2023), Dec 25, and, from Easter, Carnival Monday and Tuesday
// (Easter − 48/−47), Good Friday (−2) and Corpus Christi (+60). State and
// municipal holidays are not included (domain.md §5.6).
func IsHoliday(d Date) bool { return isFixedHoliday(d) || isEasterHoliday(d) }

// isFixedHoliday reports whether d is a holiday on a fixed date.
func isFixedHoliday(d Date) bool {
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
	return false
}

// isEasterHoliday reports whether d is one of the holidays that move with
// Easter: d is 48, 47 or 2 days before Easter of d.Y, or 60 days after.
func isEasterHoliday(d Date) bool {
	if !d.civil() || d.Y < 1 {
		switch d.DaysSince(Easter(d.Y)) {
		case -48, -47, -2, 60:
			return true
		}
		return false
	}
	// They fall between Feb 2 (Carnival Monday of an Easter on Mar 22) and
	// Jun 24 (Corpus Christi of an Easter on Apr 25): skip the computus for
	// the other months.
	if (d.M < time.February || d.M > time.June) && d.D >= 1 && d.D <= 28 {
		return false
	}
	easter := cumDays[time.March-1] + 21 + easterOffset(d.Y) // day of the year of Easter
	if isLeap(d.Y) {
		easter++
	}
	switch dayOfYear(d) - easter {
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
	if !d.civil() || d.D < 1 || d.D > daysIn(d.Y, d.M) { // not a normalized date
		for !IsBusinessDay(d) {
			d = d.AddDays(1)
		}
		return d
	}
	wd := d.Weekday()
	for {
		switch wd {
		case time.Saturday:
			d, wd = d.nextDays(2), time.Monday
			continue
		case time.Sunday:
			d, wd = d.nextDays(1), time.Monday
			continue
		}
		if !IsHoliday(d) {
			return d
		}
		d, wd = d.nextDays(1), (wd+1)%7
	}
}

// nextDays returns the normalized date k days (1..28) after the normalized
// date d.
func (d Date) nextDays(k int) Date {
	d.D += k
	if last := daysIn(d.Y, d.M); d.D > last {
		d.D -= last
		if d.M++; d.M > time.December {
			d.M, d.Y = time.January, d.Y+1
		}
	}
	return d
}

// dayCounter returns the day numbers of many dates, mostly of the same
// few years, reusing the day number of January 1st of the last year seen.
type dayCounter struct {
	y    int
	jan1 int64
	ok   bool
}

// of returns d.dayNumber().
func (c *dayCounter) of(d Date) int64 {
	if !d.civil() {
		return d.dayNumber()
	}
	if !c.ok || c.y != d.Y {
		c.y, c.jan1, c.ok = d.Y, Date{d.Y, time.January, 1}.dayNumber(), true
	}
	return c.jan1 + int64(dayOfYear(d))
}
