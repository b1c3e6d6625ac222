package lending_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/lending"
)

var testBanks = map[string]string{
	"001": "Banco do Brasil",
	"033": "Banco Santander (Brasil)",
	"260": "Nu Pagamentos",
	"341": "Itaú Unibanco",
}

func testBankName(id string) (string, bool) {
	n, ok := testBanks[id]
	return n, ok
}

func bankInput(bank, kind, branch, number, digit string) lending.BankAccountInput {
	return lending.BankAccountInput{BankID: &bank, Kind: &kind, Branch: &branch, Number: &number, Digit: &digit}
}

func TestNewBankAccount(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureMEI)
	at := custNow.Add(time.Hour)
	got, err := lending.NewBankAccount(c, bankInput("1", "checking", "1", "12345", "x"), testBankName, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	wantAt := at.UTC().Truncate(time.Microsecond)
	want := lending.BankAccount{ID: got.ID, Scope: c.Scope, CustomerID: c.ID, BankID: "001", BankName: "Banco do Brasil",
		Kind: lending.AccountChecking, Branch: "0001", Number: "12345", Digit: "X", CreatedAt: wantAt, UpdatedAt: wantAt}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NewBankAccount (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`^ba_[0-9a-f]{32}$`).MatchString(got.ID) {
		t.Errorf("id %q", got.ID)
	}

	tests := []struct {
		in                                   lending.BankAccountInput
		bank, name, kind, branch, num, digit string
	}{
		{bankInput("260", "payment", "0001", "0000123", "0"), "260", "Nu Pagamentos", "payment", "0001", "0000123", "0"},
		{bankInput(" 33 ", " saving ", " 12 ", " 9 ", " 7 "), "033", "Banco Santander (Brasil)", "saving", "0012", "9", "7"},
		{bankInput("001", "checking", "1234", strings.Repeat("9", 20), "X"), "001", "Banco do Brasil", "checking", "1234", strings.Repeat("9", 20), "X"},
		{bankInput("341", "checking", "0", "1", "9"), "341", "Itaú Unibanco", "checking", "0000", "1", "9"},
	}
	for _, tt := range tests {
		got, err := lending.NewBankAccount(c, tt.in, testBankName, nil, at)
		if err != nil {
			t.Errorf("%+v: %v", tt, err)
			continue
		}
		if got.BankID != tt.bank || got.BankName != tt.name || string(got.Kind) != tt.kind || got.Branch != tt.branch ||
			got.Number != tt.num || got.Digit != tt.digit {
			t.Errorf("NewBankAccount = %+v, want %s %s %s %s %s %s", got, tt.bank, tt.name, tt.kind, tt.branch, tt.num, tt.digit)
		}
	}

	// Any customer but a denied one may link an account.
	for _, st := range []lending.CustomerStatus{lending.CustomerCreating, lending.CustomerUnderReview, lending.CustomerActive} {
		if _, err := lending.NewBankAccount(withStatus(c, st), bankInput("1", "checking", "1", "1", "1"), testBankName, nil, at); err != nil {
			t.Errorf("%s customer: %v", st, err)
		}
	}
}

func TestNewBankAccountInvalid(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureMEI)
	ok := func(edit func(*lending.BankAccountInput)) lending.BankAccountInput {
		in := bankInput("001", "checking", "1234", "56789", "0")
		edit(&in)
		return in
	}
	tests := []struct {
		name  string
		in    lending.BankAccountInput
		code  lending.Code
		param string
	}{
		{"unknown bank", ok(func(in *lending.BankAccountInput) { in.BankID = ptr("999") }), lending.CodeUnknownBank, "bank_account.bank_id"},
		{"unknown padded bank", ok(func(in *lending.BankAccountInput) { in.BankID = ptr("2") }), lending.CodeUnknownBank, "bank_account.bank_id"},
		{"bank of 4 digits", ok(func(in *lending.BankAccountInput) { in.BankID = ptr("0001") }), lending.CodeUnknownBank, "bank_account.bank_id"},
		{"bank with letters", ok(func(in *lending.BankAccountInput) { in.BankID = ptr("BB") }), lending.CodeUnknownBank, "bank_account.bank_id"},
		{"negative bank", ok(func(in *lending.BankAccountInput) { in.BankID = ptr("-1") }), lending.CodeUnknownBank, "bank_account.bank_id"},
		{"zero bank", ok(func(in *lending.BankAccountInput) { in.BankID = ptr("0") }), lending.CodeUnknownBank, "bank_account.bank_id"},
		{"no bank", ok(func(in *lending.BankAccountInput) { in.BankID = nil }), lending.CodeMissingRequiredField, "bank_account.bank_id"},
		{"blank bank", ok(func(in *lending.BankAccountInput) { in.BankID = ptr(" ") }), lending.CodeMissingRequiredField, "bank_account.bank_id"},
		{"unknown kind", ok(func(in *lending.BankAccountInput) { in.Kind = ptr("current") }), lending.CodeInvalidField, "bank_account.kind"},
		{"capitalised kind", ok(func(in *lending.BankAccountInput) { in.Kind = ptr("Checking") }), lending.CodeInvalidField, "bank_account.kind"},
		{"no kind", ok(func(in *lending.BankAccountInput) { in.Kind = nil }), lending.CodeMissingRequiredField, "bank_account.kind"},
		{"long branch", ok(func(in *lending.BankAccountInput) { in.Branch = ptr("12345") }), lending.CodeInvalidField, "bank_account.branch"},
		{"branch with check digit", ok(func(in *lending.BankAccountInput) { in.Branch = ptr("1234-5") }), lending.CodeInvalidField, "bank_account.branch"},
		{"branch with letters", ok(func(in *lending.BankAccountInput) { in.Branch = ptr("12a") }), lending.CodeInvalidField, "bank_account.branch"},
		{"no branch", ok(func(in *lending.BankAccountInput) { in.Branch = ptr("") }), lending.CodeMissingRequiredField, "bank_account.branch"},
		{"number with dash", ok(func(in *lending.BankAccountInput) { in.Number = ptr("12345-6") }), lending.CodeInvalidField, "bank_account.number"},
		{"zero number", ok(func(in *lending.BankAccountInput) { in.Number = ptr("0000") }), lending.CodeInvalidField, "bank_account.number"},
		{"long number", ok(func(in *lending.BankAccountInput) { in.Number = ptr(strings.Repeat("1", 21)) }), lending.CodeInvalidField, "bank_account.number"},
		{"no number", ok(func(in *lending.BankAccountInput) { in.Number = nil }), lending.CodeMissingRequiredField, "bank_account.number"},
		{"two-digit digit", ok(func(in *lending.BankAccountInput) { in.Digit = ptr("10") }), lending.CodeInvalidField, "bank_account.digit"},
		{"letter digit", ok(func(in *lending.BankAccountInput) { in.Digit = ptr("y") }), lending.CodeInvalidField, "bank_account.digit"},
		{"XX digit", ok(func(in *lending.BankAccountInput) { in.Digit = ptr("xx") }), lending.CodeInvalidField, "bank_account.digit"},
		{"no digit", ok(func(in *lending.BankAccountInput) { in.Digit = ptr("\t") }), lending.CodeMissingRequiredField, "bank_account.digit"},
	}
	for _, tt := range tests {
		got, err := lending.NewBankAccount(c, tt.in, testBankName, nil, custNow)
		checkFieldError(t, tt.name, err, tt.code, tt.param)
		if got.ID != "" {
			t.Errorf("%s: returned account %s with its error", tt.name, got.ID)
		}
	}

	// Several invalid fields are reported at once.
	_, err := lending.NewBankAccount(c, lending.BankAccountInput{BankID: ptr("999"), Branch: ptr("x"), Number: ptr("0"), Digit: ptr("??")},
		testBankName, nil, custNow)
	checkCode(t, "several invalid", err, lending.CodeValidationFailed)
	want := []paramCode{
		{"bank_account.bank_id", lending.CodeUnknownBank}, {"bank_account.branch", lending.CodeInvalidField},
		{"bank_account.digit", lending.CodeInvalidField}, {"bank_account.kind", lending.CodeMissingRequiredField},
		{"bank_account.number", lending.CodeInvalidField},
	}
	if diff := cmp.Diff(want, fieldsOf(t, "several invalid", err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	_, err = lending.NewBankAccount(c, lending.BankAccountInput{}, testBankName, nil, custNow)
	if got := len(fieldsOf(t, "empty", err)); got != 5 || lending.ErrorCode(err) != lending.CodeValidationFailed {
		t.Errorf("empty input: %v with %d fields, want validation_failed with 5", err, got)
	}
}

func TestNewBankAccountResubmission(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureMEI)
	first, err := lending.NewBankAccount(c, bankInput("001", "checking", "0001", "12345", "X"), testBankName, nil, custNow)
	if err != nil {
		t.Fatal(err)
	}
	later := custNow.Add(24 * time.Hour)
	// The same account, written differently: the previous one as it is.
	same, err := lending.NewBankAccount(c, bankInput("1", "checking", "1", "12345", "x"), testBankName, &first, later)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, same); diff != "" {
		t.Errorf("unchanged resubmission (-previous +got):\n%s", diff)
	}
	// Any change makes a new account.
	for _, in := range []lending.BankAccountInput{
		bankInput("260", "checking", "1", "12345", "X"),
		bankInput("001", "saving", "1", "12345", "X"),
		bankInput("001", "checking", "2", "12345", "X"),
		bankInput("001", "checking", "1", "12346", "X"),
		bankInput("001", "checking", "1", "012345", "X"),
		bankInput("001", "checking", "1", "12345", "0"),
	} {
		changed, err := lending.NewBankAccount(c, in, testBankName, &first, later)
		if err != nil {
			t.Fatal(err)
		}
		if changed.ID == first.ID || !changed.CreatedAt.Equal(later.Truncate(time.Microsecond)) {
			t.Errorf("changed account %+v kept id %s or old times", changed, first.ID)
		}
	}
	// An invalid resubmission is refused, not answered with the previous account.
	if _, err := lending.NewBankAccount(c, bankInput("999", "checking", "1", "12345", "X"), testBankName, &first, later); err == nil {
		t.Errorf("invalid resubmission accepted")
	}
}

func TestNewBankAccountDeniedCustomer(t *testing.T) {
	t.Parallel()
	c, err := enrichedCustomer(t, lending.LegalNatureMEI).Deny("fraude", custNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []lending.BankAccountInput{bankInput("1", "checking", "1", "1", "1"), {}} {
		got, err := lending.NewBankAccount(c, in, testBankName, nil, custNow)
		checkCode(t, "denied customer", err, lending.CodeInvalidCustomerState)
		if got.ID != "" {
			t.Errorf("denied customer got account %s", got.ID)
		}
	}
}

func TestNewBiometricsSession(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureMEI)
	hash := func(s string) string { return "h:" + s }
	now := time.Date(2026, 3, 12, 9, 30, 15, 999_000_000, time.UTC)
	s, code, err := lending.NewBiometricsSession(c, nil, hash, now)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^dinie_bsc_test_[A-Za-z0-9]{40}$`).MatchString(code) || !strings.HasPrefix(code, lending.BiometricsCodePrefix) {
		t.Errorf("code %q", code)
	}
	created := now.Truncate(time.Second)
	want := lending.BiometricsSession{ID: s.ID, Scope: c.Scope, CustomerID: c.ID, CodeHash: "h:" + code,
		ExpiresAt: created.Add(lending.BiometricsSessionTTL), CreatedAt: created}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`^bs_[0-9a-f]{32}$`).MatchString(s.ID) || lending.BiometricsSessionTTL != 30*time.Minute {
		t.Errorf("id %q, TTL %v", s.ID, lending.BiometricsSessionTTL)
	}
	if !s.Live(now) || !s.Live(s.ExpiresAt.Add(-time.Nanosecond)) || s.Live(s.ExpiresAt) {
		t.Errorf("Live around %v is wrong", s.ExpiresAt)
	}

	// A live session blocks a new one; an expired or consumed one does not.
	_, code2, err := lending.NewBiometricsSession(c, &s, hash, now.Add(29*time.Minute))
	checkCode(t, "live session", err, lending.CodeSessionAlreadyActive)
	if code2 != "" {
		t.Errorf("refused session returned code %q", code2)
	}
	next, code3, err := lending.NewBiometricsSession(c, &s, hash, s.ExpiresAt)
	if err != nil || code3 == code || next.ID == s.ID {
		t.Errorf("after expiry: %v, code %q, id %s", err, code3, next.ID)
	}
	consumed := s
	consumed.ConsumedAt = &now
	if _, _, err := lending.NewBiometricsSession(c, &consumed, hash, now.Add(time.Minute)); err != nil {
		t.Errorf("after the code was used: %v", err)
	}

	// The code names the environment.
	live := c
	live.Scope.Environment = lending.EnvLive
	if _, code, err := lending.NewBiometricsSession(live, nil, hash, now); err != nil || !strings.HasPrefix(code, "dinie_bsc_live_") {
		t.Errorf("live customer: %q, %v", code, err)
	}

	// Only a customer waiting for KYC evidence.
	for _, st := range []lending.CustomerStatus{lending.CustomerCreating, lending.CustomerUnderReview, lending.CustomerActive, lending.CustomerDenied} {
		_, code, err := lending.NewBiometricsSession(withStatus(c, st), nil, hash, now)
		checkCode(t, "session while "+string(st), err, lending.CodeInvalidCustomerState)
		if code != "" {
			t.Errorf("%s: code %q", st, code)
		}
	}
}
