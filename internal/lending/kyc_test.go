package lending_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dinie-oss/dinie/internal/lending"
)

var kycNow = time.Date(2026, 3, 11, 10, 0, 0, 987654321, time.UTC)

// evidenceSpec is one row of contract.md §10 (and §6.15): the requirement an evidence type answers and
// the slot sets it comes as. ei_mei's two attachment types are read as alternatives (EI registration or
// CCMEI), as the code does; the contract's table does not settle whether both are needed.
type evidenceSpec struct {
	reqType  lending.RequirementType
	slotSets [][]string
	byValue  bool
}

var specEvidence = map[string]evidenceSpec{
	"cnh":                            {lending.ReqIdentity, [][]string{{"front", "back"}, {"file"}}, false},
	"rg":                             {lending.ReqIdentity, [][]string{{"front", "back"}}, false},
	"selfie":                         {lending.ReqSelfie, [][]string{{"photo"}}, false},
	"proof_of_address":               {lending.ReqProofOfAddress, [][]string{{"file"}}, false},
	"email":                          {lending.ReqEmail, [][]string{{"email"}}, true},
	"ccmei":                          {lending.ReqCompanyDocument, [][]string{{"file"}}, false},
	"ei_mei":                         {lending.ReqEIMEIDocuments, [][]string{{"ei_registration_requirement"}, {"ccmei"}}, false},
	"income_statement":               {lending.ReqIncomeStatement, [][]string{{"file"}}, false},
	"articles_of_association":        {lending.ReqArticlesOfAssociation, [][]string{{"file"}}, false},
	"eireli_incorporation_statement": {lending.ReqEIRELIIncorporationStatement, [][]string{{"file"}}, false},
}

var specAttachmentTypes = []string{"front", "back", "file", "photo", "email", "ei_registration_requirement", "ccmei"}

// specLabels are the labels of contract.md §6.15 (company_document's is more specific than the
// contract's example "Documento da empresa").
var specLabels = map[lending.RequirementType]string{
	lending.ReqIdentity:                     "Documento de identidade",
	lending.ReqSelfie:                       "Selfie",
	lending.ReqProofOfAddress:               "Comprovante de endereço",
	lending.ReqEmail:                        "Email do co-titular para assinatura da CCB",
	lending.ReqCompanyDocument:              "Documento da empresa",
	lending.ReqEIMEIDocuments:               "Documentos de EI/MEI",
	lending.ReqIncomeStatement:              "Declaração de faturamento",
	lending.ReqArticlesOfAssociation:        "Contrato social",
	lending.ReqEIRELIIncorporationStatement: "Ato constitutivo de EIRELI",
}

var specCompanyRequirements = map[lending.LegalNature][]lending.RequirementType{
	lending.LegalNatureMEI:    {lending.ReqCompanyDocument},
	lending.LegalNatureEI:     {lending.ReqEIMEIDocuments, lending.ReqIncomeStatement},
	lending.LegalNatureLTDA:   {lending.ReqArticlesOfAssociation, lending.ReqIncomeStatement},
	lending.LegalNatureSLU:    {lending.ReqArticlesOfAssociation, lending.ReqIncomeStatement},
	lending.LegalNatureEIRELI: {lending.ReqEIRELIIncorporationStatement, lending.ReqIncomeStatement},
	lending.LegalNatureSA:     {lending.ReqArticlesOfAssociation, lending.ReqIncomeStatement},
}

var ignoreRejections = cmpopts.IgnoreFields(lending.Submission{}, "Rejections")

var (
	coOwnerA = lending.Person{CPF: "12345678909", Name: "Maria Souza"}
	coOwnerB = lending.Person{CPF: lending.CPFWithCheckDigits("987654321"), Name: "Pedro Lima"}
)

// evidenceTypesFor returns the evidence types answering rt, sorted.
func evidenceTypesFor(rt lending.RequirementType) []string {
	var out []string
	for ev, s := range specEvidence {
		if s.reqType == rt {
			out = append(out, ev)
		}
	}
	slices.Sort(out)
	return out
}

func enrichment(ln lending.LegalNature, coOwners ...lending.Person) lending.Enrichment {
	return lending.Enrichment{LegalName: "Padaria Pão Quente LTDA", TradingName: "Pão Quente", LegalNature: ln,
		ApplicantName: "João da Silva", CoOwners: coOwners}
}

// enrichedCustomer returns a pending_kyc customer of legal nature ln with the given co-owners.
func enrichedCustomer(t *testing.T, ln lending.LegalNature, coOwners ...lending.Person) lending.Customer {
	t.Helper()
	c, err := newCreatingCustomer(t).Enrich(enrichment(ln, coOwners...), kycNow)
	if err != nil || c.Status != lending.CustomerPendingKYC {
		t.Fatalf("Enrich: %s, %v", c.Status, err)
	}
	return c
}

// reqOf returns the requirement of type rt about a subject of type st ("" for a company requirement).
func reqOf(t *testing.T, c lending.Customer, rt lending.RequirementType, st lending.SubjectType) lending.Requirement {
	t.Helper()
	for _, r := range c.KYC {
		if r.Type == rt && ((r.Subject == nil && st == "") || (r.Subject != nil && r.Subject.Type == st)) {
			return r
		}
	}
	t.Fatalf("customer has no %s requirement for %q", rt, st)
	return lending.Requirement{}
}

func findReq(c lending.Customer, id string) *lending.Requirement {
	for i := range c.KYC {
		if c.KYC[i].ID == id {
			return &c.KYC[i]
		}
	}
	return nil
}

func evidence(reqID, ev, slot, fileID string) lending.Evidence {
	e := lending.Evidence{RequirementID: reqID, EvidenceType: ev, AttachmentType: slot, FileID: fileID}
	if specEvidence[ev].byValue {
		e.FileID, e.Value = "", "coowner@empresa.com.br"
	}
	return e
}

func mustSubmit(t *testing.T, c lending.Customer, ev lending.Evidence) (lending.Customer, string) {
	t.Helper()
	got, replaced, err := c.Submit(ev, kycNow)
	if err != nil {
		t.Fatalf("Submit(%+v): %v", ev, err)
	}
	return got, replaced
}

// completeRequirement sends every slot of the first slot set of the first evidence type of r.
func completeRequirement(t *testing.T, c lending.Customer, r lending.Requirement) lending.Customer {
	t.Helper()
	ev := evidenceTypesFor(r.Type)[0]
	for _, slot := range specEvidence[ev].slotSets[0] {
		c, _ = mustSubmit(t, c, evidence(r.ID, ev, slot, "kf_"+r.ID+"_"+slot))
	}
	return c
}

// submitAll completes every mandatory requirement, and the optional ones when withOptional.
func submitAll(t *testing.T, c lending.Customer, withOptional bool) lending.Customer {
	t.Helper()
	for _, r := range c.KYC {
		if r.Mandatory || withOptional {
			c = completeRequirement(t, c, r)
		}
	}
	return c
}

func mandatoryIDs(c lending.Customer) []string {
	var out []string
	for _, r := range c.KYC {
		if r.Mandatory {
			out = append(out, r.ID)
		}
	}
	return out
}

func decisions(verdict lending.Verdict, reqIDs ...string) []lending.ItemDecision {
	var out []lending.ItemDecision
	for _, id := range reqIDs {
		out = append(out, lending.ItemDecision{RequirementID: id, Verdict: verdict})
	}
	return out
}

func mustDecide(t *testing.T, c lending.Customer, ds []lending.ItemDecision) lending.Customer {
	t.Helper()
	got, err := c.Decide(ds, kycNow)
	if err != nil {
		t.Fatalf("Decide(%+v): %v", ds, err)
	}
	return got
}

func mustStartReview(t *testing.T, c lending.Customer) lending.Customer {
	t.Helper()
	got, err := c.StartReview(kycNow)
	if err != nil {
		t.Fatalf("StartReview: %v", err)
	}
	return got
}

// withStatus returns c in status st (for guards that only look at the status).
func withStatus(c lending.Customer, st lending.CustomerStatus) lending.Customer {
	c.Status = st
	return c
}

func TestLegalNatures(t *testing.T) {
	t.Parallel()
	want := []lending.LegalNature{"mei", "ei", "ltda", "slu", "eireli", "sa"}
	if diff := cmp.Diff(want, lending.LegalNatures()); diff != "" {
		t.Errorf("LegalNatures (-want +got):\n%s", diff)
	}
	var ev []string
	for k := range specEvidence {
		ev = append(ev, k)
	}
	slices.Sort(ev)
	if diff := cmp.Diff(ev, lending.EvidenceTypes()); diff != "" {
		t.Errorf("EvidenceTypes (-contract +got):\n%s", diff)
	}
	for k, s := range specEvidence {
		if lending.EvidenceByValue(k) != s.byValue {
			t.Errorf("EvidenceByValue(%s) = %v", k, !s.byValue)
		}
	}
	if lending.EvidenceByValue("nope") {
		t.Errorf("EvidenceByValue(nope) = true")
	}
}

func TestBuildRequirements(t *testing.T) {
	t.Parallel()
	applicant := lending.Subject{ID: "003AAAAAAAAAAAAAAA", Name: "João da Silva", Type: lending.SubjectApplicant, CPF: "52998224725"}
	co1 := lending.Subject{ID: "003BBBBBBBBBBBBBBB", Name: "Maria Souza", Type: lending.SubjectCoOwner, CPF: coOwnerA.CPF}
	co2 := lending.Subject{ID: "003CCCCCCCCCCCCCCC", Name: "Pedro Lima", Type: lending.SubjectCoOwner, CPF: coOwnerB.CPF}
	for _, ln := range lending.LegalNatures() {
		for _, subjects := range [][]lending.Subject{{applicant}, {applicant, co1}, {applicant, co1, co2}, nil} {
			var want []lending.Requirement
			for _, s := range subjects {
				types := []lending.RequirementType{lending.ReqIdentity, lending.ReqSelfie, lending.ReqProofOfAddress}
				if s.Type == lending.SubjectCoOwner {
					types = append(types, lending.ReqEmail)
				}
				for _, rt := range types {
					want = append(want, lending.Requirement{ID: string(rt) + "_" + s.ID, Type: rt, Label: specLabels[rt],
						Mandatory: rt != lending.ReqEmail, Subject: &s})
				}
			}
			for _, rt := range specCompanyRequirements[ln] {
				want = append(want, lending.Requirement{ID: string(rt), Type: rt, Label: specLabels[rt], Mandatory: true})
			}
			got := lending.BuildRequirements(ln, subjects)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("BuildRequirements(%s, %d subjects) (-want +got):\n%s", ln, len(subjects), diff)
			}
			for _, r := range got {
				person := r.Type == lending.ReqIdentity || r.Type == lending.ReqSelfie || r.Type == lending.ReqProofOfAddress || r.Type == lending.ReqEmail
				if (r.Subject != nil) != person {
					t.Errorf("%s/%s: subject %+v", ln, r.ID, r.Subject)
				}
				if r.Type == lending.ReqEmail && (r.Mandatory || r.Subject.Type != lending.SubjectCoOwner) {
					t.Errorf("%s/%s: an e-mail requirement is optional and only for co-owners", ln, r.ID)
				}
				if r.Submitted != nil {
					t.Errorf("%s/%s: submitted before any upload", ln, r.ID)
				}
			}
		}
	}
	// A legal nature the platform does not know asks for no company document.
	if got := lending.BuildRequirements("cooperativa", []lending.Subject{applicant}); len(got) != 3 {
		t.Errorf("unknown legal nature: %d requirements, want the applicant's 3", len(got))
	}
}

func TestEnrich(t *testing.T) {
	t.Parallel()
	c := newCreatingCustomer(t)
	if c.Applicant() != nil || c.KYC != nil {
		t.Fatalf("a creating customer has KYC: %+v", c.KYC)
	}
	self := lending.Person{CPF: c.CPF, Name: "João da Silva (sócio)"}
	got, err := c.Enrich(enrichment(lending.LegalNatureLTDA, coOwnerA, self, coOwnerB), kycNow)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != lending.CustomerPendingKYC || got.LegalName != "Padaria Pão Quente LTDA" ||
		got.LegalNature != lending.LegalNatureLTDA || got.Name == nil || *got.Name != "João da Silva" ||
		got.TradingName == nil || *got.TradingName != "Pão Quente" || got.DenialReason != "" {
		t.Errorf("Enrich: %+v", got)
	}
	if !got.UpdatedAt.Equal(kycNow.Truncate(time.Microsecond)) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("Enrich times: created %v updated %v", got.CreatedAt, got.UpdatedAt)
	}
	if c.Status != lending.CustomerCreating || c.KYC != nil {
		t.Errorf("Enrich changed its receiver")
	}
	// Subjects: the applicant and the two co-owners; the co-owner with the applicant's CPF is dropped.
	var subjects []lending.Subject
	seen := map[string]bool{}
	for _, r := range got.KYC {
		if r.Subject != nil && !seen[r.Subject.ID] {
			seen[r.Subject.ID] = true
			subjects = append(subjects, *r.Subject)
		}
	}
	wantSubjects := []lending.Subject{
		{Name: "João da Silva", Type: lending.SubjectApplicant, CPF: c.CPF},
		{Name: coOwnerA.Name, Type: lending.SubjectCoOwner, CPF: coOwnerA.CPF},
		{Name: coOwnerB.Name, Type: lending.SubjectCoOwner, CPF: coOwnerB.CPF},
	}
	if diff := cmp.Diff(wantSubjects, subjects, cmpopts.IgnoreFields(lending.Subject{}, "ID")); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
	for _, s := range subjects {
		if len(s.ID) != 18 || !strings.HasPrefix(s.ID, "003") || strings.Trim(s.ID, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("subject id %q: want 18 alphanumeric characters starting 003", s.ID)
		}
	}
	if diff := cmp.Diff(lending.BuildRequirements(lending.LegalNatureLTDA, subjects), got.KYC); diff != "" {
		t.Errorf("KYC (-BuildRequirements +got):\n%s", diff)
	}
	if a := got.Applicant(); a == nil || a.Type != lending.SubjectApplicant || a.CPF != c.CPF {
		t.Errorf("Applicant() = %+v", a)
	}
	if diff := cmp.Diff([]string{lending.EventCustomerCreated}, lending.CustomerEvents(c, got)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestEnrichCoOwnersByLegalNature: a company of several owners gets the co-owners' requirements; a
// single-owner one (MEI, EI, SLU, EIRELI), whose owner is the applicant, gets none even when the registry
// lists other people.
func TestEnrichCoOwnersByLegalNature(t *testing.T) {
	t.Parallel()
	single := map[lending.LegalNature]bool{lending.LegalNatureMEI: true, lending.LegalNatureEI: true,
		lending.LegalNatureSLU: true, lending.LegalNatureEIRELI: true}
	for _, ln := range lending.LegalNatures() {
		if ln.SingleOwner() != single[ln] {
			t.Errorf("%s.SingleOwner() = %v", ln, ln.SingleOwner())
		}
		for _, co := range [][]lending.Person{nil, {coOwnerA}, {coOwnerA, coOwnerB}} {
			c := enrichedCustomer(t, ln, co...)
			var cos []lending.CPF
			for _, r := range c.KYC {
				if r.Type == lending.ReqIdentity && r.Subject.Type == lending.SubjectCoOwner {
					cos = append(cos, r.Subject.CPF)
				}
			}
			var want []lending.CPF
			if !single[ln] {
				for _, p := range co {
					want = append(want, p.CPF)
				}
			}
			if diff := cmp.Diff(want, cos); diff != "" {
				t.Errorf("%s with %d co-owners: co-owner subjects (-want +got):\n%s", ln, len(co), diff)
			}
			n := 3 + 4*len(want) + len(specCompanyRequirements[ln])
			if len(c.KYC) != n {
				t.Errorf("%s with %d co-owners: %d requirements, want %d", ln, len(co), len(c.KYC), n)
			}
		}
	}
}

func TestEnrichNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                                   string
		partnerName                            *string
		applicantName, legalName, tradingName  string
		wantName, wantTrading, wantSubjectName *string
	}{
		{"partner's name kept", ptr("Maria"), "João", "L", "T", ptr("Maria"), ptr("T"), ptr("Maria")},
		{"registry name fills in", nil, "João", "L", "T", ptr("João"), ptr("T"), ptr("João")},
		{"no name anywhere", nil, "", "L", "T", nil, ptr("T"), ptr("")},
		{"trading name falls back to legal name", nil, "João", "Legal LTDA", "", ptr("João"), ptr("Legal LTDA"), ptr("João")},
		{"no company names", nil, "João", "", "", ptr("João"), nil, ptr("João")},
	}
	for _, tt := range tests {
		in := validCustomerInput()
		in.Name = tt.partnerName
		c, err := lending.NewCustomer(custScope, in, custNow)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Enrich(lending.Enrichment{LegalName: tt.legalName, TradingName: tt.tradingName,
			LegalNature: lending.LegalNatureMEI, ApplicantName: tt.applicantName}, kycNow)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.wantName, got.Name); diff != "" {
			t.Errorf("%s: name (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.wantTrading, got.TradingName); diff != "" {
			t.Errorf("%s: trading name (-want +got):\n%s", tt.name, diff)
		}
		if a := got.Applicant(); a == nil || a.Name != *tt.wantSubjectName {
			t.Errorf("%s: applicant %+v, want name %q", tt.name, a, *tt.wantSubjectName)
		}
	}
}

func TestEnrichClosedCompany(t *testing.T) {
	t.Parallel()
	c := newCreatingCustomer(t)
	e := enrichment(lending.LegalNatureLTDA, coOwnerA)
	e.Closed, e.ClosedReason = true, "baixada"
	got, err := c.Enrich(e, kycNow)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != lending.CustomerDenied || got.KYC != nil || !strings.Contains(got.DenialReason, "baixada") {
		t.Errorf("closed company: status %s kyc %v reason %q", got.Status, got.KYC, got.DenialReason)
	}
	if diff := cmp.Diff([]string{lending.EventCustomerDenied}, lending.CustomerEvents(c, got)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if _, err := got.Enrich(enrichment(lending.LegalNatureLTDA), kycNow); lending.ErrorCode(err) != lending.CodeInvalidCustomerState {
		t.Errorf("enriching a denied customer: %v", err)
	}
}

func TestEnrichWrongState(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureMEI)
	for _, st := range []lending.CustomerStatus{lending.CustomerPendingKYC, lending.CustomerUnderReview, lending.CustomerActive, lending.CustomerDenied} {
		got, err := withStatus(c, st).Enrich(enrichment(lending.LegalNatureLTDA, coOwnerA), kycNow)
		checkCode(t, "Enrich of a "+string(st)+" customer", err, lending.CodeInvalidCustomerState)
		if got.Status != st || got.LegalNature != lending.LegalNatureMEI {
			t.Errorf("Enrich of a %s customer changed it: %s %s", st, got.Status, got.LegalNature)
		}
	}
}

// TestSubmitEvidenceMatrix tries every requirement of every legal nature with every evidence type and
// attachment type: exactly the combinations of contract.md §10 are accepted, each into the right slots.
func TestSubmitEvidenceMatrix(t *testing.T) {
	t.Parallel()
	evidenceTypes := append(lending.EvidenceTypes(), "passport", "", "CNH", "selfie ")
	slotTypes := append(slices.Clone(specAttachmentTypes), "selfie", "", "FRONT", "verso")
	accepted := map[lending.RequirementType]int{}
	for _, ln := range lending.LegalNatures() {
		c := enrichedCustomer(t, ln, coOwnerA)
		for _, r := range c.KYC {
			for _, ev := range evidenceTypes {
				for _, slot := range slotTypes {
					what := fmt.Sprintf("%s: %s %s/%s", ln, r.ID, ev, slot)
					in := evidence(r.ID, ev, slot, "kf_new")
					got, replaced, err := c.Submit(in, kycNow)
					spec, known := specEvidence[ev]
					var set []string
					for _, s := range spec.slotSets {
						if slices.Contains(s, slot) {
							set = s
						}
					}
					switch {
					case !known || spec.reqType != r.Type:
						checkFieldError(t, what, err, lending.CodeInvalidEvidenceType, "evidence_type")
						continue
					case set == nil:
						checkFieldError(t, what, err, lending.CodeInvalidAttachmentType, "attachment_type")
						continue
					case err != nil:
						t.Errorf("%s: %v", what, err)
						continue
					}
					accepted[r.Type]++
					want := &lending.Submission{EvidenceType: ev, ReviewStatus: lending.ReviewPending}
					for _, s := range set {
						slotWant := lending.Slot{Type: s}
						if s == slot {
							slotWant = lending.Slot{Type: s, Submitted: true, FileID: in.FileID, Value: in.Value}
						}
						want.Attachments = append(want.Attachments, slotWant)
					}
					gr := findReq(got, r.ID)
					if diff := cmp.Diff(want, gr.Submitted, cmpopts.IgnoreFields(lending.Submission{}, "ReviewReason", "Rejections")); diff != "" {
						t.Errorf("%s: submission (-want +got):\n%s", what, diff)
					}
					if gr.Submitted.ReviewReason != nil || replaced != "" || gr.Submitted.Complete() != (len(set) == 1) {
						t.Errorf("%s: reason %v replaced %q complete %v", what, gr.Submitted.ReviewReason, replaced, gr.Submitted.Complete())
					}
					if !got.UpdatedAt.Equal(kycNow.Truncate(time.Microsecond)) || got.Status != lending.CustomerPendingKYC {
						t.Errorf("%s: status %s updated %v", what, got.Status, got.UpdatedAt)
					}
					// Nothing else changed, and c itself is untouched.
					for i := range c.KYC {
						if c.KYC[i].Submitted != nil {
							t.Fatalf("%s: Submit changed its receiver", what)
						}
						if c.KYC[i].ID != r.ID && !cmp.Equal(c.KYC[i], got.KYC[i]) {
							t.Errorf("%s: requirement %s changed too", what, c.KYC[i].ID)
						}
					}
				}
			}
		}
	}
	for rt := range specLabels {
		if accepted[rt] == 0 {
			t.Errorf("no evidence was accepted for %s", rt)
		}
	}
}

func TestSubmitErrors(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureSA, coOwnerA)
	app := c.Applicant().ID
	var co string
	for _, r := range c.KYC {
		if r.Subject != nil && r.Subject.Type == lending.SubjectCoOwner {
			co = r.Subject.ID
		}
	}
	emailReq := "email_" + co

	tests := []struct {
		name  string
		ev    lending.Evidence
		code  lending.Code
		param string
	}{
		{"unknown requirement", lending.Evidence{RequirementID: "identity_nope", EvidenceType: "rg", AttachmentType: "front", FileID: "kf_1"},
			lending.CodeRequirementNotFound, "requirement_id"},
		{"empty requirement", lending.Evidence{EvidenceType: "rg", AttachmentType: "front", FileID: "kf_1"}, lending.CodeRequirementNotFound, "requirement_id"},
		{"requirement type, not id", lending.Evidence{RequirementID: "identity", EvidenceType: "rg", AttachmentType: "front", FileID: "kf_1"},
			lending.CodeRequirementNotFound, "requirement_id"},
		{"not this nature's document", lending.Evidence{RequirementID: "ei_mei_documents", EvidenceType: "ei_mei", AttachmentType: "ccmei", FileID: "kf_1"},
			lending.CodeRequirementNotFound, "requirement_id"},
		{"no email requirement for the applicant", lending.Evidence{RequirementID: "email_" + app, EvidenceType: "email", AttachmentType: "email", Value: "a@b.com"},
			lending.CodeRequirementNotFound, "requirement_id"},
		{"selfie as identity", lending.Evidence{RequirementID: "identity_" + app, EvidenceType: "selfie", AttachmentType: "photo", FileID: "kf_1"},
			lending.CodeInvalidEvidenceType, "evidence_type"},
		{"rg as digital file", lending.Evidence{RequirementID: "identity_" + app, EvidenceType: "rg", AttachmentType: "file", FileID: "kf_1"},
			lending.CodeInvalidAttachmentType, "attachment_type"},
		{"contract as a photo", lending.Evidence{RequirementID: "articles_of_association", EvidenceType: "articles_of_association", AttachmentType: "photo", FileID: "kf_1"},
			lending.CodeInvalidAttachmentType, "attachment_type"},
		{"no file", lending.Evidence{RequirementID: "identity_" + app, EvidenceType: "rg", AttachmentType: "front"},
			lending.CodeMissingRequiredField, "file"},
		{"value is no file", lending.Evidence{RequirementID: "selfie_" + app, EvidenceType: "selfie", AttachmentType: "photo", Value: "x"},
			lending.CodeMissingRequiredField, "file"},
		{"no e-mail value", lending.Evidence{RequirementID: emailReq, EvidenceType: "email", AttachmentType: "email"},
			lending.CodeInvalidField, "value"},
		{"bad e-mail value", lending.Evidence{RequirementID: emailReq, EvidenceType: "email", AttachmentType: "email", Value: "maria"},
			lending.CodeInvalidField, "value"},
		{"named e-mail value", lending.Evidence{RequirementID: emailReq, EvidenceType: "email", AttachmentType: "email", Value: "Maria <maria@x.com>"},
			lending.CodeInvalidField, "value"},
		{"e-mail as a file", lending.Evidence{RequirementID: emailReq, EvidenceType: "email", AttachmentType: "email", FileID: "kf_1"},
			lending.CodeInvalidField, "value"},
	}
	for _, tt := range tests {
		got, replaced, err := c.Submit(tt.ev, kycNow)
		checkFieldError(t, tt.name, err, tt.code, tt.param)
		if replaced != "" || !cmp.Equal(got.KYC, c.KYC) {
			t.Errorf("%s: the failed upload changed the customer", tt.name)
		}
	}

	// An e-mail value is trimmed and kept; a file id sent with it is dropped.
	got, _ := mustSubmit(t, c, lending.Evidence{RequirementID: emailReq, EvidenceType: "email", AttachmentType: "email",
		Value: "  Maria@Empresa.com.br ", FileID: "kf_ignored"})
	want := []lending.Slot{{Type: "email", Submitted: true, Value: "Maria@Empresa.com.br"}}
	if diff := cmp.Diff(want, findReq(got, emailReq).Submitted.Attachments); diff != "" {
		t.Errorf("e-mail value (-want +got):\n%s", diff)
	}

	// Uploads are taken only in pending_kyc.
	ok := lending.Evidence{RequirementID: "selfie_" + app, EvidenceType: "selfie", AttachmentType: "photo", FileID: "kf_1"}
	creating := newCreatingCustomer(t)
	_, _, err := creating.Submit(ok, kycNow)
	checkCode(t, "upload while creating", err, lending.CodeInvalidCustomerState)
	for _, st := range []lending.CustomerStatus{lending.CustomerUnderReview, lending.CustomerActive, lending.CustomerDenied} {
		got, _, err := withStatus(c, st).Submit(ok, kycNow)
		checkCode(t, "upload while "+string(st), err, lending.CodeInvalidCustomerState)
		if findReq(got, ok.RequirementID).Submitted != nil {
			t.Errorf("upload while %s was recorded", st)
		}
	}
	// The real route there: a customer under review cannot upload.
	review := mustStartReview(t, submitAll(t, c, false))
	_, _, err = review.Submit(ok, kycNow)
	checkCode(t, "upload under review", err, lending.CodeInvalidCustomerState)
}

func TestSubmitReplaceAndStartOver(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureEI)
	app := c.Applicant().ID
	id := "identity_" + app
	steps := []struct {
		ev, slot, file string
		replaced       string
		want           []lending.Slot
	}{
		{"rg", "front", "f1", "", []lending.Slot{{Type: "front", Submitted: true, FileID: "f1"}, {Type: "back"}}},
		{"rg", "front", "f2", "f1", []lending.Slot{{Type: "front", Submitted: true, FileID: "f2"}, {Type: "back"}}},
		{"rg", "back", "f3", "", []lending.Slot{{Type: "front", Submitted: true, FileID: "f2"}, {Type: "back", Submitted: true, FileID: "f3"}}},
		{"rg", "back", "f4", "f3", []lending.Slot{{Type: "front", Submitted: true, FileID: "f2"}, {Type: "back", Submitted: true, FileID: "f4"}}},
		// Another evidence type starts over.
		{"cnh", "back", "f5", "", []lending.Slot{{Type: "front"}, {Type: "back", Submitted: true, FileID: "f5"}}},
		{"cnh", "front", "f6", "", []lending.Slot{{Type: "front", Submitted: true, FileID: "f6"}, {Type: "back", Submitted: true, FileID: "f5"}}},
		// A CNH sent as one digital file after a physical one starts over, and back again.
		{"cnh", "file", "f7", "", []lending.Slot{{Type: "file", Submitted: true, FileID: "f7"}}},
		{"cnh", "file", "f8", "f7", []lending.Slot{{Type: "file", Submitted: true, FileID: "f8"}}},
		{"cnh", "front", "f9", "", []lending.Slot{{Type: "front", Submitted: true, FileID: "f9"}, {Type: "back"}}},
		{"rg", "front", "f10", "", []lending.Slot{{Type: "front", Submitted: true, FileID: "f10"}, {Type: "back"}}},
	}
	for i, s := range steps {
		var replaced string
		c, replaced = mustSubmit(t, c, evidence(id, s.ev, s.slot, s.file))
		sub := findReq(c, id).Submitted
		if sub.EvidenceType != s.ev || sub.ReviewStatus != lending.ReviewPending || sub.ReviewReason != nil || replaced != s.replaced {
			t.Errorf("step %d: %s %s, replaced %q; want %s pending, replaced %q", i, sub.EvidenceType, sub.ReviewStatus, replaced, s.ev, s.replaced)
		}
		if diff := cmp.Diff(s.want, sub.Attachments); diff != "" {
			t.Errorf("step %d (%s %s): attachments (-want +got):\n%s", i, s.ev, s.slot, diff)
		}
	}

	// ei_mei comes as either of its two documents: switching starts over.
	c, _ = mustSubmit(t, c, evidence("ei_mei_documents", "ei_mei", "ei_registration_requirement", "g1"))
	c, replaced := mustSubmit(t, c, evidence("ei_mei_documents", "ei_mei", "ccmei", "g2"))
	want := []lending.Slot{{Type: "ccmei", Submitted: true, FileID: "g2"}}
	if diff := cmp.Diff(want, findReq(c, "ei_mei_documents").Submitted.Attachments); diff != "" || replaced != "" {
		t.Errorf("ei_mei switch: replaced %q, attachments (-want +got):\n%s", replaced, diff)
	}
}

func TestSubmitAfterVerdict(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureMEI)
	app := c.Applicant().ID
	idReq, selfieReq := "identity_"+app, "selfie_"+app
	c, _ = mustSubmit(t, c, evidence(selfieReq, "selfie", "photo", "s1"))
	c, _ = mustSubmit(t, c, evidence(idReq, "rg", "front", "r1"))
	c, _ = mustSubmit(t, c, evidence(idReq, "rg", "back", "r2"))
	// A reviewer may decide early, while the customer is still pending_kyc.
	c = mustDecide(t, c, []lending.ItemDecision{
		{RequirementID: selfieReq, Verdict: lending.VerdictAccept},
		{RequirementID: idReq, Verdict: lending.VerdictReject, Reason: "  Foto desfocada. "},
	})
	if c.Status != lending.CustomerPendingKYC {
		t.Fatalf("early verdicts: status %s", c.Status)
	}
	if r := findReq(c, idReq).Submitted.ReviewReason; r == nil || *r != "Foto desfocada." {
		t.Errorf("review_reason = %v, want the trimmed reason", r)
	}
	if n := findReq(c, idReq).Submitted.Rejections; n != 1 {
		t.Errorf("Rejections = %d after one rejection", n)
	}

	// An accepted requirement cannot change, whatever the upload.
	for _, ev := range []lending.Evidence{evidence(selfieReq, "selfie", "photo", "s2")} {
		got, replaced, err := c.Submit(ev, kycNow)
		checkCode(t, "upload to an accepted requirement", err, lending.CodeAttachmentAlreadyAccepted)
		if replaced != "" || findReq(got, selfieReq).Submitted.Attachments[0].FileID != "s1" {
			t.Errorf("accepted requirement changed")
		}
	}

	// A rejected requirement starts over with the upload.
	got, replaced := mustSubmit(t, c, evidence(idReq, "rg", "back", "r3"))
	sub := findReq(got, idReq).Submitted
	want := &lending.Submission{EvidenceType: "rg", ReviewStatus: lending.ReviewPending,
		Attachments: []lending.Slot{{Type: "front"}, {Type: "back", Submitted: true, FileID: "r3"}}}
	if diff := cmp.Diff(want, sub, ignoreRejections); diff != "" || replaced != "" {
		t.Errorf("upload after rejection: replaced %q, submission (-want +got):\n%s", replaced, diff)
	}
	if sub.Rejections != 1 {
		t.Errorf("Rejections = %d after resubmission, want the 1 rejection kept", sub.Rejections)
	}
	// A second rejection counts too.
	got, _ = mustSubmit(t, got, evidence(idReq, "rg", "front", "r4"))
	got = mustDecide(t, got, decisions(lending.VerdictReject, idReq))
	if n := findReq(got, idReq).Submitted.Rejections; n != 2 {
		t.Errorf("Rejections = %d after two rejections", n)
	}
	got, _ = mustSubmit(t, c, evidence(idReq, "cnh", "file", "c1"))
	want = &lending.Submission{EvidenceType: "cnh", ReviewStatus: lending.ReviewPending,
		Attachments: []lending.Slot{{Type: "file", Submitted: true, FileID: "c1"}}}
	if diff := cmp.Diff(want, findReq(got, idReq).Submitted, ignoreRejections); diff != "" {
		t.Errorf("other evidence after rejection (-want +got):\n%s", diff)
	}
	// The rejection itself is still on c: Submit returns a new customer.
	if findReq(c, idReq).Submitted.ReviewStatus != lending.ReviewRejected {
		t.Errorf("Submit changed its receiver")
	}
}

func TestStartReview(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureLTDA, coOwnerA)
	app := c.Applicant().ID
	co := reqOf(t, c, lending.ReqEmail, lending.SubjectCoOwner).Subject.ID

	// Nothing sent: every mandatory requirement is named, the optional e-mail is not.
	_, err := c.StartReview(kycNow)
	checkCode(t, "StartReview with nothing sent", err, lending.CodeKYCIncomplete)
	var wantAll []paramCode
	for _, id := range mandatoryIDs(c) {
		wantAll = append(wantAll, paramCode{id, lending.CodeKYCIncomplete})
	}
	slices.SortFunc(wantAll, func(a, b paramCode) int { return strings.Compare(a.Param, b.Param) })
	if diff := cmp.Diff(wantAll, fieldsOf(t, "nothing sent", err)); diff != "" {
		t.Errorf("nothing sent: fields (-want +got):\n%s", diff)
	}

	// A partial identity, a rejected selfie and a complete proof of address.
	c, _ = mustSubmit(t, c, evidence("identity_"+app, "cnh", "front", "f1"))
	c, _ = mustSubmit(t, c, evidence("selfie_"+app, "selfie", "photo", "s1"))
	c, _ = mustSubmit(t, c, evidence("proof_of_address_"+app, "proof_of_address", "file", "p1"))
	c = mustDecide(t, c, []lending.ItemDecision{{RequirementID: "selfie_" + app, Verdict: lending.VerdictReject}})
	got, err := c.StartReview(kycNow)
	checkCode(t, "StartReview with gaps", err, lending.CodeKYCIncomplete)
	if got.Status != lending.CustomerPendingKYC {
		t.Errorf("refused review moved the customer to %s", got.Status)
	}
	e := asError(t, "gaps", err)
	want := []lending.FieldError{
		{Param: "identity_" + app, Detail: "missing attachment back", Code: lending.CodeKYCIncomplete},
		{Param: "selfie_" + app, Detail: "rejected; submit it again", Code: lending.CodeKYCIncomplete},
		{Param: "identity_" + co, Detail: "not submitted", Code: lending.CodeKYCIncomplete},
		{Param: "selfie_" + co, Detail: "not submitted", Code: lending.CodeKYCIncomplete},
		{Param: "proof_of_address_" + co, Detail: "not submitted", Code: lending.CodeKYCIncomplete},
		{Param: "articles_of_association", Detail: "not submitted", Code: lending.CodeKYCIncomplete},
		{Param: "income_statement", Detail: "not submitted", Code: lending.CodeKYCIncomplete},
	}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Errorf("kyc_incomplete fields (-want +got):\n%s", diff)
	}
	for _, f := range want {
		if !strings.Contains(e.Detail, f.Param) {
			t.Errorf("detail %q does not name %s", e.Detail, f.Param)
		}
	}

	// Everything mandatory sent (the optional e-mail not): under review, KYC untouched.
	c = enrichedCustomer(t, lending.LegalNatureLTDA, coOwnerA)
	c = submitAll(t, c, false)
	later := kycNow.Add(time.Minute)
	got, err = c.StartReview(later)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != lending.CustomerUnderReview || !cmp.Equal(got.KYC, c.KYC) || !got.UpdatedAt.Equal(later.Truncate(time.Microsecond)) {
		t.Errorf("StartReview: %s, updated %v", got.Status, got.UpdatedAt)
	}
	if diff := cmp.Diff(mandatoryIDs(c), got.PendingReview()); diff != "" {
		t.Errorf("PendingReview (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{lending.EventCustomerUnderReview}, lending.CustomerEvents(c, got)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	for _, st := range []lending.CustomerStatus{lending.CustomerCreating, lending.CustomerUnderReview, lending.CustomerActive, lending.CustomerDenied} {
		_, err := withStatus(c, st).StartReview(kycNow)
		checkCode(t, "StartReview while "+string(st), err, lending.CodeInvalidCustomerState)
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	base := enrichedCustomer(t, lending.LegalNatureSA, coOwnerA, coOwnerB)
	app := base.Applicant().ID
	review := mustStartReview(t, submitAll(t, base, true))
	pending := review.PendingReview()
	if len(pending) != len(review.KYC) {
		t.Fatalf("PendingReview = %v, want all %d requirements", pending, len(review.KYC))
	}

	// Accept everything: active.
	active := mustDecide(t, review, decisions(lending.VerdictAccept, pending...))
	if active.Status != lending.CustomerActive {
		t.Errorf("all accepted: %s", active.Status)
	}
	for _, r := range active.KYC {
		if r.Submitted.ReviewStatus != lending.ReviewAccepted || r.Submitted.ReviewReason != nil {
			t.Errorf("%s: %s %v", r.ID, r.Submitted.ReviewStatus, r.Submitted.ReviewReason)
		}
	}
	if diff := cmp.Diff([]string{lending.EventCustomerKYCUpdated, lending.EventCustomerActive}, lending.CustomerEvents(review, active)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(active.PendingReview()) != 0 {
		t.Errorf("PendingReview after accepting all: %v", active.PendingReview())
	}

	// Accepting only some: still under review, the rest still waits.
	partial := mustDecide(t, review, decisions(lending.VerdictAccept, pending[:3]...))
	if partial.Status != lending.CustomerUnderReview || len(partial.PendingReview()) != len(pending)-3 {
		t.Errorf("partial accept: %s, pending %v", partial.Status, partial.PendingReview())
	}
	if diff := cmp.Diff([]string{lending.EventCustomerKYCUpdated}, lending.CustomerEvents(review, partial)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// Accepting all mandatory ones is enough; the optional e-mails may still wait.
	done := mustDecide(t, review, decisions(lending.VerdictAccept, mandatoryIDs(review)...))
	if done.Status != lending.CustomerActive {
		t.Errorf("mandatory accepted: %s", done.Status)
	}

	// One rejection: back to pending_kyc, with the reason (a default one when none is given).
	ds := decisions(lending.VerdictAccept, pending...)
	reject := "proof_of_address_" + app
	for i := range ds {
		if ds[i].RequirementID == reject {
			ds[i].Verdict = lending.VerdictReject
		}
	}
	back := mustDecide(t, review, ds)
	sub := findReq(back, reject).Submitted
	if back.Status != lending.CustomerPendingKYC || sub.ReviewStatus != lending.ReviewRejected || sub.ReviewReason == nil || *sub.ReviewReason == "" {
		t.Errorf("one rejected: %s, %+v", back.Status, sub)
	}
	if diff := cmp.Diff([]string{lending.EventCustomerKYCUpdated}, lending.CustomerEvents(review, back)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	// Resubmit, review again, accept: active.
	again := completeRequirement(t, back, *findReq(back, reject))
	again = mustStartReview(t, again)
	if diff := cmp.Diff([]string{reject}, again.PendingReview()); diff != "" {
		t.Errorf("second review waits for (-want +got):\n%s", diff)
	}
	again = mustDecide(t, again, decisions(lending.VerdictAccept, reject))
	if again.Status != lending.CustomerActive {
		t.Errorf("accepted after resubmission: %s", again.Status)
	}

	// Refusals.
	incomplete, _ := mustSubmit(t, base, evidence("identity_"+app, "rg", "front", "x"))
	refusals := []struct {
		name string
		c    lending.Customer
		ds   []lending.ItemDecision
		code lending.Code
	}{
		{"no decisions", review, nil, lending.CodeInvalidCustomerState},
		{"unknown requirement", review, decisions(lending.VerdictAccept, "nope"), lending.CodeRequirementNotFound},
		{"already accepted", partial, decisions(lending.VerdictAccept, pending[0]), lending.CodeInvalidCustomerState},
		{"already rejected", back, decisions(lending.VerdictAccept, reject), lending.CodeInvalidCustomerState},
		{"decided twice at once", review, decisions(lending.VerdictAccept, pending[0], pending[0]), lending.CodeInvalidCustomerState},
		{"not submitted", base, decisions(lending.VerdictReject, "selfie_"+app), lending.CodeInvalidCustomerState},
		{"incomplete", incomplete, decisions(lending.VerdictReject, "identity_"+app), lending.CodeInvalidCustomerState},
		{"bad verdict", review, []lending.ItemDecision{{RequirementID: pending[0], Verdict: "maybe"}}, lending.CodeInvalidField},
		{"active", active, decisions(lending.VerdictAccept, pending[0]), lending.CodeInvalidCustomerState},
		{"denied", withStatus(review, lending.CustomerDenied), decisions(lending.VerdictAccept, pending[0]), lending.CodeInvalidCustomerState},
		{"creating", newCreatingCustomer(t), decisions(lending.VerdictAccept, pending[0]), lending.CodeInvalidCustomerState},
	}
	for _, tt := range refusals {
		_, err := tt.c.Decide(tt.ds, kycNow)
		checkCode(t, tt.name, err, tt.code)
	}
}

func TestApproveAll(t *testing.T) {
	t.Parallel()
	for _, ln := range lending.LegalNatures() {
		c := enrichedCustomer(t, ln, coOwnerA)
		got, err := c.ApproveAll(kycNow)
		if err != nil {
			t.Fatalf("%s: %v", ln, err)
		}
		if got.Status != lending.CustomerActive {
			t.Errorf("%s: %s", ln, got.Status)
		}
		for _, r := range got.KYC {
			if !r.Mandatory {
				if r.Submitted != nil {
					t.Errorf("%s: optional %s was submitted: %+v", ln, r.ID, r.Submitted)
				}
				continue
			}
			s := r.Submitted
			if s == nil || s.ReviewStatus != lending.ReviewAccepted || s.ReviewReason != nil || !s.Complete() {
				t.Errorf("%s: %s not accepted: %+v", ln, r.ID, s)
				continue
			}
			spec, ok := specEvidence[s.EvidenceType]
			var types []string
			for _, a := range s.Attachments {
				types = append(types, a.Type)
			}
			if !ok || spec.reqType != r.Type || !slices.ContainsFunc(spec.slotSets, func(set []string) bool { return slices.Equal(set, types) }) {
				t.Errorf("%s: %s approved as %s %v", ln, r.ID, s.EvidenceType, types)
			}
		}
		if diff := cmp.Diff([]string{lending.EventCustomerKYCUpdated, lending.EventCustomerActive}, lending.CustomerEvents(c, got)); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", ln, diff)
		}
	}

	// Whatever was sent: partial, rejected, optional and pending alike.
	c := enrichedCustomer(t, lending.LegalNatureLTDA, coOwnerA)
	app := c.Applicant().ID
	co := reqOf(t, c, lending.ReqEmail, lending.SubjectCoOwner)
	c, _ = mustSubmit(t, c, evidence("identity_"+app, "rg", "back", "r1"))
	c, _ = mustSubmit(t, c, evidence("selfie_"+app, "selfie", "photo", "s1"))
	c, _ = mustSubmit(t, c, evidence(co.ID, "email", "email", ""))
	c = mustDecide(t, c, decisions(lending.VerdictReject, "selfie_"+app))
	got, err := c.ApproveAll(kycNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got.KYC {
		if r.Submitted == nil || r.Submitted.ReviewStatus != lending.ReviewAccepted || r.Submitted.ReviewReason != nil || !r.Submitted.Complete() {
			t.Errorf("%s: %+v", r.ID, r.Submitted)
		}
	}
	if s := findReq(got, "identity_"+app).Submitted; s.EvidenceType != "rg" || s.Attachments[1].FileID != "r1" {
		t.Errorf("approval lost what was sent: %+v", s)
	}
	if findReq(c, "identity_"+app).Submitted.Attachments[0].Submitted {
		t.Errorf("ApproveAll changed its receiver")
	}

	// Under review too; nowhere else.
	review := mustStartReview(t, submitAll(t, enrichedCustomer(t, lending.LegalNatureMEI), false))
	if got, err := review.ApproveAll(kycNow); err != nil || got.Status != lending.CustomerActive {
		t.Errorf("ApproveAll under review: %s, %v", got.Status, err)
	}
	for _, st := range []lending.CustomerStatus{lending.CustomerCreating, lending.CustomerActive, lending.CustomerDenied} {
		_, err := withStatus(review, st).ApproveAll(kycNow)
		checkCode(t, "ApproveAll while "+string(st), err, lending.CodeInvalidCustomerState)
	}
}

func TestDeny(t *testing.T) {
	t.Parallel()
	pending := enrichedCustomer(t, lending.LegalNatureMEI)
	review := mustStartReview(t, submitAll(t, pending, false))
	active, err := review.ApproveAll(kycNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []lending.Customer{newCreatingCustomer(t), pending, review} {
		got, err := c.Deny("  fraude confirmada \n", kycNow)
		if err != nil {
			t.Errorf("Deny while %s: %v", c.Status, err)
			continue
		}
		if got.Status != lending.CustomerDenied || got.DenialReason != "fraude confirmada" || !got.UpdatedAt.Equal(kycNow.Truncate(time.Microsecond)) {
			t.Errorf("Deny while %s: %s %q", c.Status, got.Status, got.DenialReason)
		}
		if diff := cmp.Diff([]string{lending.EventCustomerDenied}, lending.CustomerEvents(c, got)); diff != "" {
			t.Errorf("Deny while %s: events (-want +got):\n%s", c.Status, diff)
		}
	}
	denied, _ := pending.Deny("x", kycNow)
	for _, c := range []lending.Customer{active, denied} {
		got, err := c.Deny("again", kycNow)
		checkCode(t, "Deny while "+string(c.Status), err, lending.CodeInvalidCustomerState)
		if got.Status != c.Status {
			t.Errorf("Deny while %s changed the status to %s", c.Status, got.Status)
		}
	}
}

func TestCustomerEvents(t *testing.T) {
	t.Parallel()
	creating := newCreatingCustomer(t)
	pending := enrichedCustomer(t, lending.LegalNatureMEI)
	app := pending.Applicant().ID
	uploaded, _ := mustSubmit(t, pending, evidence("selfie_"+app, "selfie", "photo", "s1"))
	complete := submitAll(t, pending, false)
	review := mustStartReview(t, complete)
	accepted := mustDecide(t, review, decisions(lending.VerdictAccept, review.PendingReview()...))
	rejected := mustDecide(t, review, decisions(lending.VerdictReject, "selfie_"+app))
	closedEnrichment := enrichment(lending.LegalNatureMEI)
	closedEnrichment.Closed = true
	closed, _ := creating.Enrich(closedEnrichment, kycNow)
	deniedPending, _ := uploaded.Deny("fraude", kycNow)
	deniedReview, _ := review.Deny("fraude", kycNow)
	approved, _ := uploaded.ApproveAll(kycNow)
	patched, _ := pending.Apply(lending.CustomerPatch{Email: ptr("novo@empresa.com")}, kycNow)
	reupload, _ := mustSubmit(t, uploaded, evidence("selfie_"+app, "selfie", "photo", "s1"))

	tests := []struct {
		name          string
		before, after lending.Customer
		want          []string
	}{
		{"enriched", creating, pending, []string{lending.EventCustomerCreated}},
		{"closed company", creating, closed, []string{lending.EventCustomerDenied}},
		{"upload", pending, uploaded, []string{lending.EventCustomerKYCUpdated}},
		{"review started", complete, review, []string{lending.EventCustomerUnderReview}},
		{"accepted", review, accepted, []string{lending.EventCustomerKYCUpdated, lending.EventCustomerActive}},
		{"rejected", review, rejected, []string{lending.EventCustomerKYCUpdated}},
		{"denied with KYC changes", pending, deniedPending, []string{lending.EventCustomerDenied}},
		{"denied under review", review, deniedReview, []string{lending.EventCustomerDenied}},
		{"sandbox approval", uploaded, approved, []string{lending.EventCustomerKYCUpdated, lending.EventCustomerActive}},
		{"e-mail patch", pending, patched, nil},
		{"same file again", uploaded, reupload, nil},
		{"nothing", review, review, nil},
	}
	for _, tt := range tests {
		if tt.after.Status == "" {
			t.Fatalf("%s: no after customer", tt.name)
		}
		if diff := cmp.Diff(tt.want, lending.CustomerEvents(tt.before, tt.after), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", tt.name, diff)
		}
	}
	if rejected.Status != lending.CustomerPendingKYC {
		t.Errorf("rejected: status %s", rejected.Status)
	}
}

// A customer under review must be able to finish: a reviewer decides on what waits for review, so a
// customer under review with nothing waiting and not active can never move again (the review job finds
// no decisions and leaves it; only the sandbox approval or a denial gets it out).
func checkCanFinishReview(t *testing.T, what string, c lending.Customer) {
	t.Helper()
	if c.Status == lending.CustomerUnderReview && len(c.PendingReview()) == 0 {
		t.Errorf("%s: customer is under_review with nothing waiting for review; it is stuck", what)
	}
}

// TestRejectedOptionalRequirementStrandsCustomer: a co-owner's e-mail is optional, so StartReview does not
// ask for it again after it was rejected; but Decide sends any customer with a rejected item back to
// pending_kyc, so the customer can never become active without resubmitting an optional item, and once
// every mandatory requirement is accepted it is stuck under review.
func TestRejectedOptionalRequirementStrandsCustomer(t *testing.T) {
	t.Parallel()
	c := enrichedCustomer(t, lending.LegalNatureLTDA, coOwnerA)
	emailReq := reqOf(t, c, lending.ReqEmail, lending.SubjectCoOwner).ID
	c = mustStartReview(t, submitAll(t, c, true))
	ds := decisions(lending.VerdictAccept, mandatoryIDs(c)...)
	ds = append(ds, lending.ItemDecision{RequirementID: emailReq, Verdict: lending.VerdictReject, Reason: "e-mail inexistente"})
	c = mustDecide(t, c, ds)
	// Every mandatory requirement is accepted; only the optional e-mail is rejected.
	if c.Status == lending.CustomerActive {
		return
	}
	c, err := c.StartReview(kycNow) // allowed: the rejected item is optional
	if err != nil {
		t.Logf("StartReview refused (%v): acceptable, the partner is told what to fix", err)
		return
	}
	checkCanFinishReview(t, "optional e-mail rejected, everything mandatory accepted", c)
}

// TestEarlyAcceptanceStrandsCustomer: Decide accepts verdicts while the customer is pending_kyc but only
// activates a customer under review; a customer whose every mandatory item was accepted early then goes
// under review with nothing left to decide.
func TestEarlyAcceptanceStrandsCustomer(t *testing.T) {
	t.Parallel()
	c := submitAll(t, enrichedCustomer(t, lending.LegalNatureMEI), false)
	c, err := c.Decide(decisions(lending.VerdictAccept, c.PendingReview()...), kycNow)
	if err != nil || c.Status == lending.CustomerActive {
		return // refusing early acceptance, or activating at once, would both be fine
	}
	c, err = c.StartReview(kycNow)
	if err != nil {
		t.Fatalf("StartReview: %v", err)
	}
	checkCanFinishReview(t, "every mandatory requirement accepted before review", c)
}

var customerSuccessors = map[lending.CustomerStatus][]lending.CustomerStatus{
	lending.CustomerCreating:    {lending.CustomerCreating, lending.CustomerPendingKYC, lending.CustomerDenied},
	lending.CustomerPendingKYC:  {lending.CustomerPendingKYC, lending.CustomerUnderReview, lending.CustomerActive, lending.CustomerDenied},
	lending.CustomerUnderReview: {lending.CustomerUnderReview, lending.CustomerActive, lending.CustomerPendingKYC, lending.CustomerDenied},
	lending.CustomerActive:      {lending.CustomerActive},
	lending.CustomerDenied:      {lending.CustomerDenied},
}

// randomEvidence returns an upload for c: usually a valid one for a random slot, sometimes a broken one.
func randomEvidence(r *rand.Rand, c lending.Customer) lending.Evidence {
	file := fmt.Sprintf("kf_%d", r.IntN(1000))
	if len(c.KYC) == 0 || r.IntN(10) == 0 {
		evs := lending.EvidenceTypes()
		return lending.Evidence{RequirementID: []string{"nope", "identity", "income_statement"}[r.IntN(3)],
			EvidenceType: evs[r.IntN(len(evs))], AttachmentType: specAttachmentTypes[r.IntN(len(specAttachmentTypes))], FileID: file}
	}
	// Mostly, fill a gap: an empty slot of what is not yet sent, or a rejected requirement. This
	// lets random walks reach review and activation.
	var gaps []lending.Evidence
	for _, req := range c.KYC {
		s := req.Submitted
		switch {
		case s == nil || s.ReviewStatus == lending.ReviewRejected:
			ev := evidenceTypesFor(req.Type)[0]
			gaps = append(gaps, evidence(req.ID, ev, specEvidence[ev].slotSets[0][0], file))
		case s.ReviewStatus == lending.ReviewPending:
			for _, a := range s.Attachments {
				if !a.Submitted {
					gaps = append(gaps, evidence(req.ID, s.EvidenceType, a.Type, file))
				}
			}
		}
	}
	if len(gaps) > 0 && r.IntN(5) != 0 {
		return gaps[r.IntN(len(gaps))]
	}
	req := c.KYC[r.IntN(len(c.KYC))]
	evs := evidenceTypesFor(req.Type)
	ev := evs[r.IntN(len(evs))]
	sets := specEvidence[ev].slotSets
	set := sets[r.IntN(len(sets))]
	e := evidence(req.ID, ev, set[r.IntN(len(set))], file)
	switch r.IntN(12) {
	case 0:
		all := lending.EvidenceTypes()
		e.EvidenceType = all[r.IntN(len(all))]
	case 1:
		e.AttachmentType = specAttachmentTypes[r.IntN(len(specAttachmentTypes))]
	case 2:
		e.FileID = ""
	case 3:
		e.Value = []string{"", "not an e-mail", " x@y.com "}[r.IntN(3)]
	}
	return e
}

// randomDecisions returns verdicts on a random subset of what waits for review, sometimes with a broken
// decision mixed in.
func randomDecisions(r *rand.Rand, c lending.Customer) []lending.ItemDecision {
	var out []lending.ItemDecision
	for _, id := range c.PendingReview() {
		if r.IntN(3) == 0 {
			continue
		}
		d := lending.ItemDecision{RequirementID: id, Verdict: lending.VerdictAccept}
		if r.IntN(4) == 0 {
			d.Verdict, d.Reason = lending.VerdictReject, []string{"", "ilegível"}[r.IntN(2)]
		}
		out = append(out, d)
	}
	switch {
	case r.IntN(15) == 0 && len(c.KYC) > 0:
		out = append(out, lending.ItemDecision{RequirementID: c.KYC[r.IntN(len(c.KYC))].ID, Verdict: lending.VerdictAccept})
	case r.IntN(30) == 0:
		out = append(out, lending.ItemDecision{RequirementID: "nope", Verdict: lending.VerdictReject})
	case r.IntN(30) == 0 && len(out) > 0:
		out[0].Verdict = "maybe"
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func checkCustomerInvariants(t *testing.T, what string, c lending.Customer) {
	t.Helper()
	if _, ok := lending.ParseCustomerStatus(string(c.Status)); !ok {
		t.Fatalf("%s: status %q", what, c.Status)
	}
	if c.Status != lending.CustomerCreating && c.Status != lending.CustomerDenied && len(c.KYC) == 0 {
		t.Fatalf("%s: %s customer without KYC", what, c.Status)
	}
	for _, r := range c.KYC {
		if c.Status == lending.CustomerActive && r.Mandatory && (r.Submitted == nil || r.Submitted.ReviewStatus != lending.ReviewAccepted) {
			t.Fatalf("%s: active customer with mandatory %s not accepted: %+v", what, r.ID, r.Submitted)
		}
		s := r.Submitted
		if s == nil {
			continue
		}
		if (s.ReviewReason != nil) != (s.ReviewStatus == lending.ReviewRejected) {
			t.Fatalf("%s: %s is %s with review_reason %v", what, r.ID, s.ReviewStatus, s.ReviewReason)
		}
		switch s.ReviewStatus {
		case lending.ReviewPending, lending.ReviewAccepted, lending.ReviewRejected:
		default:
			t.Fatalf("%s: %s review_status %q", what, r.ID, s.ReviewStatus)
		}
		if spec, ok := specEvidence[s.EvidenceType]; !ok || spec.reqType != r.Type || len(s.Attachments) == 0 {
			t.Fatalf("%s: %s holds %s with %v", what, r.ID, s.EvidenceType, s.Attachments)
		}
		if s.ReviewStatus == lending.ReviewAccepted && !s.Complete() {
			t.Fatalf("%s: %s accepted with a slot missing", what, r.ID)
		}
	}
}

// TestCustomerStateMachineProperty applies random operations to enriched customers and checks, after
// each, the invariants of contract.md §7.1–§7.2.
func TestCustomerStateMachineProperty(t *testing.T) {
	t.Parallel()
	natures := lending.LegalNatures()
	coOwners := [][]lending.Person{nil, {coOwnerA}, {coOwnerA, coOwnerB}}
	template := map[string]lending.Customer{}
	for _, ln := range natures {
		for i, co := range coOwners {
			template[fmt.Sprint(ln, i)] = enrichedCustomer(t, ln, co...)
		}
	}
	reached := map[lending.CustomerStatus]int{}
	transitions := map[string]int{}
	stuck := 0
	ops := map[string]int{}
	for run := range 2_000 {
		r := rand.New(rand.NewPCG(uint64(run), 0x5eed))
		c := template[fmt.Sprint(natures[r.IntN(len(natures))], r.IntN(len(coOwners)))]
		if r.IntN(20) == 0 {
			c, _ = c.Deny("random", kycNow)
		}
		steps := 1 + r.IntN(30)
		var trail []string
		for step := range steps {
			before := c
			var (
				after lending.Customer
				err   error
				op    string
			)
			switch p := r.IntN(100); {
			case p < 55:
				ev := randomEvidence(r, c)
				op = fmt.Sprintf("Submit(%s %s/%s)", ev.RequirementID, ev.EvidenceType, ev.AttachmentType)
				after, _, err = c.Submit(ev, kycNow)
			case p < 70:
				op = "StartReview"
				after, err = c.StartReview(kycNow)
			case p < 92:
				ds := randomDecisions(r, c)
				op = fmt.Sprintf("Decide(%v)", ds)
				after, err = c.Decide(ds, kycNow)
			case p < 96:
				op = "ApproveAll"
				after, err = c.ApproveAll(kycNow)
			default:
				op = "Deny"
				after, err = c.Deny("random", kycNow)
			}
			trail = append(trail, op)
			what := fmt.Sprintf("run %d step %d (%s)", run, step, strings.Join(trail, " → "))
			if err != nil {
				ops[op[:strings.IndexAny(op+"(", "(")]+" refused"]++
				if code := lending.ErrorCode(err); code == lending.CodeInternal || code.Kind() == lending.KindInternal {
					t.Fatalf("%s: error with an internal code: %v", what, err)
				}
				checkCustomerInvariants(t, what, c)
				continue
			}
			ops[op[:strings.IndexAny(op+"(", "(")]]++
			if !slices.Contains(customerSuccessors[before.Status], after.Status) {
				t.Fatalf("%s: %s → %s is not a legal transition", what, before.Status, after.Status)
			}
			if evs := lending.CustomerEvents(before, after); slices.Contains(evs, lending.EventCustomerActive) != (after.Status == lending.CustomerActive && before.Status != lending.CustomerActive) {
				t.Fatalf("%s: %s → %s sends %v", what, before.Status, after.Status, evs)
			}
			c = after
			reached[c.Status]++
			transitions[string(before.Status)+"→"+string(after.Status)]++
			if c.Status == lending.CustomerUnderReview && len(c.PendingReview()) == 0 {
				stuck++ // see TestEarlyAcceptanceStrandsCustomer
			}
			checkCustomerInvariants(t, what, c)
		}
	}
	for _, tr := range []string{"pending_kyc→under_review", "pending_kyc→active", "pending_kyc→denied", "pending_kyc→pending_kyc",
		"under_review→active", "under_review→pending_kyc", "under_review→denied", "under_review→under_review"} {
		if transitions[tr] == 0 {
			t.Errorf("the random walks never made %s; the generator is too weak", tr)
		}
	}
	t.Logf("statuses reached: %v; transitions: %v; operations: %v; steps that left a customer under review with nothing to review: %d",
		reached, transitions, ops, stuck)
}
