package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dinie-oss/dinie/webhook/webhooktest"
	"github.com/google/go-cmp/cmp"
)

// Vector P6 (Standard Webhooks spec test vector, docs: domain.md).
const (
	p6Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	p6ID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	p6TS     = int64(1614265330)
	p6Body   = `{"test": 2432232314}`
	p6Sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// signedHeader signs body and returns the headers of the delivery.
func signedHeader(t testing.TB, secrets []string, id string, ts int64, body []byte) http.Header {
	t.Helper()
	sig, err := Sign(secrets, id, ts, body)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	h := http.Header{}
	Headers{ID: id, Timestamp: ts, Signature: sig}.Apply(h)
	return h
}

func TestSignVectorP6(t *testing.T) {
	t.Parallel()
	got, err := Sign([]string{p6Secret}, p6ID, p6TS, []byte(p6Body))
	if err != nil {
		t.Fatal(err)
	}
	if got != p6Sig {
		t.Errorf("Sign(P6) = %q, want %q", got, p6Sig)
	}
	key, err := DecodeSecret(p6Secret)
	if err != nil || len(key) != 24 {
		t.Errorf("DecodeSecret(P6) = %d bytes, %v; want 24 bytes", len(key), err)
	}
}

func TestVerifyVectorP6(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	Headers{ID: p6ID, Timestamp: p6TS, Signature: p6Sig}.Apply(h)
	tests := []struct {
		offset time.Duration
		want   error
	}{
		{0, nil},
		{300 * time.Second, nil},
		{-300 * time.Second, nil},
		{300*time.Second + 999*time.Millisecond, nil}, // same Unix second as +300
		{301 * time.Second, ErrTimestampOutOfTolerance},
		{-301 * time.Second, ErrTimestampOutOfTolerance},
		{-300*time.Second - time.Millisecond, ErrTimestampOutOfTolerance}, // Unix second -301
		{24 * time.Hour, ErrTimestampOutOfTolerance},
	}
	for _, tt := range tests {
		t.Run(tt.offset.String(), func(t *testing.T) {
			t.Parallel()
			now := time.Unix(p6TS, 0).Add(tt.offset)
			if err := Verify([]string{p6Secret}, h, []byte(p6Body), now); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify(P6, now=ts%+v) = %v, want %v", tt.offset, err, tt.want)
			}
		})
	}
}

func TestSign(t *testing.T) {
	t.Parallel()
	s1, s2 := NewSecret(), NewSecret()
	one1, err := Sign([]string{s1}, "evt_1", 1700000000, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	one2, err := Sign([]string{s2}, "evt_1", 1700000000, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	both, err := Sign([]string{s2, s1}, "evt_1", 1700000000, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if want := one2 + " " + one1; both != want {
		t.Errorf("Sign(two secrets) = %q, want %q (the given order, one space)", both, want)
	}
	if !strings.HasPrefix(one1, "v1,") || len(one1) != len("v1,")+44 {
		t.Errorf("Sign = %q, want v1, and 44 base64 characters", one1)
	}

	tests := []struct {
		name    string
		secrets []string
		id      string
		want    error
	}{
		{"no secrets", nil, "evt_1", ErrNoSecrets},
		{"empty secrets", []string{}, "evt_1", ErrNoSecrets},
		{"invalid secret", []string{s1, "whsec_%%%"}, "evt_1", ErrInvalidSecret},
		{"empty secret key", []string{"whsec_"}, "evt_1", ErrInvalidSecret},
		{"dot in id", []string{s1}, "evt.1", ErrInvalidMessageID},
		{"empty id", []string{s1}, "", ErrInvalidMessageID},
		{"space in id", []string{s1}, "evt 1", ErrInvalidMessageID},
		{"newline in id", []string{s1}, "evt_1\r\nX-Evil: 1", ErrInvalidMessageID},
		{"unicode id is fine", []string{s1}, "evt_ção", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sign(tt.secrets, tt.id, 1700000000, []byte("{}"))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Sign() error = %v, want %v", err, tt.want)
			}
			if err != nil && got != "" {
				t.Errorf("Sign() = %q with an error, want empty", got)
			}
		})
	}
}

func TestHeadersApply(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("Webhook-Id", "old")             // canonical spelling, to be replaced
	h["WEBHOOK-SIGNATURE"] = []string{"x"} // odd spelling, to be replaced
	h.Set("Content-Type", "application/json")
	Headers{ID: "evt_1", Timestamp: 1614265330, Signature: "v1,abc v1,def"}.Apply(h)
	want := http.Header{
		"webhook-id":        {"evt_1"},
		"webhook-timestamp": {"1614265330"},
		"webhook-signature": {"v1,abc v1,def"},
		"Content-Type":      {"application/json"},
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("Apply() header mismatch (-want +got):\n%s", diff)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret, other := NewSecret(), NewSecret()
	const id = "evt_0123456789abcdef0123456789abcdef"
	body := []byte(`{"id":"evt_0123456789abcdef0123456789abcdef","type":"loan.created"}`)
	now := time.Unix(1775253600, 0)
	ts := now.Unix()
	good, err := Sign([]string{secret}, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := Sign([]string{other}, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	goodValue := strings.TrimPrefix(good, "v1,")

	// hdr builds headers with lower-case names; an empty value is left out.
	hdr := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{HeaderID: id, HeaderTimestamp: ts, HeaderSignature: sig} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		return h
	}
	tsText := strconv.FormatInt(ts, 10)
	canonical := http.Header{}
	canonical.Set("Webhook-Id", id)
	canonical.Set("Webhook-Timestamp", tsText)
	canonical.Set("Webhook-Signature", good)
	upper := http.Header{"WEBHOOK-ID": {id}, "WEBHOOK-TIMESTAMP": {tsText}, "WEBHOOK-SIGNATURE": {good}}
	emptyValues := http.Header{HeaderID: {""}, HeaderTimestamp: {tsText}, HeaderSignature: {good}}

	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		body    []byte
		want    error
	}{
		{"valid", []string{secret}, hdr(id, tsText, good), body, nil},
		{"canonical header names", []string{secret}, canonical, body, nil},
		{"upper-case header names", []string{secret}, upper, body, nil},
		{"wrong secret", []string{other}, hdr(id, tsText, good), body, ErrNoMatchingSignature},
		{"tampered body", []string{secret}, hdr(id, tsText, good), append([]byte(body[:len(body):len(body)]), ' '), ErrNoMatchingSignature},
		{"empty body", []string{secret}, hdr(id, tsText, good), nil, ErrNoMatchingSignature},
		{"tampered id", []string{secret}, hdr(id+"0", tsText, good), body, ErrNoMatchingSignature},
		{"tampered timestamp", []string{secret}, hdr(id, strconv.FormatInt(ts-1, 10), good), body, ErrNoMatchingSignature},
		{"missing webhook-id", []string{secret}, hdr("", tsText, good), body, ErrMissingHeaders},
		{"missing webhook-timestamp", []string{secret}, hdr(id, "", good), body, ErrMissingHeaders},
		{"missing webhook-signature", []string{secret}, hdr(id, tsText, ""), body, ErrMissingHeaders},
		{"no headers", []string{secret}, http.Header{}, body, ErrMissingHeaders},
		{"nil header", []string{secret}, nil, body, ErrMissingHeaders},
		{"empty header value", []string{secret}, emptyValues, body, ErrMissingHeaders},
		{"blank signature", []string{secret}, hdr(id, tsText, "   "), body, ErrMissingHeaders},
		{"timestamp not a number", []string{secret}, hdr(id, "abc", good), body, ErrInvalidTimestamp},
		{"timestamp with fraction", []string{secret}, hdr(id, tsText+".5", good), body, ErrInvalidTimestamp},
		{"timestamp with suffix", []string{secret}, hdr(id, tsText+"s", good), body, ErrInvalidTimestamp},
		{"timestamp overflows", []string{secret}, hdr(id, "99999999999999999999", good), body, ErrInvalidTimestamp},
		{"timestamp too old", []string{secret}, hdr(id, strconv.FormatInt(ts-301, 10), good), body, ErrTimestampOutOfTolerance},
		{"timestamp too new", []string{secret}, hdr(id, strconv.FormatInt(ts+301, 10), good), body, ErrTimestampOutOfTolerance},
		{"timestamp minimum int64", []string{secret}, hdr(id, "-9223372036854775808", good), body, ErrTimestampOutOfTolerance},
		{"timestamp maximum int64", []string{secret}, hdr(id, "9223372036854775807", good), body, ErrTimestampOutOfTolerance},
		{"rotation: only the second signature matches", []string{secret}, hdr(id, tsText, bad+" "+good), body, nil},
		{"rotation: only the first signature matches", []string{secret}, hdr(id, tsText, good+" "+bad), body, nil},
		{"rotation: two secrets, first matches", []string{secret, other}, hdr(id, tsText, good), body, nil},
		{"rotation: two secrets, second matches", []string{other, secret}, hdr(id, tsText, good), body, nil},
		{"rotation: two secrets, none matches", []string{other, NewSecret()}, hdr(id, tsText, "v1,"+goodValue[:43]+"A"), body, ErrNoMatchingSignature},
		{"non-v1 token with the right value is ignored", []string{secret}, hdr(id, tsText, "v1a,"+goodValue), body, ErrNoMatchingSignature},
		{"non-v1 tokens around a v1 token", []string{secret}, hdr(id, tsText, "v2,xyz v1a,"+goodValue+" "+good+" v0,abc"), body, nil},
		{"token without a version", []string{secret}, hdr(id, tsText, goodValue), body, ErrNoMatchingSignature},
		{"upper-case version", []string{secret}, hdr(id, tsText, "V1,"+goodValue), body, ErrNoMatchingSignature},
		{"signature without padding", []string{secret}, hdr(id, tsText, strings.TrimRight(good, "=")), body, ErrNoMatchingSignature},
		{"truncated signature", []string{secret}, hdr(id, tsText, good[:len(good)-2]), body, ErrNoMatchingSignature},
		{"extra spaces", []string{secret}, hdr(id, tsText, "  "+bad+"    "+good+"  "), body, nil},
		{"tabs between tokens", []string{secret}, hdr(id, tsText, bad+"\t"+good), body, nil},
		{"spaces around the timestamp", []string{secret}, hdr(id, " "+tsText+" ", good), body, nil},
		{"no secrets", nil, hdr(id, tsText, good), body, ErrNoSecrets},
		{"invalid secret", []string{secret, "whsec_not base64!"}, hdr(id, tsText, good), body, ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tt.secrets, tt.header, tt.body, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyWithTolerance(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	const ts = int64(1775253600)
	h := signedHeader(t, []string{secret}, "evt_1", ts, []byte("{}"))
	tests := []struct {
		tolerance time.Duration
		offset    int64
		want      error
	}{
		{10 * time.Second, 10, nil},
		{10 * time.Second, -10, nil},
		{10 * time.Second, 11, ErrTimestampOutOfTolerance},
		{10 * time.Second, -11, ErrTimestampOutOfTolerance},
		{10*time.Second + 900*time.Millisecond, 11, ErrTimestampOutOfTolerance}, // whole seconds
		{0, 0, nil},
		{0, 1, ErrTimestampOutOfTolerance},
		{-time.Hour, 0, nil}, // negative counts as zero
		{-time.Hour, -1, ErrTimestampOutOfTolerance},
		{48 * time.Hour, 36 * 3600, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%+d", tt.tolerance, tt.offset), func(t *testing.T) {
			t.Parallel()
			err := VerifyWithTolerance([]string{secret}, h, []byte("{}"), time.Unix(ts+tt.offset, 0), tt.tolerance)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifyWithTolerance() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyErrorsCarryDetail(t *testing.T) {
	t.Parallel()
	err := Verify([]string{NewSecret()}, http.Header{HeaderID: {"evt_1"}}, nil, time.Now())
	if !errors.Is(err, ErrMissingHeaders) {
		t.Fatalf("Verify() = %v, want ErrMissingHeaders", err)
	}
	if msg := err.Error(); !strings.Contains(msg, HeaderTimestamp) || !strings.Contains(msg, HeaderSignature) || strings.Contains(msg, HeaderID+",") {
		t.Errorf("Verify() error %q should name exactly the missing headers", msg)
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 20 {
		s := NewSecret()
		if !strings.HasPrefix(s, SecretPrefix) {
			t.Fatalf("NewSecret() = %q, want prefix %q", s, SecretPrefix)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
		if err != nil || len(raw) != 32 {
			t.Fatalf("NewSecret() = %q: standard base64 decodes to %d bytes (%v), want 32", s, len(raw), err)
		}
		key, err := DecodeSecret(s)
		if err != nil || string(key) != string(raw) {
			t.Fatalf("DecodeSecret(NewSecret()) = %x, %v; want %x", key, err, raw)
		}
		if seen[s] {
			t.Fatalf("NewSecret() repeated %q", s)
		}
		seen[s] = true

		body := []byte(`{"type":"customer.created"}`)
		h := signedHeader(t, []string{s}, "evt_x", 1775253600, body)
		if err := Verify([]string{s}, h, body, time.Unix(1775253600, 0)); err != nil {
			t.Fatalf("Verify(Sign(NewSecret())) = %v", err)
		}
	}
}

func TestDecodeSecret(t *testing.T) {
	t.Parallel()
	p6Key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(p6Secret, SecretPrefix))
	tests := []struct {
		name   string
		secret string
		want   []byte
		err    error
	}{
		{"P6", p6Secret, p6Key, nil},
		{"without prefix", strings.TrimPrefix(p6Secret, SecretPrefix), p6Key, nil},
		{"padded", "whsec_YWJjZA==", []byte("abcd"), nil},
		{"missing padding", "whsec_YWJjZA", []byte("abcd"), nil},
		{"one padding character of two", "whsec_YWJjZA=", []byte("abcd"), nil},
		{"one byte", "whsec_AA==", []byte{0}, nil},
		{"empty", "", nil, ErrInvalidSecret},
		{"prefix only", "whsec_", nil, ErrInvalidSecret},
		{"padding only", "whsec_====", nil, ErrInvalidSecret},
		{"not base64", "whsec_hello world!", nil, ErrInvalidSecret},
		{"url-safe alphabet", "whsec_-_-_", nil, ErrInvalidSecret},
		{"impossible length", "whsec_YWJjZ", nil, ErrInvalidSecret},
		{"placeholder from the SDK docs is valid base64", "whsec_a1b2c3d4", []byte{0x6b, 0x56, 0xf6, 0x73, 0x77, 0x78}, nil},
		{"double prefix", "whsec_whsec_YWJjZA==", nil, ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeSecret(tt.secret)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("DecodeSecret(%q) error = %v, want %v", tt.secret, err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeSecret(%q) mismatch (-want +got):\n%s", tt.secret, diff)
			}
		})
	}
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	want := []string{
		"customer.created", "customer.under_review", "customer.active", "customer.denied",
		"customer.kyc_updated", "credit_offer.available", "credit_offer.expired", "loan.created",
		"loan.signature_received", "loan.processing", "loan.active", "loan.payment_received",
		"loan.finished", "loan.cancelled", "loan.error",
	}
	if diff := cmp.Diff(want, EventTypes); diff != "" {
		t.Errorf("EventTypes mismatch (-want +got):\n%s", diff)
	}
	for _, et := range EventTypes {
		if !IsEventType(et) || !ValidFilter(et) || !Matches([]string{et}, et) {
			t.Errorf("%q: IsEventType, ValidFilter or Matches is false", et)
		}
		group, _, _ := strings.Cut(et, ".")
		if !ValidFilter(group+".*") || !Matches([]string{group + ".*"}, et) {
			t.Errorf("%q: its group wildcard %q is not valid or does not match", et, group+".*")
		}
	}
	for _, s := range []string{"", "loan", "loan.*", "*", "Loan.created", "loan.created ", "loan.disbursed"} {
		if IsEventType(s) {
			t.Errorf("IsEventType(%q) = true", s)
		}
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filters   []string
		eventType string
		want      bool
	}{
		{nil, "loan.created", true},
		{[]string{}, "customer.active", true},
		{[]string{"*"}, "loan.error", true},
		{[]string{"loan.created"}, "loan.created", true},
		{[]string{"loan.created"}, "loan.active", false},
		{[]string{"customer.active", "loan.created"}, "loan.created", true},
		{[]string{"loan.*"}, "loan.created", true},
		{[]string{"loan.*"}, "loan.payment_received", true},
		{[]string{"loan.*"}, "loans.created", false},
		{[]string{"loan.*"}, "loan", false},
		{[]string{"loan.*"}, "loan.", false},
		{[]string{"loan.*"}, "customer.created", false},
		{[]string{"loan.*"}, "credit_offer.available", false},
		{[]string{"customer.*", "credit_offer.*"}, "credit_offer.expired", true},
		{[]string{"customer.*", "credit_offer.*"}, "loan.active", false},
		{[]string{"loan*"}, "loan.created", false},
		{[]string{"loan."}, "loan.created", false},
		{[]string{"*.created"}, "loan.created", false},
		{[]string{"LOAN.*"}, "loan.created", false},
		{[]string{""}, "loan.created", false},
		{[]string{"", "*"}, "loan.created", true},
		{[]string{".*"}, "loan.created", false},
		{[]string{"loan.created"}, "", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%s", tt.filters, tt.eventType), func(t *testing.T) {
			t.Parallel()
			if got := Matches(tt.filters, tt.eventType); got != tt.want {
				t.Errorf("Matches(%q, %q) = %v, want %v", tt.filters, tt.eventType, got, tt.want)
			}
		})
	}
}

func TestValidFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		filter string
		want   bool
	}{
		{"*", true},
		{"customer.*", true},
		{"credit_offer.*", true},
		{"loan.*", true},
		{"loan.created", true},
		{"credit_offer.expired", true},
		{"customer.kyc_updated", true},
		{"", false},
		{"**", false},
		{"loan", false},
		{"loan.", false},
		{"loan*", false},
		{"loans.*", false},
		{"payment.*", false},
		{"loan.disbursed", false},
		{"Loan.created", false},
		{" loan.created", false},
		{"loan.created.*", false},
		{"*.created", false},
		{".*", false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			t.Parallel()
			if got := ValidFilter(tt.filter); got != tt.want {
				t.Errorf("ValidFilter(%q) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	const h, m, s = time.Hour, time.Minute, time.Second
	nominal := []time.Duration{5 * s, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h}
	type tc struct {
		attempt int
		rnd     float64
		want    time.Duration
		ok      bool
	}
	var tests []tc
	for i, d := range nominal {
		tests = append(tests,
			tc{i + 1, 0, d * 9 / 10, true},
			tc{i + 1, 0.5, d, true},
			tc{i + 1, 0.999, d * 10998 / 10000, true},
		)
	}
	tests = append(tests,
		tc{1, 0, 4500 * time.Millisecond, true},
		tc{1, 0.999, 5499 * time.Millisecond, true},
		tc{7, 0.999, 39592800 * time.Millisecond, true},
		tc{8, 0.5, 0, false}, // the 8th attempt was the last
		tc{9, 0.5, 0, false},
		tc{1000, 0.5, 0, false},
		tc{0, 0.5, 0, true}, // nothing attempted yet: go now
		tc{-1, 0.5, 0, true},
		tc{1, -3, 4500 * time.Millisecond, true}, // clamped
		tc{1, 7, 5500 * time.Millisecond, true},  // clamped
	)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("attempt%d/rnd%v", tt.attempt, tt.rnd), func(t *testing.T) {
			t.Parallel()
			got, ok := RetryDelay(tt.attempt, func() float64 { return tt.rnd })
			if ok != tt.ok || (got-tt.want).Abs() > time.Microsecond {
				t.Errorf("RetryDelay(%d, %v) = %v, %v; want %v, %v", tt.attempt, tt.rnd, got, ok, tt.want, tt.ok)
			}
		})
	}

	t.Run("nil rnd means no jitter", func(t *testing.T) {
		t.Parallel()
		if got, ok := RetryDelay(3, nil); got != 30*m || !ok {
			t.Errorf("RetryDelay(3, nil) = %v, %v; want 30m, true", got, ok)
		}
	})
	t.Run("whole schedule", func(t *testing.T) {
		t.Parallel()
		var total time.Duration
		attempts := 1
		for {
			d, ok := RetryDelay(attempts, nil)
			if !ok {
				break
			}
			total += d
			attempts++
		}
		if attempts != MaxAttempts || total != 27*h+35*m+5*s {
			t.Errorf("schedule: %d attempts over %v, want %d over 27h35m5s", attempts, total, MaxAttempts)
		}
	})
	t.Run("random jitter stays within 10%", func(t *testing.T) {
		t.Parallel()
		r := rand.New(rand.NewPCG(1, 2))
		for range 1000 {
			attempt := 1 + r.IntN(MaxAttempts-1)
			d, ok := RetryDelay(attempt, r.Float64)
			n := nominal[attempt-1]
			if !ok || d < n*9/10 || d > n*11/10 {
				t.Fatalf("RetryDelay(%d) = %v, %v; want within 10%% of %v", attempt, d, ok, n)
			}
		}
	})
}

func TestRetryAfterDelay(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		value []string // nil: no header
		want  time.Duration
		ok    bool
	}{
		{"absent", nil, 0, false},
		{"empty", []string{""}, 0, false},
		{"seconds", []string{"120"}, 2 * time.Minute, true},
		{"zero", []string{"0"}, 0, true},
		{"spaces", []string{"  30 "}, 30 * time.Second, true},
		{"negative seconds", []string{"-5"}, 0, true},
		{"capped seconds", []string{"86401"}, 24 * time.Hour, true},
		{"exactly 24 h", []string{"86400"}, 24 * time.Hour, true},
		{"overflowing seconds", []string{"999999999999999999999999"}, 24 * time.Hour, true},
		{"fraction", []string{"1.5"}, 0, false},
		{"garbage", []string{"soon"}, 0, false},
		{"sign only", []string{"-"}, 0, false},
		{"IMF-fixdate", []string{"Fri, 03 Apr 2026 12:10:00 GMT"}, 10 * time.Minute, true},
		{"RFC 850 date", []string{"Friday, 03-Apr-26 12:00:30 GMT"}, 30 * time.Second, true},
		{"asctime date", []string{"Fri Apr  3 13:00:00 2026"}, time.Hour, true},
		{"date in the past", []string{"Fri, 03 Apr 2026 11:00:00 GMT"}, 0, true},
		{"date far ahead", []string{"Fri, 10 Apr 2026 12:00:00 GMT"}, 24 * time.Hour, true},
		{"first of several values", []string{"10", "20"}, 10 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.value != nil {
				h["Retry-After"] = tt.value
			}
			got, ok := RetryAfterDelay(h, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfterDelay(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(p6ID, strconv.FormatInt(p6TS, 10), p6Sig, []byte(p6Body), p6TS)
	f.Add("", "", "", []byte{}, int64(0))
	f.Add("evt.1", "-1", "v1, v1,,, ,v1 v1a,xx", []byte("\xff\x00"), int64(-1))
	f.Add("evt_1", "9223372036854775807", "v1,"+strings.Repeat("A", 44), []byte("{}"), int64(1<<62))
	secrets := []string{NewSecret(), NewSecret()}
	f.Fuzz(func(t *testing.T, id, tsText, sig string, body []byte, ts int64) {
		// Arbitrary headers: never panic; only a signature can make it pass.
		h := http.Header{HeaderID: {id}, HeaderTimestamp: {tsText}, "Webhook-Signature": {sig}}
		now := time.Unix(ts%(1<<40), 0)
		for _, tol := range []time.Duration{0, DefaultTolerance, -1, 1 << 62} {
			if err := VerifyWithTolerance(secrets, h, body, now, tol); err == nil && !strings.Contains(sig, "v1,") {
				t.Fatalf("VerifyWithTolerance accepted signature %q without a v1 token", sig)
			}
		}

		// Sign's output for this body always verifies, with either secret of
		// a rotation, and is refused outside the tolerance.
		if checkMessageID(id) != nil {
			id = "evt_fuzz"
		}
		ts %= 1 << 40 // time.Unix round-trips
		signed := signedHeader(t, secrets, id, ts, body)
		at := time.Unix(ts, 0)
		for _, s := range [][]string{secrets, secrets[:1], secrets[1:]} {
			if err := Verify(s, signed, body, at); err != nil {
				t.Fatalf("Verify(Sign(id=%q, ts=%d, body=%q)) = %v", id, ts, body, err)
			}
		}
		if err := Verify(secrets, signed, body, at.Add(DefaultTolerance+time.Second)); !errors.Is(err, ErrTimestampOutOfTolerance) {
			t.Fatalf("Verify(301 s later) = %v, want ErrTimestampOutOfTolerance", err)
		}
		if err := Verify([]string{NewSecret()}, signed, body, at); !errors.Is(err, ErrNoMatchingSignature) {
			t.Fatalf("Verify(other secret) = %v, want ErrNoMatchingSignature", err)
		}
	})
}

func FuzzMatches(f *testing.F) {
	f.Add("loan.*", "*", "loan.created")
	f.Add("", ".*", "loan")
	f.Add("*.*", "loan.", ".")
	f.Fuzz(func(t *testing.T, f1, f2, eventType string) {
		got := Matches([]string{f1, f2}, eventType)
		ValidFilter(f1)
		IsEventType(eventType)
		if !Matches(nil, eventType) || !Matches([]string{"*"}, eventType) || !Matches([]string{eventType}, eventType) {
			t.Fatalf("nil, * or the type itself does not match %q", eventType)
		}
		for _, f := range []string{f1, f2} {
			if !Matches([]string{f}, eventType) || f == "*" || f == eventType {
				continue
			}
			prefix, ok := strings.CutSuffix(f, "*")
			if !ok || !strings.HasSuffix(prefix, ".") || !strings.HasPrefix(eventType, prefix) || len(eventType) == len(prefix) {
				t.Fatalf("Matches([%q], %q) = true, but it is neither * nor a matching prefix wildcard", f, eventType)
			}
		}
		if got != (Matches([]string{f1}, eventType) || Matches([]string{f2}, eventType)) {
			t.Fatalf("Matches of a list is not the OR of its filters")
		}
	})
}

// TestReferenceImplementationAgrees checks our signatures with the Standard
// Webhooks reference JavaScript library (see package webhooktest): deliveries
// we sign must verify there, and tampered ones must not.
func TestReferenceImplementationAgrees(t *testing.T) {
	t.Parallel()
	now := time.Now().Unix()
	oldSecret, newSecret := NewSecret(), NewSecret()
	short := SecretPrefix + base64.StdEncoding.EncodeToString([]byte("short")) // 5-byte key

	seed := uint64(time.Now().UnixNano())
	t.Logf("random bodies seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0x5eed))

	bodies := []string{
		p6Body,
		"{}",
		"",
		`{"id":"evt_test_123","type":"customer.created","api_version":"2026-03-01","created_at":1775253600,"delivery_id":"dlv_test_123","timestamp":1775253600,"data":{"name":"João Silva","trading_name":"Açaí & Cia"}}`,
		"{\"emoji\":\"🚀👩🏽‍💻\",\"cjk\":\"日本語\",\"rtl\":\"مرحبا\",\"combining\":\"e\u0301\"}",
		"{\"controls\":\"\x00\x01\x1f\x7f\",\"separators\":\"\u2028\u2029\",\"html\":\"<script>&amp;</script>\"}",
		"line one\r\nline two\n\ttabbed",
		" {\"leading and trailing space\": true} ",
		largeJSON(2000),
		randomText(r, 300),
		randomText(r, 5000),
	}

	type refCase struct {
		name string
		c    webhooktest.Case
		ok   bool
	}
	var cases []refCase
	add := func(name string, ok bool, receiver []string, h http.Header, body string) {
		cases = append(cases, refCase{name, webhooktest.Case{Secrets: receiver, Header: h, Body: []byte(body)}, ok})
	}
	for i, b := range bodies {
		id := fmt.Sprintf("evt_%032x", r.Uint64())
		add(fmt.Sprintf("body %d", i), true, []string{newSecret}, signedHeader(t, []string{newSecret}, id, now, []byte(b)), b)
	}

	rotation := signedHeader(t, []string{newSecret, oldSecret}, "evt_rotation", now, []byte(bodies[3]))
	add("rotation, receiver holds the new secret", true, []string{newSecret}, rotation, bodies[3])
	add("rotation, receiver holds the old secret", true, []string{oldSecret}, rotation, bodies[3])
	add("rotation, receiver holds both", true, []string{oldSecret, newSecret}, rotation, bodies[3])
	add("P6 secret, current timestamp", true, []string{p6Secret}, signedHeader(t, []string{p6Secret}, p6ID, now, []byte(p6Body)), p6Body)
	add("5-byte key", true, []string{short}, signedHeader(t, []string{short}, "evt_short", now, []byte("{}")), "{}")
	add("timestamp 4 minutes old", true, []string{newSecret}, signedHeader(t, []string{newSecret}, "evt_old", now-240, []byte("{}")), "{}")
	canonical := http.Header{}
	for k, v := range signedHeader(t, []string{newSecret}, "evt_canonical", now, []byte("{}")) {
		canonical.Set(k, v[0])
	}
	add("canonical header names", true, []string{newSecret}, canonical, "{}")
	extra := signedHeader(t, []string{newSecret}, "evt_extra", now, []byte("{}"))
	extra[HeaderSignature] = []string{"v1a,AAAA v1," + strings.Repeat("A", 43) + "= " + extra[HeaderSignature][0]}
	add("non-v1 and wrong tokens before the right one", true, []string{newSecret}, extra, "{}")

	signed := signedHeader(t, []string{newSecret}, "evt_neg", now, []byte(bodies[3]))
	add("tampered body", false, []string{newSecret}, signed, bodies[3]+" ")
	add("wrong secret", false, []string{oldSecret}, signed, bodies[3])
	tamperedID := signedHeader(t, []string{newSecret}, "evt_neg", now, []byte("{}"))
	tamperedID[HeaderID] = []string{"evt_neh"}
	add("tampered id", false, []string{newSecret}, tamperedID, "{}")
	add("stale timestamp", false, []string{newSecret}, signedHeader(t, []string{newSecret}, "evt_stale", now-600, []byte("{}")), "{}")
	add("future timestamp", false, []string{newSecret}, signedHeader(t, []string{newSecret}, "evt_future", now+600, []byte("{}")), "{}")
	noSig := signedHeader(t, []string{newSecret}, "evt_nosig", now, []byte("{}"))
	delete(noSig, HeaderSignature)
	add("missing signature", false, []string{newSecret}, noSig, "{}")
	onlyV1a := signedHeader(t, []string{newSecret}, "evt_v1a", now, []byte("{}"))
	onlyV1a[HeaderSignature] = []string{"v1a," + strings.TrimPrefix(onlyV1a[HeaderSignature][0], "v1,")}
	add("right value under another version", false, []string{newSecret}, onlyV1a, "{}")

	batch := make([]webhooktest.Case, len(cases))
	for i, c := range cases {
		batch[i] = c.c
		// Our own verifier must agree with the expectation too.
		if err := Verify(c.c.Secrets, c.c.Header, c.c.Body, time.Unix(now, 0)); (err == nil) != c.ok {
			t.Errorf("%s: our Verify = %v, want ok=%v", c.name, err, c.ok)
		}
	}
	results := webhooktest.ReferenceVerify(t, batch)
	for i, c := range cases {
		if err := results[i]; (err == nil) != c.ok {
			t.Errorf("%s: standardwebhooks verdict %v, want ok=%v", c.name, err, c.ok)
		} else if err != nil {
			t.Logf("%s: refused as expected: %v", c.name, err)
		}
	}
}

// largeJSON returns a customer.created envelope with n KYC requirements.
func largeJSON(n int) string {
	var b strings.Builder
	b.WriteString(`{"id":"evt_large","type":"customer.created","data":{"name":"Empresa Grande Ltda","kyc":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"requirement_id":"identity_%06d","label":"Documento de identidade nº %d","mandatory":%t,"subject":{"id":"%018d","name":"Sócio %d","subject_type":"partner"}}`, i, i, i%2 == 0, i, i)
	}
	b.WriteString(`]}}`)
	return b.String()
}

// randomText returns n random runes of valid UTF-8, from ASCII to
// supplementary planes (surrogates excluded).
func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		var c rune
		switch r.IntN(4) {
		case 0:
			c = rune(r.IntN(0x80))
		case 1:
			c = 0x80 + rune(r.IntN(0x800-0x80))
		case 2:
			c = 0x800 + rune(r.IntN(0x10000-0x800))
		default:
			c = 0x10000 + rune(r.IntN(0x110000-0x10000))
		}
		if !utf8.ValidRune(c) {
			c = utf8.RuneError
		}
		b.WriteRune(c)
	}
	return b.String()
}
