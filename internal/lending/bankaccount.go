package lending

import (
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
)

// BankAccountKind is the kind of a disbursement account.
type BankAccountKind string

// Account kinds (contract.md §6.8).
const (
	AccountChecking BankAccountKind = "checking"
	AccountSaving   BankAccountKind = "saving"
	AccountPayment  BankAccountKind = "payment"
)

// BankAccount is the one account a customer's loans are disbursed to.
type BankAccount struct {
	ID         string
	Scope      Scope
	CustomerID string
	// BankID is the COMPE code, zero-padded to 3 digits; BankName is resolved from the bank directory.
	BankID, BankName string
	Kind             BankAccountKind
	// Branch is zero-padded to 4 digits, without check digit; Number is digits only; Digit is one digit
	// or "X".
	Branch, Number, Digit string
	CreatedAt, UpdatedAt  time.Time
}

// BankAccountInput is what a partner (or the customer through the hosted page) sends.
type BankAccountInput struct {
	BankID, Kind, Branch, Number, Digit *string
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// NewBankAccount validates in for customer c at now and returns the account; bankName resolves a
// zero-padded COMPE code from the bank directory. Every invalid field is reported at once. The customer
// may not be denied. When previous is the customer's current account and nothing changed, previous is
// returned as it is; a changed account gets a new id.
func NewBankAccount(c Customer, in BankAccountInput, bankName func(id string) (string, bool), previous *BankAccount, now time.Time) (BankAccount, error) {
	if c.Status == CustomerDenied {
		return BankAccount{}, Errorf(CodeInvalidCustomerState, "customer %s is denied; no account can be linked", c.ID)
	}
	verr := Error{Code: CodeValidationFailed, Detail: "the bank account is invalid; see errors"}
	fail := func(code Code, param, detail string) {
		verr.Fields = append(verr.Fields, FieldError{Param: "bank_account." + param, Detail: detail, Code: code})
	}
	get := func(param string, v *string) string {
		if v == nil || strings.TrimSpace(*v) == "" {
			fail(CodeMissingRequiredField, param, param+" is required")
			return ""
		}
		return strings.TrimSpace(*v)
	}
	a := BankAccount{Scope: c.Scope, CustomerID: c.ID}
	if bank := get("bank_id", in.BankID); bank != "" {
		if !allDigits(bank) || len(bank) > 3 {
			fail(CodeUnknownBank, "bank_id", "bank_id is a COMPE code of up to 3 digits, such as 001 or 260; GET /banks lists them")
		} else {
			a.BankID = strings.Repeat("0", 3-len(bank)) + bank
			name, ok := bankName(a.BankID)
			if !ok {
				fail(CodeUnknownBank, "bank_id", "no bank has COMPE code "+a.BankID+"; GET /banks lists them")
			}
			a.BankName = name
		}
	}
	if kind := get("kind", in.Kind); kind != "" {
		switch k := BankAccountKind(kind); k {
		case AccountChecking, AccountSaving, AccountPayment:
			a.Kind = k
		default:
			fail(CodeInvalidField, "kind", "kind is checking, saving or payment, not "+kind)
		}
	}
	if branch := get("branch", in.Branch); branch != "" {
		if !allDigits(branch) || len(branch) > 4 {
			fail(CodeInvalidField, "branch", "branch is up to 4 digits, without its check digit")
		} else {
			a.Branch = strings.Repeat("0", 4-len(branch)) + branch
		}
	}
	if number := get("number", in.Number); number != "" {
		if !allDigits(number) || len(number) > 20 || strings.Trim(number, "0") == "" {
			fail(CodeInvalidField, "number", "number is the account number: 1 to 20 digits, without its check digit")
		} else {
			a.Number = number
		}
	}
	if digit := get("digit", in.Digit); digit != "" {
		d := strings.ToUpper(digit)
		if len(d) != 1 || (d != "X" && !allDigits(d)) {
			fail(CodeInvalidField, "digit", "digit is the account's check digit: one digit or X")
		} else {
			a.Digit = d
		}
	}
	if len(verr.Fields) == 1 {
		verr.Code, verr.Detail = verr.Fields[0].Code, verr.Fields[0].Detail
	}
	if len(verr.Fields) > 0 {
		return BankAccount{}, &verr
	}
	if previous != nil && previous.BankID == a.BankID && previous.Kind == a.Kind && previous.Branch == a.Branch &&
		previous.Number == a.Number && previous.Digit == a.Digit {
		return *previous, nil
	}
	now = now.UTC().Truncate(time.Microsecond)
	a.ID, a.CreatedAt, a.UpdatedAt = ids.New("ba_"), now, now
	return a, nil
}
