package lending

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dinie-oss/dinie/internal/ids"
)

// CustomerStatus is where a customer is in onboarding (contract.md §7.1).
type CustomerStatus string

// Customer states: creating → pending_kyc → under_review → active | denied; a rejected item sends an
// under_review customer back to pending_kyc; enrichment may deny a customer in creating (a closed company).
const (
	CustomerCreating    CustomerStatus = "creating"
	CustomerPendingKYC  CustomerStatus = "pending_kyc"
	CustomerUnderReview CustomerStatus = "under_review"
	CustomerActive      CustomerStatus = "active"
	CustomerDenied      CustomerStatus = "denied"
)

// ParseCustomerStatus returns the status named s, or false.
func ParseCustomerStatus(s string) (CustomerStatus, bool) {
	switch st := CustomerStatus(s); st {
	case CustomerCreating, CustomerPendingKYC, CustomerUnderReview, CustomerActive, CustomerDenied:
		return st, true
	}
	return "", false
}

// LegalNature is the legal form of a company, which decides the company documents KYC asks for.
type LegalNature string

// The legal natures the platform knows.
const (
	LegalNatureMEI    LegalNature = "mei"    // microempreendedor individual
	LegalNatureEI     LegalNature = "ei"     // empresário individual
	LegalNatureLTDA   LegalNature = "ltda"   // sociedade limitada
	LegalNatureSLU    LegalNature = "slu"    // sociedade limitada unipessoal
	LegalNatureEIRELI LegalNature = "eireli" // empresa individual de responsabilidade limitada
	LegalNatureSA     LegalNature = "sa"     // sociedade anônima
)

// SingleOwner reports whether a company of this nature has one owner, who is then the applicant: an
// MEI, EI, SLU or EIRELI has no co-owners to verify.
func (ln LegalNature) SingleOwner() bool {
	return ln == LegalNatureMEI || ln == LegalNatureEI || ln == LegalNatureSLU || ln == LegalNatureEIRELI
}

// LegalNatures lists every legal nature.
func LegalNatures() []LegalNature {
	return []LegalNature{LegalNatureMEI, LegalNatureEI, LegalNatureLTDA, LegalNatureSLU, LegalNatureEIRELI, LegalNatureSA}
}

// Customer is a borrower: a company (CNPJ) and the person applying for it (CPF), registered by a partner.
type Customer struct {
	ID          string
	Scope       Scope
	ExternalID  *string
	Name        *string
	Email       string
	Phone       string
	CPF         CPF
	CNPJ        CNPJ
	TradingName *string
	// LegalName and LegalNature come from the company registry during enrichment.
	LegalName   string
	LegalNature LegalNature
	Status      CustomerStatus
	// KYC is nil while the customer is creating.
	KYC []Requirement
	// DenialReason says why a denied customer was denied (never shown to partners in detail).
	DenialReason string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewCustomerInput is what a partner sends to register a customer.
type NewCustomerInput struct {
	CPF, CNPJ, Email, Phone string
	Name, ExternalID        *string
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// NormalizePhone returns phone in E.164 ("+5511987654321"). It accepts E.164 with common separators
// (spaces, dots, dashes, parentheses) and, for convenience, a bare Brazilian number of 10 or 11 digits
// with area code, to which it adds +55. Anything else is CodeInvalidField on "phone".
func NormalizePhone(phone string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9', r == '+' && i == 0:
			b.WriteRune(r)
		case strings.ContainsRune(" .-()", r):
		default:
			return "", FieldErrorf(CodeInvalidField, "phone", "phone must be in E.164 format, such as +5511987654321")
		}
	}
	p := b.String()
	if !strings.HasPrefix(p, "+") && (len(p) == 10 || len(p) == 11) && p[0] != '0' {
		p = "+55" + p
	}
	if !e164.MatchString(p) {
		return "", FieldErrorf(CodeInvalidField, "phone", "phone must be in E.164 format, such as +5511987654321")
	}
	return p, nil
}

// NormalizeEmail returns a trimmed e-mail address, or CodeInvalidField on param when it is not one plain
// address of at most 254 characters.
func NormalizeEmail(param, email string) (string, error) {
	email = strings.TrimSpace(email)
	bad := FieldErrorf(CodeInvalidField, param, "%s must be an e-mail address such as financeiro@empresa.com.br", param)
	if email == "" || len(email) > 254 {
		return "", bad
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return "", bad
	}
	return email, nil
}

func optionalText(param string, v *string, maxRunes int) (*string, error) {
	if v == nil {
		return nil, nil
	}
	t := strings.TrimSpace(*v)
	if t == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(t) > maxRunes || !utf8.ValidString(t) {
		return nil, FieldErrorf(CodeInvalidField, param, "%s may have at most %d characters", param, maxRunes)
	}
	return &t, nil
}

// NewCustomer validates in and returns a customer of scope in `creating`, created at now. Every invalid
// field is reported at once.
func NewCustomer(scope Scope, in NewCustomerInput, now time.Time) (Customer, error) {
	var verr Error
	verr.Code = CodeValidationFailed
	add := func(err error) {
		if e, ok := err.(*Error); ok {
			verr.Fields = append(verr.Fields, e.Fields...)
			switch {
			case len(verr.Fields) == len(e.Fields):
				verr.Code, verr.Detail = e.Code, e.Detail
			case verr.Code == e.Code:
				// Several fields with the same problem (all missing, say) keep that problem's code.
				verr.Detail = "several fields have the same problem; see errors"
			default:
				verr.Code, verr.Detail = CodeValidationFailed, "several fields are invalid; see errors"
			}
		}
	}
	c := Customer{ID: ids.New("cust_"), Scope: scope, Status: CustomerCreating}
	for _, req := range []struct{ name, value string }{{"cpf", in.CPF}, {"cnpj", in.CNPJ}, {"email", in.Email}, {"phone", in.Phone}} {
		if strings.TrimSpace(req.value) == "" {
			add(FieldErrorf(CodeMissingRequiredField, req.name, "%s is required", req.name))
		}
	}
	var err error
	if strings.TrimSpace(in.CPF) != "" {
		if c.CPF, err = ParseCPF(in.CPF); err != nil {
			add(err)
		}
	}
	if strings.TrimSpace(in.CNPJ) != "" {
		if c.CNPJ, err = ParseCNPJ(in.CNPJ); err != nil {
			add(err)
		}
	}
	if strings.TrimSpace(in.Email) != "" {
		if c.Email, err = NormalizeEmail("email", in.Email); err != nil {
			add(err)
		}
	}
	if strings.TrimSpace(in.Phone) != "" {
		if c.Phone, err = NormalizePhone(in.Phone); err != nil {
			add(err)
		}
	}
	if c.Name, err = optionalText("name", in.Name, 200); err != nil {
		add(err)
	}
	if c.ExternalID, err = optionalText("external_id", in.ExternalID, 255); err != nil {
		add(err)
	}
	if len(verr.Fields) > 0 {
		return Customer{}, &verr
	}
	now = now.UTC().Truncate(time.Microsecond)
	c.CreatedAt, c.UpdatedAt = now, now
	return c, nil
}

// SameRegistration decides what a new registration of the same CPF and CNPJ means for c (spec/README.md
// decision 4): nil when it is the same registration (the same external_id, or none sent), so c is the
// answer; CodeCustomerAlreadyExists when it names another external_id.
func (c Customer) SameRegistration(externalID *string) error {
	if externalID == nil || (c.ExternalID != nil && *c.ExternalID == *externalID) {
		return nil
	}
	return Errorf(CodeCustomerAlreadyExists,
		"customer %s already has this CPF and CNPJ with another external_id; each CPF and CNPJ pair is registered once", c.ID)
}

// CustomerPatch is a partner's change to a customer: only e-mail and phone may change.
type CustomerPatch struct {
	Email, Phone *string
}

// Apply returns c with p applied at now (updated_at moves only when something changed). A denied customer
// cannot change (CodeInvalidCustomerState).
func (c Customer) Apply(p CustomerPatch, now time.Time) (Customer, error) {
	if c.Status == CustomerDenied {
		return c, Errorf(CodeInvalidCustomerState, "customer %s is denied and can no longer change", c.ID)
	}
	before := c
	if p.Email != nil {
		e, err := NormalizeEmail("email", *p.Email)
		if err != nil {
			return c, err
		}
		c.Email = e
	}
	if p.Phone != nil {
		ph, err := NormalizePhone(*p.Phone)
		if err != nil {
			return c, err
		}
		c.Phone = ph
	}
	if c.Email != before.Email || c.Phone != before.Phone {
		c.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	}
	return c, nil
}

// requireStatus returns CodeInvalidCustomerState unless c is in one of the given states; action says
// what was refused.
func (c Customer) requireStatus(action string, allowed ...CustomerStatus) error {
	for _, s := range allowed {
		if c.Status == s {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, s := range allowed {
		names[i] = string(s)
	}
	return Errorf(CodeInvalidCustomerState, "cannot %s: customer %s is %s (this needs %s)", action, c.ID, c.Status, strings.Join(names, " or "))
}
