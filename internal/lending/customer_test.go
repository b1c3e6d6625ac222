package lending_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Shared by the customer, KYC and bank account tests.

var (
	custNow   = time.Date(2026, 3, 10, 14, 30, 0, 123456789, time.FixedZone("BRT", -3*3600))
	custScope = lending.Scope{PartnerID: "prt_cust", Environment: lending.EnvTest}
)

func ptr[T any](v T) *T { return &v }

// asError returns err as a domain error, failing the test when it is not one.
func asError(t *testing.T, what string, err error) *lending.Error {
	t.Helper()
	var e *lending.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T), want a *lending.Error", what, err, err)
	}
	return e
}

// checkCode fails unless err has the given code.
func checkCode(t *testing.T, what string, err error, code lending.Code) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s", what, code)
		return
	}
	if got := lending.ErrorCode(err); got != code {
		t.Errorf("%s: error %v, want code %s", what, err, code)
	}
}

// checkFieldError fails unless err is a domain error with code that names exactly one field, param.
func checkFieldError(t *testing.T, what string, err error, code lending.Code, param string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s on %s", what, code, param)
		return
	}
	e := asError(t, what, err)
	want := []lending.FieldError{{Param: param, Code: code}}
	if e.Code != code || len(e.Fields) != 1 || e.Detail == "" ||
		!cmp.Equal(e.Fields, want, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Detail" }, cmp.Ignore())) {
		t.Errorf("%s: %s %q fields %+v; want %s on %s", what, e.Code, e.Detail, e.Fields, code, param)
	}
}

type paramCode struct {
	Param string
	Code  lending.Code
}

// fieldsOf returns the (param, code) pairs of a domain error, sorted by param.
func fieldsOf(t *testing.T, what string, err error) []paramCode {
	t.Helper()
	e := asError(t, what, err)
	var out []paramCode
	for _, f := range e.Fields {
		if f.Detail == "" {
			t.Errorf("%s: field %s has no detail", what, f.Param)
		}
		out = append(out, paramCode{f.Param, f.Code})
	}
	slices.SortFunc(out, func(a, b paramCode) int { return strings.Compare(a.Param, b.Param) })
	return out
}

func validCustomerInput() lending.NewCustomerInput {
	return lending.NewCustomerInput{
		CPF: "529.982.247-25", CNPJ: "11.222.333/0001-81", Email: "financeiro@empresa.com.br",
		Phone: "+55 (11) 98765-4321",
	}
}

// newCreatingCustomer returns a valid customer in creating.
func newCreatingCustomer(t *testing.T) lending.Customer {
	t.Helper()
	c, err := lending.NewCustomer(custScope, validCustomerInput(), custNow)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewCustomer(t *testing.T) {
	t.Parallel()
	in := lending.NewCustomerInput{
		CPF: " 52998224725 ", CNPJ: "12.abc.345/01de-35", Email: "  Financeiro@Empresa.com.br ",
		Phone: "11987654321", Name: ptr("  João da Silva "), ExternalID: ptr(" crm-42 "),
	}
	c, err := lending.NewCustomer(custScope, in, custNow)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ID, "cust_") || len(c.ID) != len("cust_")+32 {
		t.Errorf("ID = %q", c.ID)
	}
	wantAt := custNow.UTC().Truncate(time.Microsecond)
	want := lending.Customer{
		ID: c.ID, Scope: custScope, ExternalID: ptr("crm-42"), Name: ptr("João da Silva"),
		Email: "Financeiro@Empresa.com.br", Phone: "+5511987654321", CPF: "52998224725", CNPJ: "12ABC34501DE35",
		Status: lending.CustomerCreating, CreatedAt: wantAt, UpdatedAt: wantAt,
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("NewCustomer (-want +got):\n%s", diff)
	}
	if c.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", c.CreatedAt.Location())
	}

	// Blank optional texts are none; 200 runes of name and 255 of external id are fine.
	in = validCustomerInput()
	in.Name, in.ExternalID = ptr(" \t "), ptr("")
	if c, err := lending.NewCustomer(custScope, in, custNow); err != nil || c.Name != nil || c.ExternalID != nil {
		t.Errorf("blank name and external_id: %+v, %v; want both nil", c, err)
	}
	in.Name, in.ExternalID = ptr(strings.Repeat("é", 200)), ptr(strings.Repeat("x", 255))
	if _, err := lending.NewCustomer(custScope, in, custNow); err != nil {
		t.Errorf("longest name and external_id: %v", err)
	}

	// Every customer gets its own id.
	a, b := newCreatingCustomer(t), newCreatingCustomer(t)
	if a.ID == b.ID {
		t.Errorf("two customers share id %s", a.ID)
	}
}

func TestNewCustomerOneInvalidField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*lending.NewCustomerInput)
		code  lending.Code
		param string
	}{
		{"no cpf", func(in *lending.NewCustomerInput) { in.CPF = "" }, lending.CodeMissingRequiredField, "cpf"},
		{"blank cpf", func(in *lending.NewCustomerInput) { in.CPF = "  " }, lending.CodeMissingRequiredField, "cpf"},
		{"no cnpj", func(in *lending.NewCustomerInput) { in.CNPJ = "" }, lending.CodeMissingRequiredField, "cnpj"},
		{"blank cnpj", func(in *lending.NewCustomerInput) { in.CNPJ = "\t" }, lending.CodeMissingRequiredField, "cnpj"},
		{"no email", func(in *lending.NewCustomerInput) { in.Email = "" }, lending.CodeMissingRequiredField, "email"},
		{"blank email", func(in *lending.NewCustomerInput) { in.Email = " \n" }, lending.CodeMissingRequiredField, "email"},
		{"no phone", func(in *lending.NewCustomerInput) { in.Phone = "" }, lending.CodeMissingRequiredField, "phone"},
		{"blank phone", func(in *lending.NewCustomerInput) { in.Phone = "   " }, lending.CodeMissingRequiredField, "phone"},
		{"docs cpf", func(in *lending.NewCustomerInput) { in.CPF = "123.456.789-00" }, lending.CodeInvalidCPF, "cpf"},
		{"repeated cpf", func(in *lending.NewCustomerInput) { in.CPF = "111.111.111-11" }, lending.CodeInvalidCPF, "cpf"},
		{"docs cnpj", func(in *lending.NewCustomerInput) { in.CNPJ = "12.345.678/0001-90" }, lending.CodeInvalidCNPJ, "cnpj"},
		{"cnpj as cpf", func(in *lending.NewCustomerInput) { in.CNPJ = "529.982.247-25" }, lending.CodeInvalidCNPJ, "cnpj"},
		{"bad email", func(in *lending.NewCustomerInput) { in.Email = "financeiro" }, lending.CodeInvalidField, "email"},
		{"bad phone", func(in *lending.NewCustomerInput) { in.Phone = "abc" }, lending.CodeInvalidField, "phone"},
		{"long name", func(in *lending.NewCustomerInput) { in.Name = ptr(strings.Repeat("é", 201)) }, lending.CodeInvalidField, "name"},
		{"bad utf-8 name", func(in *lending.NewCustomerInput) { in.Name = ptr("Jo\xffão") }, lending.CodeInvalidField, "name"},
		{"long external id", func(in *lending.NewCustomerInput) { in.ExternalID = ptr(strings.Repeat("x", 256)) }, lending.CodeInvalidField, "external_id"},
	}
	for _, tt := range tests {
		in := validCustomerInput()
		tt.edit(&in)
		c, err := lending.NewCustomer(custScope, in, custNow)
		checkFieldError(t, tt.name, err, tt.code, tt.param)
		if c.ID != "" {
			t.Errorf("%s: returned customer %s with its error", tt.name, c.ID)
		}
	}
}

func TestNewCustomerSeveralInvalidFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   lending.NewCustomerInput
		want []paramCode // sorted by param
	}{
		{"everything missing", lending.NewCustomerInput{}, []paramCode{
			{"cnpj", lending.CodeMissingRequiredField}, {"cpf", lending.CodeMissingRequiredField},
			{"email", lending.CodeMissingRequiredField}, {"phone", lending.CodeMissingRequiredField},
		}},
		{"everything invalid", lending.NewCustomerInput{
			CPF: "123.456.789-00", CNPJ: "12.345.678/0001-90", Email: "a@b", Phone: "+0123",
			Name: ptr(strings.Repeat("n", 201)), ExternalID: ptr(strings.Repeat("e", 256)),
		}, []paramCode{
			{"cnpj", lending.CodeInvalidCNPJ}, {"cpf", lending.CodeInvalidCPF}, {"email", lending.CodeInvalidField},
			{"external_id", lending.CodeInvalidField}, {"name", lending.CodeInvalidField}, {"phone", lending.CodeInvalidField},
		}},
		{"missing and invalid", lending.NewCustomerInput{CPF: "529.98224725", Email: "x@y.com", Phone: "12"}, []paramCode{
			{"cnpj", lending.CodeMissingRequiredField}, {"cpf", lending.CodeInvalidCPF}, {"phone", lending.CodeInvalidField},
		}},
		{"two invalid", lending.NewCustomerInput{CPF: "529.982.247-25", CNPJ: "11.222.333/0001-81", Email: "nope", Phone: "nope"}, []paramCode{
			{"email", lending.CodeInvalidField}, {"phone", lending.CodeInvalidField},
		}},
	}
	for _, tt := range tests {
		_, err := lending.NewCustomer(custScope, tt.in, custNow)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		// Fields with one problem in common keep its code (as the contract's missing_required_field
		// example does); mixed problems are validation_failed.
		want := tt.want[0].Code
		for _, f := range tt.want {
			if f.Code != want {
				want = lending.CodeValidationFailed
			}
		}
		if got := lending.ErrorCode(err); got != want {
			t.Errorf("%s: code %s, want %s", tt.name, got, want)
		}
		if diff := cmp.Diff(tt.want, fieldsOf(t, tt.name, err)); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{ // want "" means refused
		{"+55 (11) 98765-4321", "+5511987654321"},
		{"11987654321", "+5511987654321"},
		{"(11) 98765-4321", "+5511987654321"},
		{"11 98765.4321", "+5511987654321"},
		{"1133334444", "+551133334444"},
		{"+5511987654321", "+5511987654321"},
		{"  +55 11 98765 4321\n", "+5511987654321"},
		{"+1 415 555 2671", "+14155552671"},
		{"+44 20 7946 0958", "+442079460958"},
		{"+12345678", "+12345678"},               // 8 digits, the shortest E.164 accepted
		{"+123456789012345", "+123456789012345"}, // 15 digits, the longest E.164
		{"abc", ""},
		{"", ""},
		{"+", ""},
		{"+0 11 98765 4321", ""},
		{"+055 11 98765 4321", ""},
		{"011987654321", ""},  // trunk prefix, not E.164
		{"01198765432", ""},   // 11 digits starting with 0
		{"987654321", ""},     // 9 digits: no area code
		{"5511987654321", ""}, // country code without +
		{"+1234567", ""},      // 7 digits
		{"+1234567890123456", ""},
		{"123", ""},
		{"++5511987654321", ""},
		{"55+11987654321", ""},
		{"+55 11 98765-4321 ramal 2", ""},
		{"+55_11_987654321", ""},
		{"+55/11/987654321", ""},
		{"+５５１１９８７６５４３２１", ""}, // full-width digits
		{"tel:+5511987654321", ""},
	}
	for _, tt := range tests {
		got, err := lending.NormalizePhone(tt.in)
		if tt.want == "" {
			checkFieldError(t, "NormalizePhone("+tt.in+")", err, lending.CodeInvalidField, "phone")
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		// NewCustomer stores the normalized phone.
		in := validCustomerInput()
		in.Phone = tt.in
		if c, err := lending.NewCustomer(custScope, in, custNow); err != nil || c.Phone != tt.want {
			t.Errorf("NewCustomer with phone %q: %q, %v; want %q", tt.in, c.Phone, err, tt.want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com.br" // 256 characters
	tests := []struct{ in, want string }{                                        // want "" means refused
		{"financeiro@empresa.com.br", "financeiro@empresa.com.br"},
		{"  Financeiro@Empresa.COM.br\t", "Financeiro@Empresa.COM.br"},
		{"joao.silva+dinie@sub.empresa.com", "joao.silva+dinie@sub.empresa.com"},
		{"a@b.co", "a@b.co"},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 182) + ".com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 182) + ".com"}, // 251
		{"", ""},
		{"financeiro", ""},
		{"financeiro@", ""},
		{"@empresa.com", ""},
		{"financeiro@empresa", ""}, // no dot in the domain
		{"a@@empresa.com", ""},
		{"a b@empresa.com", ""},
		{"João <joao@empresa.com>", ""},
		{"<joao@empresa.com>", ""},
		{"joao@empresa.com, maria@empresa.com", ""},
		{"joao@empresa.com (financeiro)", ""},
		{`"joao silva"@empresa.com`, ""},
		{"joao..silva@empresa.com", ""},
		{"joao@empresa..com", ""},
		{"joao@empresa.com.", ""},
		{long, ""},
	}
	for _, tt := range tests {
		got, err := lending.NormalizeEmail("email", tt.in)
		if tt.want == "" {
			checkFieldError(t, "NormalizeEmail("+tt.in+")", err, lending.CodeInvalidField, "email")
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// The param names the field in the error.
	_, err := lending.NormalizeEmail("value", "nope")
	checkFieldError(t, "NormalizeEmail(value)", err, lending.CodeInvalidField, "value")
}

func TestSameRegistration(t *testing.T) {
	t.Parallel()
	withExt := newCreatingCustomer(t)
	withExt.ExternalID = ptr("crm-1")
	noExt := newCreatingCustomer(t)
	tests := []struct {
		name     string
		existing lending.Customer
		ext      *string
		conflict bool
	}{
		{"none stored, none sent", noExt, nil, false},
		{"stored, none sent", withExt, nil, false},
		{"same sent", withExt, ptr("crm-1"), false},
		{"another sent", withExt, ptr("crm-2"), true},
		{"case differs", withExt, ptr("CRM-1"), true},
		// decision 4: a different external_id conflicts; none stored and one sent counts as different.
		{"none stored, one sent", noExt, ptr("crm-1"), true},
	}
	for _, tt := range tests {
		err := tt.existing.SameRegistration(tt.ext)
		if !tt.conflict {
			if err != nil {
				t.Errorf("%s: %v, want the same registration", tt.name, err)
			}
			continue
		}
		checkCode(t, tt.name, err, lending.CodeCustomerAlreadyExists)
		if err != nil && !strings.Contains(err.Error(), tt.existing.ID) {
			t.Errorf("%s: %v does not name customer %s", tt.name, err, tt.existing.ID)
		}
	}
}

func TestCustomerApply(t *testing.T) {
	t.Parallel()
	c := newCreatingCustomer(t)
	later := custNow.Add(time.Hour)
	wantAt := later.UTC().Truncate(time.Microsecond)

	got, err := c.Apply(lending.CustomerPatch{Email: ptr(" novo@empresa.com.br ")}, later)
	if err != nil || got.Email != "novo@empresa.com.br" || got.Phone != c.Phone || !got.UpdatedAt.Equal(wantAt) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("email patch: %+v, %v", got, err)
	}
	got, err = c.Apply(lending.CustomerPatch{Phone: ptr("+1 415 555 2671")}, later)
	if err != nil || got.Phone != "+14155552671" || got.Email != c.Email {
		t.Errorf("phone patch: %+v, %v", got, err)
	}
	got, err = c.Apply(lending.CustomerPatch{Email: ptr("x@y.com"), Phone: ptr("21 3333-4444")}, later)
	if err != nil || got.Email != "x@y.com" || got.Phone != "+552133334444" {
		t.Errorf("both: %+v, %v", got, err)
	}
	// Only e-mail and phone change.
	if got.ID != c.ID || got.CPF != c.CPF || got.CNPJ != c.CNPJ || got.Status != c.Status {
		t.Errorf("patch changed more than e-mail and phone: %+v", got)
	}

	_, err = c.Apply(lending.CustomerPatch{Email: ptr("nope")}, later)
	checkFieldError(t, "bad email patch", err, lending.CodeInvalidField, "email")
	_, err = c.Apply(lending.CustomerPatch{Email: ptr("ok@empresa.com"), Phone: ptr("0")}, later)
	checkFieldError(t, "bad phone patch", err, lending.CodeInvalidField, "phone")
	_, err = c.Apply(lending.CustomerPatch{Email: ptr("")}, later)
	checkFieldError(t, "empty email patch", err, lending.CodeInvalidField, "email")

	for _, st := range []lending.CustomerStatus{lending.CustomerPendingKYC, lending.CustomerUnderReview, lending.CustomerActive} {
		s := c
		s.Status = st
		if _, err := s.Apply(lending.CustomerPatch{Email: ptr("x@y.com")}, later); err != nil {
			t.Errorf("patch of a %s customer: %v", st, err)
		}
	}
	denied := c
	denied.Status = lending.CustomerDenied
	for _, p := range []lending.CustomerPatch{{Email: ptr("x@y.com")}, {Phone: ptr("11987654321")}, {}} {
		got, err := denied.Apply(p, later)
		checkCode(t, "patch of a denied customer", err, lending.CodeInvalidCustomerState)
		if got.Email != c.Email || got.Phone != c.Phone {
			t.Errorf("denied customer changed: %+v", got)
		}
	}
}

func TestParseCustomerStatus(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"creating", "pending_kyc", "under_review", "active", "denied"} {
		if got, ok := lending.ParseCustomerStatus(s); !ok || string(got) != s {
			t.Errorf("ParseCustomerStatus(%q) = %q, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "Active", "ACTIVE", "pending-kyc", "pendingkyc", " active", "approved", "rejected"} {
		if got, ok := lending.ParseCustomerStatus(s); ok || got != "" {
			t.Errorf("ParseCustomerStatus(%q) = %q, %v; want refused", s, got, ok)
		}
	}
}
