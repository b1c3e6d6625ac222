package lending

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
)

// RequirementType is the kind of a KYC requirement (contract.md §6.15).
type RequirementType string

// The requirement types.
const (
	ReqIdentity                     RequirementType = "identity"
	ReqSelfie                       RequirementType = "selfie"
	ReqProofOfAddress               RequirementType = "proof_of_address"
	ReqEmail                        RequirementType = "email"
	ReqCompanyDocument              RequirementType = "company_document"
	ReqEIMEIDocuments               RequirementType = "ei_mei_documents"
	ReqIncomeStatement              RequirementType = "income_statement"
	ReqArticlesOfAssociation        RequirementType = "articles_of_association"
	ReqEIRELIIncorporationStatement RequirementType = "eireli_incorporation_statement"
)

// SubjectType says who a person requirement is about.
type SubjectType string

// Subject types.
const (
	SubjectApplicant SubjectType = "applicant"
	SubjectCoOwner   SubjectType = "co_owner"
)

// Subject is a person KYC is about: the applicant or a co-owner of the company.
type Subject struct {
	ID   string      `json:"id"`
	Name string      `json:"name"`
	Type SubjectType `json:"subject_type"`
	// CPF is the person's CPF (not on the wire; the loans use it for signers).
	CPF CPF `json:"cpf"`
}

// ReviewStatus is the state of one submitted requirement (contract.md §7.2).
type ReviewStatus string

// Review states.
const (
	ReviewPending  ReviewStatus = "pending"
	ReviewAccepted ReviewStatus = "accepted"
	ReviewRejected ReviewStatus = "rejected"
)

// Slot is one expected piece of a submission (the front of an RG, a selfie photo, an e-mail value).
type Slot struct {
	Type      string `json:"attachment_type"`
	Submitted bool   `json:"submitted"`
	// FileID names the stored file (kf_…) or is empty for a value or a sandbox approval.
	FileID string `json:"file_id,omitempty"`
	// Value holds a data requirement's value (an e-mail address).
	Value string `json:"value,omitempty"`
}

// Submission is what was sent for a requirement and how review judged it.
type Submission struct {
	EvidenceType string       `json:"evidence_type"`
	Attachments  []Slot       `json:"attachments"`
	ReviewStatus ReviewStatus `json:"review_status"`
	ReviewReason *string      `json:"review_reason"`
	// Rejections counts how often this requirement was rejected before, across resubmissions.
	Rejections int `json:"rejections,omitempty"`
}

// Complete reports whether every slot of s has been sent.
func (s *Submission) Complete() bool {
	if s == nil || len(s.Attachments) == 0 {
		return false
	}
	for _, a := range s.Attachments {
		if !a.Submitted {
			return false
		}
	}
	return true
}

// Requirement is one thing KYC needs of a customer.
type Requirement struct {
	ID        string          `json:"requirement_id"`
	Type      RequirementType `json:"requirement_type"`
	Label     string          `json:"label"`
	Mandatory bool            `json:"mandatory"`
	// Subject is the person a person requirement is about; nil for company requirements.
	Subject   *Subject    `json:"subject,omitempty"`
	Submitted *Submission `json:"submitted,omitempty"`
}

// evidenceRule says, for one evidence type, which requirement it answers and the slot sets it may come
// as (the first upload picks the set: a CNH is a physical front and back, or one digital file).
type evidenceRule struct {
	requirement RequirementType
	slotSets    [][]string
	byValue     bool
}

var evidenceRules = map[string]evidenceRule{
	"cnh":                            {ReqIdentity, [][]string{{"front", "back"}, {"file"}}, false},
	"rg":                             {ReqIdentity, [][]string{{"front", "back"}}, false},
	"selfie":                         {ReqSelfie, [][]string{{"photo"}}, false},
	"proof_of_address":               {ReqProofOfAddress, [][]string{{"file"}}, false},
	"email":                          {ReqEmail, [][]string{{"email"}}, true},
	"ccmei":                          {ReqCompanyDocument, [][]string{{"file"}}, false},
	"ei_mei":                         {ReqEIMEIDocuments, [][]string{{"ei_registration_requirement"}, {"ccmei"}}, false},
	"income_statement":               {ReqIncomeStatement, [][]string{{"file"}}, false},
	"articles_of_association":        {ReqArticlesOfAssociation, [][]string{{"file"}}, false},
	"eireli_incorporation_statement": {ReqEIRELIIncorporationStatement, [][]string{{"file"}}, false},
}

// EvidenceTypes lists every evidence type, sorted.
func EvidenceTypes() []string {
	out := make([]string, 0, len(evidenceRules))
	for k := range evidenceRules {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// EvidenceByValue reports whether evidence type t is sent as a `value` rather than a file.
func EvidenceByValue(t string) bool { return evidenceRules[t].byValue }

// evidenceFor returns the evidence types that answer requirement type rt, sorted.
func evidenceFor(rt RequirementType) []string {
	var out []string
	for k, r := range evidenceRules {
		if r.requirement == rt {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

var requirementLabels = map[RequirementType]string{
	ReqIdentity:                     "Documento de identidade",
	ReqSelfie:                       "Selfie",
	ReqProofOfAddress:               "Comprovante de endereço",
	ReqEmail:                        "Email do co-titular para assinatura da CCB",
	ReqCompanyDocument:              "Documento da empresa",
	ReqEIMEIDocuments:               "Documentos de EI/MEI",
	ReqIncomeStatement:              "Declaração de faturamento",
	ReqArticlesOfAssociation:        "Contrato social",
	ReqEIRELIIncorporationStatement: "Ato constitutivo de EIRELI",
}

// companyRequirements are the company documents each legal nature needs.
var companyRequirements = map[LegalNature][]RequirementType{
	LegalNatureMEI:    {ReqCompanyDocument},
	LegalNatureEI:     {ReqEIMEIDocuments, ReqIncomeStatement},
	LegalNatureLTDA:   {ReqArticlesOfAssociation, ReqIncomeStatement},
	LegalNatureSLU:    {ReqArticlesOfAssociation, ReqIncomeStatement},
	LegalNatureEIRELI: {ReqEIRELIIncorporationStatement, ReqIncomeStatement},
	LegalNatureSA:     {ReqArticlesOfAssociation, ReqIncomeStatement},
}

// Person is someone the company registry names: a partner or administrator of the company.
type Person struct {
	CPF  CPF
	Name string
}

// Enrichment is what enrichment learned of a customer from the company registry.
type Enrichment struct {
	LegalName, TradingName string
	LegalNature            LegalNature
	// ApplicantName is the applicant's name from CPF records.
	ApplicantName string
	// CoOwners are the company's partners; the applicant is left out, and so is everyone of a
	// single-owner company (whose owner is the applicant).
	CoOwners []Person
	// Closed is set when the company is closed (baixada, inapta, suspensa): the customer is denied.
	Closed       bool
	ClosedReason string
}

// BuildRequirements returns the KYC requirements of a company of legal nature ln with the given
// subjects: identity, selfie and proof of address of every person, the e-mail of every co-owner
// (optional: it is where the CCB signature request goes), and the company documents of its legal nature.
func BuildRequirements(ln LegalNature, subjects []Subject) []Requirement {
	var out []Requirement
	for i := range subjects {
		s := subjects[i]
		person := []RequirementType{ReqIdentity, ReqSelfie, ReqProofOfAddress}
		if s.Type == SubjectCoOwner {
			person = append(person, ReqEmail)
		}
		for _, rt := range person {
			out = append(out, Requirement{ID: string(rt) + "_" + s.ID, Type: rt, Label: requirementLabels[rt],
				Mandatory: rt != ReqEmail, Subject: &s})
		}
	}
	for _, rt := range companyRequirements[ln] {
		out = append(out, Requirement{ID: string(rt), Type: rt, Label: requirementLabels[rt], Mandatory: true})
	}
	return out
}

// newSubjectID mints an opaque subject id shaped like the contract's example (18 characters).
func newSubjectID() string { return ids.Secret("003", 15) }

// Enrich completes the enrichment of a creating customer at now: the registry's names fill in what the
// partner did not send, the KYC requirements are built and the customer waits for them in pending_kyc;
// a closed company is denied at once.
func (c Customer) Enrich(e Enrichment, now time.Time) (Customer, error) {
	if err := c.requireStatus("finish enrichment", CustomerCreating); err != nil {
		return c, err
	}
	c.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	c.LegalName, c.LegalNature = e.LegalName, e.LegalNature
	if c.Name == nil && e.ApplicantName != "" {
		n := e.ApplicantName
		c.Name = &n
	}
	if e.TradingName != "" {
		t := e.TradingName
		c.TradingName = &t
	} else if e.LegalName != "" {
		t := e.LegalName
		c.TradingName = &t
	}
	if e.Closed {
		c.Status, c.DenialReason = CustomerDenied, "company is closed: "+e.ClosedReason
		return c, nil
	}
	name := ""
	if c.Name != nil {
		name = *c.Name
	}
	subjects := []Subject{{ID: newSubjectID(), Name: name, Type: SubjectApplicant, CPF: c.CPF}}
	seen := map[CPF]bool{c.CPF: true}
	for _, p := range e.CoOwners {
		if e.LegalNature.SingleOwner() || seen[p.CPF] {
			continue
		}
		seen[p.CPF] = true
		subjects = append(subjects, Subject{ID: newSubjectID(), Name: p.Name, Type: SubjectCoOwner, CPF: p.CPF})
	}
	c.KYC = BuildRequirements(e.LegalNature, subjects)
	c.Status = CustomerPendingKYC
	return c, nil
}

// Evidence is one upload to a requirement slot.
type Evidence struct {
	RequirementID  string
	EvidenceType   string
	AttachmentType string
	// FileID names the stored file for file evidence; Value carries data evidence (an e-mail).
	FileID string
	Value  string
}

func (c Customer) requirement(id string) (int, error) {
	for i := range c.KYC {
		if c.KYC[i].ID == id {
			return i, nil
		}
	}
	known := make([]string, len(c.KYC))
	for i, r := range c.KYC {
		known[i] = r.ID
	}
	return -1, FieldErrorf(CodeRequirementNotFound, "requirement_id",
		"customer %s has no KYC requirement %q; its requirements are: %s", c.ID, id, strings.Join(known, ", "))
}

// Submit records evidence at now and returns the customer and the id of the file the upload replaced, if
// it replaced one. Uploads are taken while the customer is pending_kyc. A slot of an accepted requirement
// cannot change (CodeAttachmentAlreadyAccepted); a rejected requirement starts over with this upload; a
// pending one takes it into its slot, replacing what was there, or starts over when the upload switches
// to another evidence type or slot set (a CNH sent as one digital file after a physical front).
func (c Customer) Submit(ev Evidence, now time.Time) (Customer, string, error) {
	if err := c.requireStatus("upload KYC evidence", CustomerPendingKYC); err != nil {
		return c, "", err
	}
	i, err := c.requirement(ev.RequirementID)
	if err != nil {
		return c, "", err
	}
	req := c.KYC[i]
	rule, ok := evidenceRules[ev.EvidenceType]
	if !ok || rule.requirement != req.Type {
		return c, "", FieldErrorf(CodeInvalidEvidenceType, "evidence_type",
			"requirement %s (%s) takes evidence_type %s, not %q", req.ID, req.Type, strings.Join(evidenceFor(req.Type), " or "), ev.EvidenceType)
	}
	set := -1
	var allowed []string
	for si, slots := range rule.slotSets {
		allowed = append(allowed, slots...)
		if set < 0 && slices.Contains(slots, ev.AttachmentType) {
			set = si
		}
	}
	if set < 0 {
		return c, "", FieldErrorf(CodeInvalidAttachmentType, "attachment_type",
			"evidence_type %s takes attachment_type %s, not %q", ev.EvidenceType, strings.Join(allowed, ", "), ev.AttachmentType)
	}
	if rule.byValue {
		v, err := NormalizeEmail("value", ev.Value)
		if err != nil {
			return c, "", err
		}
		ev.Value, ev.FileID = v, ""
	} else if ev.FileID == "" {
		return c, "", FieldErrorf(CodeMissingRequiredField, "file", "send the document as the multipart part `file`")
	} else {
		ev.Value = ""
	}
	sub := req.Submitted
	if sub != nil && sub.ReviewStatus == ReviewAccepted {
		return c, "", Errorf(CodeAttachmentAlreadyAccepted,
			"requirement %s was already reviewed and accepted; its attachments can no longer change", req.ID)
	}
	fresh := sub == nil || sub.ReviewStatus == ReviewRejected || sub.EvidenceType != ev.EvidenceType ||
		!slices.ContainsFunc(sub.Attachments, func(s Slot) bool { return s.Type == ev.AttachmentType })
	var replaced string
	next := &Submission{EvidenceType: ev.EvidenceType, ReviewStatus: ReviewPending}
	if sub != nil {
		next.Rejections = sub.Rejections
	}
	if fresh {
		for _, t := range rule.slotSets[set] {
			next.Attachments = append(next.Attachments, Slot{Type: t})
		}
	} else {
		next.Attachments = slices.Clone(sub.Attachments)
	}
	for j := range next.Attachments {
		if next.Attachments[j].Type == ev.AttachmentType {
			replaced = next.Attachments[j].FileID
			next.Attachments[j] = Slot{Type: ev.AttachmentType, Submitted: true, FileID: ev.FileID, Value: ev.Value}
		}
	}
	if fresh {
		replaced = ""
	}
	c.KYC = slices.Clone(c.KYC)
	req.Submitted = next
	c.KYC[i] = req
	c.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return c, replaced, nil
}

// StartReview sends a pending_kyc customer's evidence to review at now. Every mandatory requirement must
// be complete and not rejected, else CodeKYCIncomplete names each one missing.
func (c Customer) StartReview(now time.Time) (Customer, error) {
	if err := c.requireStatus("start the KYC review", CustomerPendingKYC); err != nil {
		return c, err
	}
	var missing []FieldError
	for _, r := range c.KYC {
		if !r.Mandatory {
			continue
		}
		switch {
		case r.Submitted == nil:
			missing = append(missing, FieldError{Param: r.ID, Detail: "not submitted", Code: CodeKYCIncomplete})
		case r.Submitted.ReviewStatus == ReviewRejected:
			missing = append(missing, FieldError{Param: r.ID, Detail: "rejected; submit it again", Code: CodeKYCIncomplete})
		case !r.Submitted.Complete():
			var slots []string
			for _, a := range r.Submitted.Attachments {
				if !a.Submitted {
					slots = append(slots, a.Type)
				}
			}
			missing = append(missing, FieldError{Param: r.ID, Detail: "missing attachment " + strings.Join(slots, ", "), Code: CodeKYCIncomplete})
		}
	}
	if len(missing) > 0 {
		ids := make([]string, len(missing))
		for i, m := range missing {
			ids[i] = m.Param
		}
		return c, &Error{Code: CodeKYCIncomplete, Fields: missing,
			Detail: fmt.Sprintf("%d mandatory KYC requirement(s) are not ready for review: %s", len(missing), strings.Join(ids, ", "))}
	}
	c.Status = CustomerUnderReview
	if len(c.PendingReview()) == 0 && c.allMandatoryAccepted() {
		c.Status = CustomerActive // nothing is left to review
	}
	c.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return c, nil
}

// Verdict is a reviewer's decision on one requirement.
type Verdict string

// Verdicts.
const (
	VerdictAccept Verdict = "accept"
	VerdictReject Verdict = "reject"
)

// ItemDecision is a reviewer's verdict on one submitted requirement; a rejection carries its reason.
type ItemDecision struct {
	RequirementID string
	Verdict       Verdict
	Reason        string
}

// PendingReview returns the ids of the requirements that wait for a reviewer's verdict.
func (c Customer) PendingReview() []string {
	var out []string
	for _, r := range c.KYC {
		if r.Submitted != nil && r.Submitted.ReviewStatus == ReviewPending && r.Submitted.Complete() {
			out = append(out, r.ID)
		}
	}
	return out
}

// Decide applies a reviewer's verdicts at now. The customer must be under_review (or pending_kyc, where a
// reviewer may judge an item early) and each decided requirement must wait for review. Afterwards a
// customer with a rejected mandatory item goes back to pending_kyc to resubmit it; one with every
// mandatory requirement accepted becomes active; otherwise it stays where it was.
func (c Customer) Decide(decisions []ItemDecision, now time.Time) (Customer, error) {
	if err := c.requireStatus("record a KYC verdict", CustomerUnderReview, CustomerPendingKYC); err != nil {
		return c, err
	}
	if len(decisions) == 0 {
		return c, Errorf(CodeInvalidCustomerState, "customer %s has no KYC requirement waiting for review", c.ID)
	}
	c.KYC = slices.Clone(c.KYC)
	for _, d := range decisions {
		i, err := c.requirement(d.RequirementID)
		if err != nil {
			return c, err
		}
		r := c.KYC[i]
		if r.Submitted == nil || r.Submitted.ReviewStatus != ReviewPending || !r.Submitted.Complete() {
			return c, Errorf(CodeInvalidCustomerState, "requirement %s does not wait for review", r.ID)
		}
		sub := *r.Submitted
		switch d.Verdict {
		case VerdictAccept:
			sub.ReviewStatus, sub.ReviewReason = ReviewAccepted, nil
		case VerdictReject:
			reason := strings.TrimSpace(d.Reason)
			if reason == "" {
				reason = "The document could not be verified; send it again."
			}
			sub.ReviewStatus, sub.ReviewReason = ReviewRejected, &reason
			sub.Rejections++
		default:
			return c, FieldErrorf(CodeInvalidField, "decision", "a verdict is accept or reject, not %q", d.Verdict)
		}
		r.Submitted = &sub
		c.KYC[i] = r
	}
	c.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	c.Status = c.statusAfterVerdicts()
	return c, nil
}

// statusAfterVerdicts is where verdicts leave the customer: a rejected mandatory item sends it back to
// pending_kyc to resubmit; every mandatory item accepted makes it active (a rejected optional item, such
// as a co-owner's e-mail, does not hold it back); otherwise it stays where it is.
func (c Customer) statusAfterVerdicts() CustomerStatus {
	switch {
	case slices.ContainsFunc(c.KYC, func(r Requirement) bool {
		return r.Mandatory && r.Submitted != nil && r.Submitted.ReviewStatus == ReviewRejected
	}):
		return CustomerPendingKYC
	case c.allMandatoryAccepted():
		return CustomerActive
	}
	return c.Status
}

func (c Customer) allMandatoryAccepted() bool {
	for _, r := range c.KYC {
		if r.Mandatory && (r.Submitted == nil || r.Submitted.ReviewStatus != ReviewAccepted) {
			return false
		}
	}
	return true
}

// ApproveAll is the sandbox's approval at now: every pending item and every mandatory requirement is
// accepted (one not yet submitted counts as submitted, its slots sent without files) and the customer
// becomes active. It needs a customer in pending_kyc or under_review.
func (c Customer) ApproveAll(now time.Time) (Customer, error) {
	if err := c.requireStatus("approve KYC", CustomerPendingKYC, CustomerUnderReview); err != nil {
		return c, err
	}
	c.KYC = slices.Clone(c.KYC)
	for i, r := range c.KYC {
		switch {
		case r.Submitted != nil && r.Submitted.ReviewStatus != ReviewAccepted && (r.Mandatory || r.Submitted.Complete()):
			sub := *r.Submitted
			sub.Attachments = slices.Clone(sub.Attachments)
			for j := range sub.Attachments {
				sub.Attachments[j].Submitted = true
			}
			sub.ReviewStatus, sub.ReviewReason = ReviewAccepted, nil
			r.Submitted = &sub
		case r.Submitted == nil && r.Mandatory:
			ev := evidenceFor(r.Type)[0]
			sub := Submission{EvidenceType: ev, ReviewStatus: ReviewAccepted}
			for _, t := range evidenceRules[ev].slotSets[0] {
				sub.Attachments = append(sub.Attachments, Slot{Type: t, Submitted: true})
			}
			r.Submitted = &sub
		}
		c.KYC[i] = r
	}
	c.Status = CustomerActive
	c.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return c, nil
}

// Deny denies the customer for good at now, for reason (kept for the operator, not shown to partners).
// A customer that is already active or denied cannot be denied.
func (c Customer) Deny(reason string, now time.Time) (Customer, error) {
	if err := c.requireStatus("deny the customer", CustomerCreating, CustomerPendingKYC, CustomerUnderReview); err != nil {
		return c, err
	}
	c.Status, c.DenialReason = CustomerDenied, strings.TrimSpace(reason)
	c.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	return c, nil
}

// Customer event types.
const (
	EventCustomerCreated     = "customer.created"
	EventCustomerUnderReview = "customer.under_review"
	EventCustomerActive      = "customer.active"
	EventCustomerDenied      = "customer.denied"
	EventCustomerKYCUpdated  = "customer.kyc_updated"
)

// CustomerEvents returns the event types the change from before to after causes, in the order they
// happened: the KYC state first (customer.kyc_updated, or customer.created when enrichment finished),
// then the new status.
func CustomerEvents(before, after Customer) []string {
	var out []string
	if before.Status == CustomerCreating && after.Status == CustomerPendingKYC {
		return []string{EventCustomerCreated}
	}
	if after.Status != CustomerDenied && !reflect.DeepEqual(before.KYC, after.KYC) {
		out = append(out, EventCustomerKYCUpdated)
	}
	if before.Status != after.Status {
		switch after.Status {
		case CustomerUnderReview:
			out = append(out, EventCustomerUnderReview)
		case CustomerActive:
			out = append(out, EventCustomerActive)
		case CustomerDenied:
			out = append(out, EventCustomerDenied)
		}
	}
	return out
}

// Applicant returns the applicant subject, or nil before enrichment.
func (c Customer) Applicant() *Subject {
	for _, r := range c.KYC {
		if r.Subject != nil && r.Subject.Type == SubjectApplicant {
			return r.Subject
		}
	}
	return nil
}
