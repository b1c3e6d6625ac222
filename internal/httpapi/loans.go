package httpapi

import (
	"encoding/json"
	"net"
	"net/http"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/wire"
)

// createLoan is POST /loans (contract.md §5.20).
func (s *Server) createLoan(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		CreditOfferID     *string `json:"credit_offer_id"`
		SimulationID      *string `json:"simulation_id"`
		InstallmentCount  *int    `json:"installment_count"`
		InstallmentAmount *number `json:"installment_amount"`
		FirstDueDate      *string `json:"first_due_date"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := required(map[string]bool{"credit_offer_id": req.CreditOfferID != nil, "simulation_id": req.SimulationID != nil,
		"installment_count": req.InstallmentCount != nil, "installment_amount": req.InstallmentAmount != nil,
		"first_due_date": req.FirstDueDate != nil},
		"credit_offer_id", "simulation_id", "installment_count", "installment_amount", "first_due_date"); err != nil {
		return err
	}
	amount, err := req.InstallmentAmount.amount("installment_amount")
	if err != nil {
		return err
	}
	if *req.InstallmentCount < 1 {
		return lending.FieldErrorf(lending.CodeInvalidField, "installment_count", "installment_count must be at least 1")
	}
	if _, err := lending.ParseDate(*req.FirstDueDate); err != nil {
		return lending.FieldErrorf(lending.CodeInvalidField, "first_due_date", "first_due_date is a date YYYY-MM-DD")
	}
	l, err := s.cfg.Loans.Create(r.Context(), p.Scope, lending.NewLoanInput{CreditOfferID: *req.CreditOfferID,
		SimulationID: *req.SimulationID, InstallmentCount: *req.InstallmentCount, InstallmentAmount: amount,
		FirstDueDate: *req.FirstDueDate})
	if err != nil {
		return err
	}
	w.Header().Set("Location", r.URL.Path+"/"+l.ID)
	writeJSON(w, http.StatusCreated, wire.LoanOf(l, s.cfg.Loans.PublicURL))
	return nil
}

// getLoan is GET /loans/{loan_id}.
func (s *Server) getLoan(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	l, err := s.cfg.Store.Loan(r.Context(), p.Scope, r.PathValue("loan_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.LoanOf(l, s.cfg.Loans.PublicURL))
	return nil
}

// listTransactions is GET /loans/{loan_id}/transactions: the installments, in order.
func (s *Server) listTransactions(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	id := r.PathValue("loan_id")
	if _, err := s.cfg.Store.Loan(r.Context(), p.Scope, id); err != nil {
		return err
	}
	items, more, err := s.cfg.Store.ListInstallments(r.Context(), p.Scope, id, page)
	if err != nil {
		return err
	}
	writePage(w, items, more, wire.TransactionOf)
	return nil
}

// getLoanCCB is GET /loans/{loan_id}/ccb: the contract as PDF.
func (s *Server) getLoanCCB(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	l, pdf, err := s.cfg.Loans.CCB(r.Context(), p.Scope, r.PathValue("loan_id"))
	if err != nil {
		return err
	}
	writeCCB(w, l, pdf)
	return nil
}

func writeCCB(w http.ResponseWriter, l lending.Loan, pdf []byte) {
	h := w.Header()
	h.Set("Content-Disposition", `attachment; filename="`+l.CCBNumber+`.pdf"`)
	h.Set("X-Content-SHA256", l.CCBSHA256)
	h.Set("Cache-Control", "private, max-age=0")
	writeBody(w, http.StatusOK, "application/pdf", pdf)
}

// sandboxSign is POST /sandbox/loans/{loan_id}/sign.
func (s *Server) sandboxSign(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	var req struct {
		SignerCPF *string `json:"signer_cpf"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("loan_id")
	var l lending.Loan
	var err error
	if req.SignerCPF == nil {
		l, err = s.cfg.Loans.SignAll(r.Context(), p.Scope, id)
	} else {
		cpf, perr := lending.ParseCPF(*req.SignerCPF)
		if perr != nil {
			return lending.FieldErrorf(lending.CodeSignerNotFound, "signer_cpf", "%q is not a valid CPF", *req.SignerCPF)
		}
		l, err = s.cfg.Loans.SandboxSign(r.Context(), p.Scope, id, cpf, clientIP(r))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.LoanOf(l, s.cfg.Loans.PublicURL))
	return nil
}

// sandboxDisbursement is POST /sandbox/loans/{loan_id}/disbursement.
func (s *Server) sandboxDisbursement(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	var req struct {
		Outcome *string `json:"outcome"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Outcome == nil {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "outcome", "outcome is required: settled or failed")
	}
	if *req.Outcome != "settled" && *req.Outcome != "failed" {
		return lending.FieldErrorf(lending.CodeInvalidField, "outcome", "outcome is settled or failed, not %q", *req.Outcome)
	}
	l, err := s.cfg.Loans.SandboxDisbursement(r.Context(), p.Scope, r.PathValue("loan_id"), *req.Outcome == "settled", s.cfg.PixLedger)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.LoanOf(l, s.cfg.Loans.PublicURL))
	return nil
}

// sandboxPayment is POST /sandbox/loans/{loan_id}/payments.
func (s *Server) sandboxPayment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	var req struct {
		Amount *number `json:"amount"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Amount == nil {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "amount", "amount is required")
	}
	amount, err := req.Amount.amount("amount")
	if err != nil {
		return err
	}
	l, err := s.cfg.Loans.Pay(r.Context(), p.Scope, r.PathValue("loan_id"), amount)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.LoanOf(l, s.cfg.Loans.PublicURL))
	return nil
}

// clientIP is the caller's address as the server sees it (proxies are not trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signingSessionJSON is what the hosted signing page shows of a loan.
type signingSessionJSON struct {
	LoanID            string             `json:"loan_id"`
	CCBNumber         string             `json:"ccb_number"`
	DocumentSHA256    string             `json:"document_sha256"`
	RequestedAmount   json.Number        `json:"requested_amount"`
	TotalAmount       json.Number        `json:"total_amount"`
	InstallmentCount  int                `json:"installment_count"`
	InstallmentAmount json.Number        `json:"installment_amount"`
	FirstDueDate      string             `json:"first_due_date"`
	MonthlyRate       json.Number        `json:"monthly_interest_rate"`
	AnnualCETRate     json.Number        `json:"annual_cet_rate"`
	Signers           []signingSigner    `json:"signers"`
	Status            lending.LoanStatus `json:"status"`
}

type signingSigner struct {
	Name     string `json:"name"`
	CPF      string `json:"cpf_masked"`
	Signed   bool   `json:"signed"`
	SignedAt *int64 `json:"signed_at"`
}

func maskCPF(c lending.CPF) string {
	f := c.Format()
	if len(f) != 14 {
		return "***"
	}
	return "***." + f[4:7] + "." + f[8:11] + "-**"
}

func signingSession(l lending.Loan) signingSessionJSON {
	out := signingSessionJSON{LoanID: l.ID, CCBNumber: l.CCBNumber, DocumentSHA256: l.CCBSHA256,
		RequestedAmount: lending.Reais(l.Requested), TotalAmount: lending.Reais(l.Total), InstallmentCount: l.InstallmentCount,
		InstallmentAmount: lending.Reais(l.InstallmentAmount), FirstDueDate: l.FirstDueDate,
		MonthlyRate: json.Number(l.MonthlyRate), AnnualCETRate: json.Number(l.AnnualCET), Status: l.Status}
	for _, sg := range l.Signers {
		ss := signingSigner{Name: sg.Name, CPF: maskCPF(sg.CPF), Signed: sg.SignedAt != nil}
		if sg.SignedAt != nil {
			at := sg.SignedAt.Unix()
			ss.SignedAt = &at
		}
		out.Signers = append(out.Signers, ss)
	}
	return out
}

// hostedSigningSession is GET /sign/{token}/session: the loan the hosted signing page shows.
func (s *Server) hostedSigningSession(w http.ResponseWriter, r *http.Request) error {
	l, err := s.cfg.Loans.SigningSession(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, signingSession(l))
	return nil
}

// hostedSigningDocument is GET /sign/{token}/ccb.pdf: the CCB the signers read, shown inline.
func (s *Server) hostedSigningDocument(w http.ResponseWriter, r *http.Request) error {
	l, err := s.cfg.Loans.SigningSession(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	_, pdf, err := s.cfg.Loans.CCB(r.Context(), l.Scope, l.ID)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "SAMEORIGIN") // the signing page embeds it; nobody else may
	w.Header().Set("Content-Disposition", `inline; filename="`+l.CCBNumber+`.pdf"`)
	w.Header().Set("X-Content-SHA256", l.CCBSHA256)
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, http.StatusOK, "application/pdf", pdf)
	return nil
}

// hostedSign is POST /sign/{token}/signatures: one signer confirms their CPF and signs the document whose
// hash the page showed.
func (s *Server) hostedSign(w http.ResponseWriter, r *http.Request) error {
	l, err := s.cfg.Loans.SigningSession(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	var req struct {
		CPF            *string `json:"cpf"`
		DocumentSHA256 *string `json:"document_sha256"`
		Accept         *bool   `json:"accept"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := required(map[string]bool{"cpf": req.CPF != nil, "document_sha256": req.DocumentSHA256 != nil, "accept": req.Accept != nil},
		"cpf", "document_sha256", "accept"); err != nil {
		return err
	}
	if *req.DocumentSHA256 == "" {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "document_sha256", "document_sha256 is the SHA-256 of the CCB you read")
	}
	if !*req.Accept {
		return lending.FieldErrorf(lending.CodeInvalidField, "accept", "confirm that you read and accept the CCB to sign it")
	}
	cpf, err := lending.ParseCPF(*req.CPF)
	if err != nil {
		return err
	}
	signed, err := s.cfg.Loans.Sign(r.Context(), l.Scope, l.ID, lending.Signature{CPF: cpf, IP: clientIP(r),
		UserAgent: r.UserAgent(), DocumentSHA256: *req.DocumentSHA256})
	if err != nil {
		return err
	}
	out := signingSession(signed)
	writeJSON(w, http.StatusOK, out)
	return nil
}
