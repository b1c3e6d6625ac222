package finmath

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
)

// MaxInstallments bounds n in PriceSchedule; the exact power (1+i)^n grows
// with n and no product of the domain exceeds it.
const MaxInstallments = 600

// Row is one installment of a Schedule.
type Row struct {
	Number       int   // 1-based installment number
	Installment  Cents // amount due: Interest + Amortization
	Interest     Cents // interest of the period, rounded half-up
	Amortization Cents // principal repaid by this installment
	Balance      Cents // outstanding principal after this installment
}

// Schedule is a Price (French) amortization schedule with its totals.
type Schedule struct {
	Principal         Cents // financed principal PV
	Rate              Rate  // periodic (monthly) rate
	PMT               Cents // level installment (every row but possibly the last)
	Rows              []Row
	TotalPaid         Cents // Σ Installment
	TotalInterest     Cents // Σ Interest
	TotalAmortization Cents // Σ Amortization; always equals Principal
}

// ErrInvalidSchedule is returned (wrapped) by PriceSchedule for bad input,
// including terms whose rounded schedule cannot be built (see PriceSchedule).
var ErrInvalidSchedule = errors.New("finmath: invalid schedule input")

// PriceSchedule builds the Price schedule of domain.md §5.1 for principal
// (> 0), periodic rate monthly (≥ 0) and n installments (1..MaxInstallments).
//
// Rounding (domain.md §5.1): PMT = PV·i/(1−(1+i)^−n) is computed exactly and
// rounded half-up to cents (PV/n when i = 0); each period's interest
// SD_{k−1}·i is rounded half-up to cents; amortization = PMT − interest; the
// last installment absorbs the residual: its amortization is the whole
// remaining balance and its installment is interest + that balance, so the
// final balance is exactly 0 and the amortizations sum to the principal.
//
// Limit of that convention: rounding PMT and each interest to the centavo
// leaves the balance off the exact one by up to a centavo per period, and
// the difference compounds at (1+i): after k periods it can reach about
// ((1+i)^k − 1)/i centavos. When that grows to the size of the last
// installments (high rate × long term: R$ 50 000 in 360 at 3.5% a.m.; the
// financed R$ 25 000 + IOF in 120 at 10% a.m.) the balance would reach zero
// before the last row and go negative. Such terms have no schedule under
// §5.1: PriceSchedule returns an error wrapping ErrInvalidSchedule (it never
// panics and never returns a schedule with a negative balance or
// amortization), and callers are expected to refuse them upstream.
//
// It returns an error wrapping ErrInvalidSchedule for invalid input or such
// terms, or an error if an amount overflows int64.
//
// The arithmetic is exact: with i = p/q in lowest terms, each interest is
// round(SD·p/q) in 128-bit integers (big.Int when p or q do not fit in 63
// bits), and PMT = round(PV·p·(q+p)^n / (q·((q+p)^n − q^n))). PMT is
// decided in float64 when a rigorous bound on its rounding error keeps it
// strictly inside one half-up rounding cell of centavos, else from the
// exact big.Int powers (near a half centavo, or for extreme rates).
func PriceSchedule(principal Cents, monthly Rate, n int) (Schedule, error) {
	pr, err := newPriceRate(principal, monthly, n)
	if err != nil {
		return Schedule{}, err
	}
	return pr.schedule(principal)
}

// priceRate is a periodic rate and term prepared for exact Price
// schedules: PMT(PV) = round_half_up(PV·num/den), with num and den below,
// and the interest on a balance SD is round_half_up(SD·p/q).
type priceRate struct {
	rate   Rate // as given; shared, never modified
	n      int
	p, q   uint64  // i = p/q when small
	invQ   float64 // 1/q, to estimate quotients
	small  bool    // p and q fit in 63 bits: interest in 128-bit integers
	bp, bq *big.Int
	// The exact PMT factor, computed on first need: num = p·(q+p)^n and
	// den = q·((q+p)^n − q^n), or 1 and n when i = 0.
	exact    bool
	num, den big.Int
	// A float64 PMT factor i·F/(F−1), F = (1+i)^n, within relative error
	// facErr of the exact one (facErr = 0: not available).
	fac, facErr float64
	t, r        big.Int // scratch
}

// newPriceRate validates the input of PriceSchedule (principal is only
// checked) and prepares monthly over n periods.
func newPriceRate(principal Cents, monthly Rate, n int) (*priceRate, error) {
	switch {
	case principal <= 0:
		return nil, fmt.Errorf("%w: principal %s must be positive", ErrInvalidSchedule, principal)
	case monthly.Sign() < 0:
		return nil, fmt.Errorf("%w: rate %s must not be negative", ErrInvalidSchedule, monthly)
	case n < 1 || n > MaxInstallments:
		return nil, fmt.Errorf("%w: n %d must be in 1..%d", ErrInvalidSchedule, n, MaxInstallments)
	}
	i := monthly.rat()
	pr := &priceRate{rate: monthly, n: n, bp: i.Num(), bq: i.Denom()}
	if monthly.r == nil {
		pr.rate = Rate{new(big.Rat)} // the schedule holds a zero, as before
	}
	if pr.bp.IsUint64() && pr.bq.IsUint64() && pr.bp.Uint64() <= math.MaxInt64 && pr.bq.Uint64() <= math.MaxInt64 {
		pr.p, pr.q, pr.small = pr.bp.Uint64(), pr.bq.Uint64(), true
		pr.invQ = 1 / float64(pr.q)
		pr.floatFactor()
	}
	return pr, nil
}

// floatFactor sets fac and facErr for a small rate i = p/q > 0, p and q
// below 2^53, with the error model of the CET fast path (see cetLower):
//
//   - i_f = fl(p/q) = i·(1+θ1); x = fl(1+i_f) = (1+i)·(1+θ2), since
//     i·δ/(1+i) is at most one unit roundoff;
//   - F̂ = x^n by binary powering with c roundings: F·(1+θ_m), m = 2n+c,
//     so |F̂ − F| ≤ eF = 4(m+4)·2^−53·F̂;
//   - D̂ = fl(F̂−1) and |D̂ − (F−1)| ≤ eD = eF + 2^−52·D̂;
//   - fac = fl(fl(i_f·F̂)/D̂), two more roundings.
//
// facErr bounds the relative error of fac with a factor 2 to spare.
func (pr *priceRate) floatFactor() {
	const u = 0x1p-53
	if pr.p == 0 || pr.p >= 1<<53 || pr.q >= 1<<53 {
		return
	}
	iF := float64(pr.p) / float64(pr.q)
	f, c := powCount(1+iF, pr.n)
	if !(f < 0x1p1000) {
		return
	}
	m := 2*pr.n + c
	eF := 4 * float64(m+4) * u * f
	d := f - 1
	eD := eF + 2*u*d
	if !(d > 0 && eD < d/4) {
		return
	}
	relD := eD / (d - eD)
	pr.fac = iF * f / d
	pr.facErr = 2 * (8*u + 2*float64(m+4)*u + 2*relD)
}

// exactFactor sets num and den.
func (pr *priceRate) exactFactor() {
	pr.exact = true
	if pr.bp.Sign() == 0 {
		pr.num.SetInt64(1)
		pr.den.SetInt64(int64(pr.n))
		return
	}
	var nn big.Int
	nn.SetInt64(int64(pr.n))
	pr.t.Add(pr.bq, pr.bp)    // q+p
	pr.r.Exp(&pr.t, &nn, nil) // A = (q+p)^n
	pr.t.Exp(pr.bq, &nn, nil) // B = q^n
	pr.t.Sub(&pr.r, &pr.t)    // A − B > 0
	pr.den.Mul(&pr.t, pr.bq)  // q·(A − B)
	pr.num.Mul(&pr.r, pr.bp)  // p·A
}

// pmt returns PMT for principal, rounded half-up. The float64 factor
// decides it when PV·fac, with its error bound, lies strictly inside one
// rounding cell (k−½, k+½) of centavos; otherwise the exact factor does.
func (pr *priceRate) pmt(principal Cents) (Cents, error) {
	if pr.facErr > 0 && principal < 1<<53 {
		// PV is exact; one more rounding for the product; v·2^−50 also
		// covers the rounding of v ± e.
		v := float64(principal) * pr.fac
		e := 2*v*(pr.facErr+0x1p-52) + v*0x1p-50 + 0x1p-30
		if k := math.Round(v); v < 1<<40 && v-e > k-0.5 && v+e < k+0.5 {
			return Cents(k), nil
		}
	}
	if !pr.exact {
		pr.exactFactor()
	}
	var pv big.Int
	pr.t.Mul(&pr.num, pv.SetInt64(int64(principal)))
	return roundHalfUpInt(&pr.t, &pr.den, &pr.r)
}

// interest returns round_half_up(balance·i) for balance ≥ 0.
func (pr *priceRate) interest(balance Cents) (Cents, error) {
	if pr.small {
		hi, lo := bits.Mul64(uint64(balance), pr.p)
		var quo, rem uint64
		switch {
		case hi == 0 && pr.q < 1<<61 && lo>>50 < pr.q:
			// lo/q < 2^51, so the float64 quotient (relative error below
			// 2^−51) is within 3 of the exact one, and |lo − quo·q| < 4q
			// fits an int64: the remainder corrects it exactly, avoiding a
			// hardware division.
			quo = uint64(float64(lo) * pr.invQ)
			r := int64(lo - quo*pr.q) // the exact remainder is small: no overflow
			for r < 0 {
				quo, r = quo-1, r+int64(pr.q)
			}
			for r >= int64(pr.q) {
				quo, r = quo+1, r-int64(pr.q)
			}
			rem = uint64(r)
		case hi < pr.q:
			quo, rem = bits.Div64(hi, lo, pr.q)
		default:
			// Only reachable for a rate ≥ 100% on an enormous balance.
			return RoundHalfUp(new(big.Rat).Mul(balance.Rat(), pr.rate.rat()))
		}
		if rem >= pr.q-rem { // 2·rem ≥ q: the half rounds up
			quo++
		}
		if quo <= math.MaxInt64 {
			return Cents(quo), nil
		}
		return RoundHalfUp(new(big.Rat).Mul(balance.Rat(), pr.rate.rat()))
	}
	var b big.Int
	pr.t.Mul(b.SetInt64(int64(balance)), pr.bp)
	return roundHalfUpInt(&pr.t, pr.bq, &pr.r)
}

// roundHalfUpInt returns num/den (den > 0) rounded half away from zero,
// exactly as RoundHalfUp (errors included); num is overwritten and rem is
// scratch.
func roundHalfUpInt(num, den, rem *big.Int) (Cents, error) {
	neg := num.Sign() < 0
	num.Abs(num)
	num.QuoRem(num, den, rem)
	rem.Lsh(rem, 1)
	up := rem.Cmp(den) >= 0
	if up {
		num.Add(num, bigOne)
	}
	if neg {
		num.Neg(num)
	}
	if !num.IsInt64() {
		// Rebuild the exact value for RoundHalfUp's message.
		num.Abs(num)
		if up {
			num.Sub(num, bigOne)
		}
		num.Mul(num, den)
		num.Add(num, rem.Rsh(rem, 1))
		if neg {
			num.Neg(num)
		}
		return 0, fmt.Errorf("finmath: amount %s centavos overflows int64", new(big.Rat).SetFrac(num, den).FloatString(2))
	}
	return Cents(num.Int64()), nil
}

var bigOne = big.NewInt(1)

// walk runs the rows of the Price schedule of principal with installment
// pmt and returns the totals in s. It stores the rows in rows if that is
// not nil (len n) and, if w is not nil, adds to w each amortization
// weighted by the days to its due date, days[k] (≥ 0).
func (pr *priceRate) walk(principal, pmt Cents, s *Schedule, rows []Row, days []int, w *dayWeight) error {
	balance := principal
	for k := 1; k <= pr.n; k++ {
		interest, err := pr.interest(balance)
		if err != nil {
			return err
		}
		amort := pmt - interest
		if k == pr.n {
			amort = balance
		}
		if amort > balance {
			return fmt.Errorf("%w: the balance of %s at %s a.m. in %d would go negative at installment %d (rate × term beyond what centavo rounding allows)",
				ErrInvalidSchedule, principal, pr.rate, pr.n, k)
		}
		balance -= amort
		row := Row{Number: k, Installment: interest + amort, Interest: interest, Amortization: amort, Balance: balance}
		if rows != nil {
			rows[k-1] = row
		}
		if w != nil {
			w.add(amort, days[k-1])
		}
		s.TotalPaid += row.Installment
		s.TotalInterest += row.Interest
		s.TotalAmortization += row.Amortization
	}
	return nil
}

// schedule returns the Price schedule of principal.
func (pr *priceRate) schedule(principal Cents) (Schedule, error) {
	pmt, err := pr.pmt(principal)
	if err != nil {
		return Schedule{}, err
	}
	s := Schedule{Principal: principal, Rate: pr.rate, PMT: pmt, Rows: make([]Row, pr.n)}
	if err := pr.walk(principal, pmt, &s, s.Rows, nil, nil); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// Amortizations pairs each row's amortization with the due date at the same
// index, as input to IOF. It returns an error if len(dues) differs from the
// number of rows.
func (s Schedule) Amortizations(dues []Date) ([]Amortization, error) {
	if len(dues) != len(s.Rows) {
		return nil, fmt.Errorf("finmath: %d due dates for %d installments", len(dues), len(s.Rows))
	}
	out := make([]Amortization, len(dues))
	for k, row := range s.Rows {
		out[k] = Amortization{Due: dues[k], Amount: row.Amortization}
	}
	return out, nil
}

// Flows pairs each row's installment with the due date at the same index, as
// input to CET. It returns an error if len(dues) differs from the number of
// rows.
func (s Schedule) Flows(dues []Date) ([]Flow, error) {
	if len(dues) != len(s.Rows) {
		return nil, fmt.Errorf("finmath: %d due dates for %d installments", len(dues), len(s.Rows))
	}
	out := make([]Flow, len(dues))
	for k, row := range s.Rows {
		out[k] = Flow{Date: dues[k], Amount: row.Installment}
	}
	return out, nil
}
