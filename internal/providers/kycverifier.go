package providers

import (
	"context"
	"slices"
	"strings"

	"github.com/dinie-oss/dinie/internal/lending"
)

// KYCReview is a verifier's answer about a customer under review.
type KYCReview struct {
	// Decisions are verdicts on requirements waiting for review.
	Decisions []lending.ItemDecision
	// Deny denies the customer for good, for DenyReason (kept for the operator).
	Deny       bool
	DenyReason string
	// Deferred means a person decides later (`dinie kyc decide`); nothing changes now.
	Deferred bool
}

// KYCVerifier judges a customer's KYC evidence. Errors are transient: the caller retries.
type KYCVerifier interface {
	Review(ctx context.Context, c lending.Customer) (KYCReview, error)
}

// OperatorVerifier leaves every decision to an operator: live customers wait under review until someone
// runs `dinie kyc decide`.
type OperatorVerifier struct{}

// Review defers the decision.
func (OperatorVerifier) Review(context.Context, lending.Customer) (KYCReview, error) {
	return KYCReview{Deferred: true}, nil
}

// Magic CPF endings of the sandbox verifier: the last three digits of the applicant's CPF base (the nine
// digits before the check digits) choose the verdict. docs/sandbox.md lists them with valid numbers.
const (
	// SandboxDenyCPFSuffix denies the customer.
	SandboxDenyCPFSuffix = "999"
	// SandboxRejectAddressCPFSuffix rejects the applicant's proof of address the first time it is
	// reviewed, and accepts it once resubmitted.
	SandboxRejectAddressCPFSuffix = "998"
	// SandboxRejectIdentityCPFSuffix rejects the applicant's identity document the first time.
	SandboxRejectIdentityCPFSuffix = "997"
)

// SandboxVerifier decides at once, by the applicant's CPF: approve everything, unless the CPF's base ends
// in one of the magic suffixes above.
type SandboxVerifier struct{}

// Review returns the sandbox's verdicts on c's pending requirements.
func (SandboxVerifier) Review(_ context.Context, c lending.Customer) (KYCReview, error) {
	base := string(c.CPF)
	if len(base) == 11 {
		base = base[:9]
	}
	if strings.HasSuffix(base, SandboxDenyCPFSuffix) {
		return KYCReview{Deny: true, DenyReason: "sandbox: the applicant's CPF base ends in " + SandboxDenyCPFSuffix}, nil
	}
	var rejectType lending.RequirementType
	var reason string
	switch {
	case strings.HasSuffix(base, SandboxRejectAddressCPFSuffix):
		rejectType, reason = lending.ReqProofOfAddress, "O comprovante de endereço está ilegível ou tem mais de 90 dias. Envie um documento recente."
	case strings.HasSuffix(base, SandboxRejectIdentityCPFSuffix):
		rejectType, reason = lending.ReqIdentity, "A foto do documento de identidade está desfocada. Envie uma nova imagem com boa iluminação."
	}
	pending := c.PendingReview()
	out := KYCReview{Decisions: make([]lending.ItemDecision, 0, len(pending))}
	for _, r := range c.KYC {
		if !slices.Contains(pending, r.ID) {
			continue
		}
		d := lending.ItemDecision{RequirementID: r.ID, Verdict: lending.VerdictAccept}
		if r.Type == rejectType && r.Subject != nil && r.Subject.Type == lending.SubjectApplicant && r.Submitted.Rejections == 0 {
			d.Verdict, d.Reason = lending.VerdictReject, reason
		}
		out.Decisions = append(out.Decisions, d)
	}
	return out, nil
}
