package httpapi

import (
	"net/http"
	"strings"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/wire"
)

type createCustomerRequest struct {
	CPF        *string `json:"cpf"`
	CNPJ       *string `json:"cnpj"`
	Email      *string `json:"email"`
	Phone      *string `json:"phone"`
	Name       *string `json:"name"`
	ExternalID *string `json:"external_id"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// createCustomer is POST /customers: 201 with a new customer in creating, or 200 with the existing one
// for a repeated registration (spec/README.md decision 4).
func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createCustomerRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, created, err := s.cfg.Customers.Register(r.Context(), p.Scope, lending.NewCustomerInput{
		CPF: str(req.CPF), CNPJ: str(req.CNPJ), Email: str(req.Email), Phone: str(req.Phone), Name: req.Name, ExternalID: req.ExternalID})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+c.ID)
	}
	writeJSON(w, status, wire.CustomerOf(c))
	return nil
}

// listCustomers is GET /customers with its filters and sorts (contract.md §5.7).
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var f store.CustomerFilter
	if v := q.Get("cpf"); v != "" {
		cpf, err := lending.ParseCPF(v)
		if err != nil {
			return lending.FieldErrorf(lending.CodeInvalidParameter, "cpf", "cpf must be a valid CPF, bare or formatted")
		}
		f.CPF = cpf
	}
	f.ExternalID = q.Get("external_id")
	if v := q.Get("status"); v != "" {
		st, ok := lending.ParseCustomerStatus(v)
		if !ok {
			return lending.FieldErrorf(lending.CodeInvalidParameter, "status",
				"status must be one of creating, pending_kyc, under_review, active, denied")
		}
		f.Status = st
	}
	switch q.Get("sort") {
	case "", "created_at":
	case "updated_at":
		f.SortByUpdatedAt = true
	default:
		return lending.FieldErrorf(lending.CodeInvalidParameter, "sort", "sort must be created_at or updated_at")
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		page.Descending = true
	default:
		return lending.FieldErrorf(lending.CodeInvalidParameter, "order", "order must be asc or desc")
	}
	items, more, err := s.cfg.Store.ListCustomers(r.Context(), p.Scope, f, page)
	if err != nil {
		return err
	}
	writePage(w, items, more, wire.CustomerOf)
	return nil
}

// getCustomer is GET /customers/{customer_id}; a customer session may read its own customer.
func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	c, err := s.cfg.Store.Customer(r.Context(), p.Scope, r.PathValue("customer_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.CustomerOf(c))
	return nil
}

// updateCustomer is PATCH /customers/{customer_id}: only email and phone change; the read-only fields
// are refused by name rather than ignored, so a partner never believes it changed them.
func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Email       *string `json:"email"`
		Phone       *string `json:"phone"`
		CPF         any     `json:"cpf"`
		CNPJ        any     `json:"cnpj"`
		Name        any     `json:"name"`
		TradingName any     `json:"trading_name"`
		ExternalID  any     `json:"external_id"`
		Status      any     `json:"status"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	for _, ro := range []struct {
		name string
		v    any
	}{{"cpf", req.CPF}, {"cnpj", req.CNPJ}, {"name", req.Name}, {"trading_name", req.TradingName}, {"external_id", req.ExternalID}, {"status", req.Status}} {
		if ro.v != nil {
			return lending.FieldErrorf(lending.CodeInvalidField, ro.name, "%s cannot be changed; only email and phone can", ro.name)
		}
	}
	c, err := s.cfg.Customers.Update(r.Context(), p.Scope, r.PathValue("customer_id"), func(_ *store.Tx, c lending.Customer) (lending.Customer, error) {
		return c.Apply(lending.CustomerPatch{Email: req.Email, Phone: req.Phone}, s.cfg.Clock.Now())
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.CustomerOf(c))
	return nil
}

// startKYCReview is POST /customers/{customer_id}/kyc-review: 202 with no body.
func (s *Server) startKYCReview(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, err := s.cfg.Customers.Update(r.Context(), p.Scope, r.PathValue("customer_id"), func(_ *store.Tx, c lending.Customer) (lending.Customer, error) {
		return c.StartReview(s.cfg.Clock.Now())
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// getBankAccount is GET /customers/{customer_id}/bank-account.
func (s *Server) getBankAccount(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("customer_id")
	if _, err := s.cfg.Store.Customer(r.Context(), p.Scope, id); err != nil {
		return err
	}
	a, err := s.cfg.Store.BankAccount(r.Context(), p.Scope, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.BankAccountOf(a))
	return nil
}

// upsertBankAccount is POST /customers/{customer_id}/bank-account: creates or replaces the one account.
func (s *Server) upsertBankAccount(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		BankAccount *struct {
			BankID *string `json:"bank_id"`
			Kind   *string `json:"kind"`
			Branch *string `json:"branch"`
			Number *string `json:"number"`
			Digit  *string `json:"digit"`
		} `json:"bank_account"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.BankAccount == nil {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "bank_account",
			`send the account wrapped: {"bank_account": {"bank_id", "kind", "branch", "number", "digit"}}`)
	}
	in := lending.BankAccountInput{BankID: req.BankAccount.BankID, Kind: req.BankAccount.Kind,
		Branch: req.BankAccount.Branch, Number: req.BankAccount.Number, Digit: req.BankAccount.Digit}
	a, err := s.cfg.Customers.LinkBankAccount(r.Context(), p.Scope, r.PathValue("customer_id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.BankAccountOf(a))
	return nil
}

// sandboxKYCDecision is POST /sandbox/customers/{customer_id}/kyc-decision (sandbox.md).
func (s *Server) sandboxKYCDecision(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	var req struct {
		Decision      *string `json:"decision"`
		RequirementID *string `json:"requirement_id"`
		Reason        *string `json:"reason"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Decision == nil {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "decision", "decision is required: approve, reject or deny")
	}
	v := customers.Verdict{Reason: str(req.Reason)}
	switch *req.Decision {
	case "approve":
		v.Approve = true
	case "deny":
		v.Deny = true
		if v.Reason == "" {
			v.Reason = "sandbox: denied through the kyc-decision control"
		}
	case "reject":
		v.RejectRequirement, v.Reject = str(req.RequirementID), true
	default:
		return lending.FieldErrorf(lending.CodeInvalidField, "decision", "decision is approve, reject or deny, not %q", *req.Decision)
	}
	if req.RequirementID != nil && !v.Reject {
		return lending.FieldErrorf(lending.CodeInvalidField, "requirement_id", "requirement_id goes with decision reject only")
	}
	c, err := s.cfg.Customers.Decide(r.Context(), p.Scope, r.PathValue("customer_id"), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.CustomerOf(c))
	return nil
}
