package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Money is an amount in Brazilian reais, held exactly as a whole number of centavos: Money(87550) is
// R$ 875,50. On the wire it is a JSON number in reais (875.5), which Money reads and writes digit by
// digit, never through a float, so no amount is ever rounded.
type Money int64

// Reais returns r whole reais as Money.
func Reais(r int64) Money { return Money(r * 100) }

// Centavos returns c centavos as Money.
func Centavos(c int64) Money { return Money(c) }

// Centavos returns m in centavos.
func (m Money) Centavos() int64 { return int64(m) }

// parts splits m into its sign, whole reais and centavos, exactly even for the most negative value.
func (m Money) parts() (neg bool, whole, cents uint64) {
	abs := uint64(m)
	if m < 0 {
		neg, abs = true, -abs // two's complement: exact for math.MinInt64 too
	}
	return neg, abs / 100, abs % 100
}

// String returns m in reais with two decimals and a '.' separator, as "875.50" or "-0.01".
func (m Money) String() string {
	neg, whole, cents := m.parts()
	s := strconv.FormatUint(whole, 10) + "." + string([]byte{byte('0' + cents/10), byte('0' + cents%10)})
	if neg {
		return "-" + s
	}
	return s
}

// BRL returns m the way Brazilians write it: "R$ 60.000,00", "-R$ 0,01".
func (m Money) BRL() string {
	neg, whole, cents := m.parts()
	digits := strconv.FormatUint(whole, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("R$ ")
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	b.WriteByte(',')
	b.WriteByte(byte('0' + cents/10))
	b.WriteByte(byte('0' + cents%10))
	return b.String()
}

// number returns m as the shortest JSON number in reais: "25000", "875.5", "7997.34".
func (m Money) number() string {
	neg, whole, cents := m.parts()
	s := strconv.FormatUint(whole, 10)
	if cents != 0 {
		s += "." + strings.TrimSuffix(string([]byte{byte('0' + cents/10), byte('0' + cents%10)}), "0")
	}
	if neg {
		return "-" + s
	}
	return s
}

// MarshalJSON writes m as a JSON number in reais.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.number()), nil }

// UnmarshalJSON reads a JSON number in reais exactly. It refuses strings and numbers with a fraction of
// a centavo (1.005) or out of the range of Money; null leaves m unchanged.
func (m *Money) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// maxNumberText bounds the numbers ParseMoney and Rate accept, so that a hostile exponent cannot make
// the exact arithmetic expensive.
const maxNumberText = 64

// ParseMoney parses a decimal number of reais ("875.5", "25000", "-0.01", "1.5e3") exactly. It fails for
// anything that is not a JSON number, for a fraction of a centavo and for values beyond the range of Money.
func ParseMoney(s string) (Money, error) {
	r, err := parseDecimal(s)
	if err != nil {
		return 0, fmt.Errorf("client: money %q: %w", s, err)
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() {
		return 0, fmt.Errorf("client: money %q has a fraction of a centavo", s)
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("client: money %q is out of range", s)
	}
	return Money(n.Int64()), nil
}

// errNotNumber is the cause of a value that is not a JSON number.
var errNotNumber = errors.New("not a JSON number")

// parseDecimal reads a JSON number exactly.
func parseDecimal(s string) (*big.Rat, error) {
	if len(s) == 0 || len(s) > maxNumberText || !isJSONNumber(s) {
		return nil, errNotNumber
	}
	if _, exp, ok := strings.Cut(strings.ToLower(s), "e"); ok {
		// Bounded, so that 1e999999999 cannot make the exact arithmetic expensive.
		if e, err := strconv.Atoi(exp); err != nil || e > maxNumberText || e < -maxNumberText {
			return nil, errNotNumber
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, errNotNumber
	}
	return r, nil
}

// isJSONNumber reports whether s is exactly one JSON number (RFC 8259 §6).
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// Rate is a percentage as the API writes it ("3.49" is 3.49 % a month): the JSON number itself, kept
// as its exact decimal text so that no digit is lost. Build one with Rate("2.5").
type Rate json.Number

// String returns the rate's decimal text, as "3.49".
func (r Rate) String() string { return string(r) }

// Number returns the rate as a json.Number.
func (r Rate) Number() json.Number { return json.Number(r) }

// Float64 returns the rate as a float (for display or estimates, not for money).
func (r Rate) Float64() (float64, error) { return strconv.ParseFloat(string(r), 64) }

// Rat returns the rate exactly, as a fraction.
func (r Rate) Rat() (*big.Rat, error) {
	v, err := parseDecimal(string(r))
	if err != nil {
		return nil, fmt.Errorf("client: rate %q: %w", string(r), err)
	}
	return v, nil
}

// MarshalJSON writes r as a JSON number; it fails when r is not one.
func (r Rate) MarshalJSON() ([]byte, error) {
	if !isJSONNumber(string(r)) {
		return nil, fmt.Errorf("client: rate %q is not a number", string(r))
	}
	return []byte(r), nil
}

// UnmarshalJSON reads a JSON number verbatim; null leaves r unchanged.
func (r *Rate) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if !isJSONNumber(string(b)) {
		return fmt.Errorf("client: rate %s is not a JSON number", b)
	}
	*r = Rate(b)
	return nil
}

// Timestamp is an instant, sent on the wire as integer Unix epoch seconds (1775253599). It embeds
// time.Time, so every time method works on it; decoded values are in UTC.
type Timestamp struct{ time.Time }

// TimestampOf returns t as a Timestamp, truncated to the second (the wire's precision).
func TimestampOf(t time.Time) Timestamp { return Timestamp{t.Truncate(time.Second)} }

// Equal reports whether t and u are the same instant.
func (t Timestamp) Equal(u Timestamp) bool { return t.Time.Equal(u.Time) }

// MarshalJSON writes t as integer epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, t.Unix(), 10), nil
}

// UnmarshalJSON reads integer epoch seconds (an integral number such as 1.7e9 is accepted too); null
// leaves t unchanged.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	sec, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		r, perr := parseDecimal(string(b))
		if perr != nil || !r.IsInt() || !r.Num().IsInt64() {
			return fmt.Errorf("client: timestamp %s is not integer epoch seconds", b)
		}
		sec = r.Num().Int64()
	}
	if sec < -maxEpochSeconds || sec > maxEpochSeconds {
		return fmt.Errorf("client: timestamp %s is out of range", b)
	}
	*t = Timestamp{time.Unix(sec, 0).UTC()}
	return nil
}

// maxEpochSeconds keeps decoded instants where time.Time represents them faithfully.
const maxEpochSeconds = math.MaxInt64 / 4

// Date is a calendar date, sent on the wire as "YYYY-MM-DD" (a due date has no time of day and no zone).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return Date{}, fmt.Errorf("client: date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// String returns d as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// In returns the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// MarshalText writes d as "YYYY-MM-DD".
func (d Date) MarshalText() ([]byte, error) {
	if d.Year < 0 || d.Year > 9999 {
		return nil, fmt.Errorf("client: date year %d cannot be written as YYYY", d.Year)
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads "YYYY-MM-DD".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
