package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/wire"
)

// scopeNow is the time in the caller's scope (its sandbox clock in test).
func (s *Server) scopeNow(r *http.Request, p auth.Principal) (time.Time, error) {
	return s.cfg.Credit.Clock.Now(r.Context(), p.Scope)
}

// listCreditOffers is GET /credit-offers (contract.md §5.17).
func (s *Server) listCreditOffers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	return s.writeOffers(w, r, p, r.URL.Query().Get("customer_id"))
}

// listCustomerCreditOffers is GET /customers/{customer_id}/credit-offers (contract.md §5.13).
func (s *Server) listCustomerCreditOffers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id := r.PathValue("customer_id")
	if _, err := s.cfg.Store.Customer(r.Context(), p.Scope, id); err != nil {
		return err
	}
	return s.writeOffers(w, r, p, id)
}

func (s *Server) writeOffers(w http.ResponseWriter, r *http.Request, p auth.Principal, customerID string) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	now, err := s.scopeNow(r, p)
	if err != nil {
		return err
	}
	f := store.CreditOfferFilter{CustomerID: customerID, Now: now}
	if v := r.URL.Query().Get("status"); v != "" {
		st, ok := lending.ParseOfferStatus(v)
		if !ok {
			return lending.FieldErrorf(lending.CodeInvalidParameter, "status", "status must be available, accepted or expired")
		}
		f.Status = st
	}
	items, more, err := s.cfg.Store.ListCreditOffers(r.Context(), p.Scope, f, page)
	if err != nil {
		return err
	}
	writePage(w, items, more, func(o lending.CreditOffer) wire.CreditOffer { return wire.CreditOfferOf(o, now) })
	return nil
}

// getCreditOffer is GET /credit-offers/{credit_offer_id}.
func (s *Server) getCreditOffer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	o, err := s.cfg.Store.CreditOffer(r.Context(), p.Scope, r.PathValue("credit_offer_id"))
	if err != nil {
		return err
	}
	now, err := s.scopeNow(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.CreditOfferOf(o, now))
	return nil
}

// createSimulation is POST /credit-offers/{credit_offer_id}/simulations (contract.md §5.19).
func (s *Server) createSimulation(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		RequestedAmount  *number `json:"requested_amount"`
		InstallmentCount *int    `json:"installment_count"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := required(map[string]bool{"requested_amount": req.RequestedAmount != nil, "installment_count": req.InstallmentCount != nil},
		"requested_amount", "installment_count"); err != nil {
		return err
	}
	amount, err := req.RequestedAmount.amount("requested_amount")
	if err != nil {
		return err
	}
	if *req.InstallmentCount < 1 || *req.InstallmentCount > finmath.MaxInstallments {
		return lending.FieldErrorf(lending.CodeInvalidInstallmentCount, "installment_count", "installment_count must be at least 1")
	}
	sim, err := s.cfg.Credit.Simulate(r.Context(), p.Scope, r.PathValue("credit_offer_id"), amount, *req.InstallmentCount)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wire.SimulationOf(sim))
	return nil
}

// required reports every absent field of order (present says which are there) at once.
func required(present map[string]bool, order ...string) error {
	var missing []lending.FieldError
	for _, f := range order {
		if !present[f] {
			missing = append(missing, lending.FieldError{Param: f, Detail: f + " is required", Code: lending.CodeMissingRequiredField})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	names := make([]string, len(missing))
	for i, m := range missing {
		names[i] = m.Param
	}
	return &lending.Error{Code: lending.CodeMissingRequiredField, Fields: missing, Detail: strings.Join(names, ", ") + " required"}
}

// sandboxIssueOffer is POST /sandbox/customers/{customer_id}/credit-offers (sandbox.md).
func (s *Server) sandboxIssueOffer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	var req struct {
		ApprovedAmount      *number `json:"approved_amount"`
		MinAmount           *number `json:"min_amount"`
		MonthlyInterestRate *number `json:"monthly_interest_rate"`
		Installments        *int    `json:"installments"`
		MinInstallments     *int    `json:"min_installments"`
		MaxInstallments     *int    `json:"max_installments"`
		ValidForDays        *int    `json:"valid_for_days"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	ranged := req.MinInstallments != nil || req.MaxInstallments != nil
	present := map[string]bool{"approved_amount": req.ApprovedAmount != nil, "min_amount": req.MinAmount != nil,
		"monthly_interest_rate": req.MonthlyInterestRate != nil, "installments": req.Installments != nil || ranged,
		"min_installments": req.MinInstallments != nil, "max_installments": req.MaxInstallments != nil}
	fields := []string{"approved_amount", "min_amount", "monthly_interest_rate", "installments"}
	if ranged {
		fields = []string{"approved_amount", "min_amount", "monthly_interest_rate", "min_installments", "max_installments"}
	}
	if err := required(present, fields...); err != nil {
		return err
	}
	if ranged && req.Installments != nil {
		return lending.FieldErrorf(lending.CodeInvalidField, "installments", "send installments, or min_installments and max_installments, not both")
	}
	approved, err := req.ApprovedAmount.amount("approved_amount")
	if err != nil {
		return err
	}
	minAmount, err := req.MinAmount.amount("min_amount")
	if err != nil {
		return err
	}
	rate, err := req.MonthlyInterestRate.literal("monthly_interest_rate")
	if err != nil {
		return err
	}
	policy := s.cfg.Credit.Policy
	terms := lending.CreditTerms{ApprovedAmount: approved, MinAmount: minAmount, MonthlyRate: string(rate),
		FeeRate: policy.FeeRate, FeeMin: policy.FeeMin, FeeMax: policy.FeeMax, IOFRegime: lending.IOFRegimePJ}
	if ranged {
		terms.MinInstallments, terms.MaxInstallments = *req.MinInstallments, *req.MaxInstallments
	} else {
		terms.Installments = *req.Installments
		if terms.Installments < 1 {
			return lending.FieldErrorf(lending.CodeInvalidField, "installments", "installments must be at least 1")
		}
	}
	days := 30
	if req.ValidForDays != nil {
		days = *req.ValidForDays
		if days < 1 || days > 365 {
			return lending.FieldErrorf(lending.CodeInvalidField, "valid_for_days", "valid_for_days is from 1 to 365")
		}
	}
	o, err := s.cfg.Credit.IssueSandboxOffer(r.Context(), p.Scope, r.PathValue("customer_id"), terms, time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	now, err := s.scopeNow(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wire.CreditOfferOf(o, now))
	return nil
}

// sandboxExpireOffer is POST /sandbox/credit-offers/{credit_offer_id}/expire.
func (s *Server) sandboxExpireOffer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	o, err := s.cfg.Credit.ExpireNow(r.Context(), p.Scope, r.PathValue("credit_offer_id"))
	if err != nil {
		return err
	}
	now, err := s.scopeNow(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.CreditOfferOf(o, now))
	return nil
}

// sandboxAdvanceClock is POST /sandbox/clock/advance: moves this partner's test clock forward.
func (s *Server) sandboxAdvanceClock(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	var req struct {
		Seconds *int64 `json:"seconds"`
		To      *int64 `json:"to"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var by time.Duration
	var to time.Time
	switch {
	case req.Seconds == nil && req.To == nil:
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "seconds", "send seconds (how far to move) or to (epoch seconds)")
	case req.Seconds != nil && req.To != nil:
		return lending.FieldErrorf(lending.CodeInvalidField, "to", "send seconds or to, not both")
	case req.Seconds != nil:
		if *req.Seconds < 0 || *req.Seconds > 10*365*86400 {
			return lending.FieldErrorf(lending.CodeInvalidField, "seconds", "seconds must be from 0 to ten years; the sandbox clock only moves forward")
		}
		by = time.Duration(*req.Seconds) * time.Second
	default:
		if *req.To <= 0 || *req.To > 1<<40 {
			return lending.FieldErrorf(lending.CodeInvalidField, "to", "to must be epoch seconds")
		}
		to = time.Unix(*req.To, 0)
	}
	now, err := s.cfg.Credit.AdvanceClock(r.Context(), p.Scope.PartnerID, by, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Now int64 `json:"now"`
	}{now.Unix()})
	return nil
}
