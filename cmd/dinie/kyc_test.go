package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
)

// The shape `kyc pending --json` must keep, pinned here apart from the command's own types.
type (
	pendingJSON struct {
		CustomerID     string           `json:"customer_id"`
		PartnerID      string           `json:"partner_id"`
		Environment    string           `json:"environment"`
		Status         string           `json:"status"`
		CPF            string           `json:"cpf"`
		CNPJ           string           `json:"cnpj"`
		Name           *string          `json:"name"`
		LegalName      string           `json:"legal_name"`
		TradingName    *string          `json:"trading_name"`
		LegalNature    string           `json:"legal_nature"`
		CreatedAt      int64            `json:"created_at"`
		WaitingSince   int64            `json:"waiting_since"`
		WaitingSeconds int64            `json:"waiting_seconds"`
		Requirements   []pendingReqJSON `json:"requirements"`
	}
	pendingReqJSON struct {
		RequirementID   string           `json:"requirement_id"`
		RequirementType string           `json:"requirement_type"`
		Label           string           `json:"label"`
		Mandatory       bool             `json:"mandatory"`
		SubjectName     *string          `json:"subject_name"`
		SubjectType     *string          `json:"subject_type"`
		EvidenceType    string           `json:"evidence_type"`
		Rejections      int              `json:"rejections"`
		Attachments     []attachmentJSON `json:"attachments"`
	}
	attachmentJSON struct {
		AttachmentType string    `json:"attachment_type"`
		Value          *string   `json:"value"`
		File           *fileJSON `json:"file"`
	}
	fileJSON struct {
		ID          string `json:"id"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		SHA256      string `json:"sha256"`
		BlobKey     string `json:"blob_key"`
		Path        string `json:"path"`
		UploadedAt  int64  `json:"uploaded_at"`
	}
)

// kycWorld is a database with a partner, a live webhook endpoint taking customer.* (so decisions leave
// deliveries to look at) and the customers service, as the server would build it.
type kycWorld struct {
	db       []string // --db and --data-dir for the commands
	dataDir  string
	st       *store.Store
	svc      *customers.Service
	partner  string
	endpoint string
}

func newKycWorld(t *testing.T, e storetest.Engine) *kycWorld {
	t.Helper()
	db := dbFlagsFor(t, e)
	p := createPartner(t, db, "Acme")
	d := dbFlags{db: db[1], dataDir: db[3]}
	m, _, _ := newMain(nil)
	st, err := m.openStore(t.Context(), d, clock.System{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	pf, err := workerFlags{retryScale: 1}.platform(st, d, slog.New(slog.DiscardHandler), false, "")
	if err != nil {
		t.Fatalf("platform: %v", err)
	}
	ep, err := lending.NewWebhookEndpoint(lending.Scope{PartnerID: p.ID, Environment: lending.EnvLive},
		"https://hooks.example.com/dinie", []string{"customer.*"}, "", ids.Secret("whsec_", 32), time.Now())
	if err != nil {
		t.Fatalf("new endpoint: %v", err)
	}
	if err := st.CreateWebhookEndpoint(t.Context(), ep); err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	return &kycWorld{db: db, dataDir: d.dataDir, st: st, svc: pf.Customers, partner: p.ID, endpoint: ep.ID}
}

func (k *kycWorld) args(args ...string) []string {
	return append(append([]string{"kyc"}, args...), k.db...)
}

func (k *kycWorld) update(t *testing.T, id string, change customers.Change) lending.Customer {
	t.Helper()
	c, err := k.svc.UpdateAnyScope(t.Context(), id, change)
	if err != nil {
		t.Fatalf("update %s: %v", id, err)
	}
	return c
}

// evidenceOf is the evidence and slot the tests send for each requirement type of an MEI.
var evidenceOf = map[lending.RequirementType][2]string{
	lending.ReqIdentity:        {"cnh", "file"},
	lending.ReqSelfie:          {"selfie", "photo"},
	lending.ReqProofOfAddress:  {"proof_of_address", "file"},
	lending.ReqCompanyDocument: {"ccmei", "file"},
}

// submit records a (fake) file for requirement reqID of customer id, as the upload would: the file's row,
// the requirement's new state and the superseding of the file it replaces.
func (k *kycWorld) submit(t *testing.T, id, reqID string) lending.KYCFile {
	t.Helper()
	var f lending.KYCFile
	k.update(t, id, func(tx *store.Tx, c lending.Customer) (lending.Customer, error) {
		i := slices.IndexFunc(c.KYC, func(r lending.Requirement) bool { return r.ID == reqID })
		if i < 0 {
			t.Fatalf("customer %s has no requirement %s", id, reqID)
		}
		ev := evidenceOf[c.KYC[i].Type]
		content := []byte(id + "/" + reqID + "/" + ids.New(""))
		sum := sha256.Sum256(content)
		h := hex.EncodeToString(sum[:])
		now := time.Now().UTC().Truncate(time.Microsecond)
		f = lending.KYCFile{ID: ids.New("kf_"), Scope: c.Scope, CustomerID: id, RequirementID: reqID, EvidenceType: ev[0],
			AttachmentType: ev[1], BlobKey: "sha256/" + h[:2] + "/" + h, SHA256: h, Size: int64(len(content)),
			ContentType: "application/pdf", UploadedAt: now}
		if err := tx.InsertKYCFile(t.Context(), f); err != nil {
			return c, err
		}
		if s := c.KYC[i].Submitted; s != nil {
			for _, a := range s.Attachments {
				if a.FileID != "" {
					if err := tx.SupersedeKYCFile(t.Context(), a.FileID, now); err != nil {
						return c, err
					}
				}
			}
		}
		after, _, err := c.Submit(lending.Evidence{RequirementID: reqID, EvidenceType: ev[0], AttachmentType: ev[1], FileID: f.ID}, now)
		return after, err
	})
	return f
}

func startReview(t *testing.T, k *kycWorld, id string) lending.Customer {
	t.Helper()
	c := k.update(t, id, func(_ *store.Tx, c lending.Customer) (lending.Customer, error) { return c.StartReview(time.Now()) })
	if c.Status != lending.CustomerUnderReview {
		t.Fatalf("after StartReview customer %s is %s, want under_review", id, c.Status)
	}
	return c
}

// registered creates an enriched MEI customer of env, pending_kyc with nothing submitted.
func (k *kycWorld) registered(t *testing.T, env lending.Environment, cpf, cnpj, name string) lending.Customer {
	t.Helper()
	c, created, err := k.svc.Register(t.Context(), lending.Scope{PartnerID: k.partner, Environment: env},
		lending.NewCustomerInput{CPF: cpf, CNPJ: cnpj, Email: "financeiro@example.com", Phone: "+5511987654321", Name: &name})
	if err != nil || !created {
		t.Fatalf("register: created=%v, %v", created, err)
	}
	return k.update(t, c.ID, func(_ *store.Tx, c lending.Customer) (lending.Customer, error) {
		return c.Enrich(lending.Enrichment{LegalName: strings.ToUpper(name) + " " + cpf, TradingName: "Doces de " + name,
			LegalNature: lending.LegalNatureMEI}, time.Now())
	})
}

// underReview creates an MEI customer of env and drives it to under_review with a file for every mandatory
// requirement; it returns the customer and its files by requirement id.
func (k *kycWorld) underReview(t *testing.T, env lending.Environment, cpf, cnpj, name string) (lending.Customer, map[string]lending.KYCFile) {
	t.Helper()
	c := k.registered(t, env, cpf, cnpj, name)
	files := map[string]lending.KYCFile{}
	for _, r := range c.KYC {
		if r.Mandatory {
			files[r.ID] = k.submit(t, c.ID, r.ID)
		}
	}
	return startReview(t, k, c.ID), files
}

// events returns the types of the events about customer id, as the live endpoint's deliveries hold them.
func (k *kycWorld) events(t *testing.T, id string) map[string]int {
	t.Helper()
	ds, _, err := k.st.ListDeliveries(t.Context(), lending.Scope{PartnerID: k.partner, Environment: lending.EnvLive},
		k.endpoint, "", store.Page{Limit: 100})
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	out := map[string]int{}
	for _, d := range ds {
		ev, err := k.st.Event(t.Context(), d.EventID)
		if err != nil {
			t.Fatalf("event %s: %v", d.EventID, err)
		}
		var data struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatalf("event %s data %s: %v", ev.ID, ev.Data, err)
		}
		if data.ID == id {
			if d.Status != lending.DeliveryPending {
				t.Errorf("delivery %s of %s is %s, want pending (queued for the workers)", d.ID, ev.Type, d.Status)
			}
			out[ev.Type]++
		}
	}
	return out
}

// newEvents returns the event counts of after that exceed those of before.
func newEvents(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for typ, n := range after {
		if n > before[typ] {
			out[typ] = n - before[typ]
		}
	}
	return out
}

func (k *kycWorld) customer(t *testing.T, c lending.Customer) lending.Customer {
	t.Helper()
	got, err := k.st.Customer(t.Context(), c.Scope, c.ID)
	if err != nil {
		t.Fatalf("customer %s: %v", c.ID, err)
	}
	return got
}

func reqID(t *testing.T, c lending.Customer, typ lending.RequirementType) string {
	t.Helper()
	for _, r := range c.KYC {
		if r.Type == typ {
			return r.ID
		}
	}
	t.Fatalf("customer %s has no %s requirement", c.ID, typ)
	return ""
}

// wantPending is what `kyc pending --json` should say of c with files, leaving the times out.
func wantPending(c lending.Customer, files map[string]lending.KYCFile, dataDir string) pendingJSON {
	blobs, _ := filepath.Abs(filepath.Join(dataDir, "blobs"))
	out := pendingJSON{CustomerID: c.ID, PartnerID: c.Scope.PartnerID, Environment: string(c.Scope.Environment),
		Status: "under_review", CPF: c.CPF.Format(), CNPJ: c.CNPJ.Format(), Name: c.Name, LegalName: c.LegalName,
		TradingName: c.TradingName, LegalNature: "mei", Requirements: []pendingReqJSON{}}
	for _, r := range c.KYC {
		f, ok := files[r.ID]
		if !ok {
			continue
		}
		pr := pendingReqJSON{RequirementID: r.ID, RequirementType: string(r.Type), Label: r.Label, Mandatory: true,
			EvidenceType: f.EvidenceType, Rejections: r.Submitted.Rejections,
			Attachments: []attachmentJSON{{AttachmentType: f.AttachmentType, File: &fileJSON{ID: f.ID,
				ContentType: "application/pdf", Size: f.Size, SHA256: f.SHA256, BlobKey: f.BlobKey,
				Path: filepath.Join(blobs, "sha256", f.SHA256[:2], f.SHA256), UploadedAt: f.UploadedAt.Unix()}}}}
		if r.Subject != nil {
			name, typ := r.Subject.Name, "applicant"
			pr.SubjectName, pr.SubjectType = &name, &typ
		}
		out.Requirements = append(out.Requirements, pr)
	}
	return out
}

// pending runs `kyc pending --json` with extra flags and checks the times it reports.
func (k *kycWorld) pending(t *testing.T, extra ...string) []pendingJSON {
	t.Helper()
	out := mustRun(t, k.args(append([]string{"pending", "--json"}, extra...)...)...)
	var got []pendingJSON
	decodeOne(t, out, &got)
	if got == nil {
		t.Fatalf("kyc pending --json = %q, want a JSON array", out)
	}
	now := time.Now().Unix()
	for _, p := range got {
		if p.WaitingSince < now-60 || p.WaitingSince > now+1 || p.CreatedAt > p.WaitingSince {
			t.Errorf("%s: created_at %d, waiting_since %d, want created_at <= waiting_since within a minute of now %d",
				p.CustomerID, p.CreatedAt, p.WaitingSince, now)
		}
		if p.WaitingSeconds < 0 || p.WaitingSeconds > 60 {
			t.Errorf("%s: waiting_seconds = %d, want 0..60", p.CustomerID, p.WaitingSeconds)
		}
	}
	return got
}

var ignoreTimes = cmpopts.IgnoreFields(pendingJSON{}, "CreatedAt", "WaitingSince", "WaitingSeconds")

func pendingIDs(ps []pendingJSON) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.CustomerID
	}
	return out
}

// TestKycPendingAndDecide walks live customers through the operator's decisions: listed while they wait,
// rejected in part, resubmitted, accepted, denied, each decision with its events.
func TestKycPendingAndDecide(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			k := newKycWorld(t, e)
			if got := k.pending(t); len(got) != 0 {
				t.Fatalf("kyc pending on a new database = %+v, want []", got)
			}
			if out := mustRun(t, k.args("pending")...); !strings.Contains(out, "no customer waits for a KYC decision in live") {
				t.Errorf("kyc pending with nobody waiting printed %q", out)
			}
			maria, mariaFiles := k.underReview(t, lending.EnvLive, "529.982.247-25", "11.222.333/0001-81", "Maria Souza")
			joao, joaoFiles := k.underReview(t, lending.EnvLive, "50981193676", "12340001000164", "João Lima")
			sandbox, sandboxFiles := k.underReview(t, lending.EnvTest, "23110071819", "12340003000153", "Ana Teste")

			// The live ones, the longest waiting first; the test customer only with --env test or all.
			want := []pendingJSON{wantPending(maria, mariaFiles, k.dataDir), wantPending(joao, joaoFiles, k.dataDir)}
			if diff := cmp.Diff(want, k.pending(t), ignoreTimes); diff != "" {
				t.Errorf("kyc pending --json (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, k.pending(t, "--env", "live"), ignoreTimes); diff != "" {
				t.Errorf("kyc pending --env live --json (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]pendingJSON{wantPending(sandbox, sandboxFiles, k.dataDir)}, k.pending(t, "--env", "test"), ignoreTimes); diff != "" {
				t.Errorf("kyc pending --env test --json (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{maria.ID, joao.ID, sandbox.ID}, pendingIDs(k.pending(t, "--env", "all"))); diff != "" {
				t.Errorf("kyc pending --env all (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{maria.ID}, pendingIDs(k.pending(t, "--limit", "1"))); diff != "" {
				t.Errorf("kyc pending --limit 1 (-want +got):\n%s", diff)
			}

			human := mustRun(t, k.args("pending")...)
			for _, s := range []string{"2 customer(s) wait", maria.ID, joao.ID, k.partner, "529.982.247-25", "11.222.333/0001-81",
				"Maria Souza", "João Lima", maria.LegalName, "waiting", "REQUIREMENT", "application/pdf"} {
				if !strings.Contains(human, s) {
					t.Errorf("kyc pending output lacks %q:\n%s", s, human)
				}
			}
			blobs, _ := filepath.Abs(filepath.Join(k.dataDir, "blobs"))
			for id, f := range mariaFiles {
				for _, s := range []string{id, f.ID, f.SHA256, filepath.Join(blobs, filepath.FromSlash(f.BlobKey))} {
					if !strings.Contains(human, s) {
						t.Errorf("kyc pending output lacks %q (requirement %s):\n%s", s, id, human)
					}
				}
			}
			if strings.Contains(human, sandbox.ID) {
				t.Errorf("kyc pending (live) lists the test customer %s:\n%s", sandbox.ID, human)
			}
			if human := mustRun(t, k.args("pending", "--env", "all")...); !strings.Contains(human, sandbox.ID) {
				t.Errorf("kyc pending --env all lacks the test customer %s:\n%s", sandbox.ID, human)
			}

			// Reject the proof of address and accept the rest: back to pending_kyc, with customer.kyc_updated.
			poa := reqID(t, maria, lending.ReqProofOfAddress)
			before := k.events(t, maria.ID)
			args := []string{"decide", maria.ID, "--reject", poa + "=ilegível", "--json"}
			for _, r := range maria.KYC {
				if r.ID != poa {
					args = append(args, "--accept", r.ID)
				}
			}
			out := mustRun(t, k.args(args...)...)
			var decided wire.Customer
			decodeOne(t, out, &decided)
			if decided.ID != maria.ID || decided.Status != "pending_kyc" {
				t.Errorf("decide --reject --accept --json = %s %s, want %s pending_kyc", decided.ID, decided.Status, maria.ID)
			}
			reviews := map[string]string{}
			for _, r := range decided.KYC {
				reviews[r.RequirementID] = r.Submitted.ReviewStatus
				if r.RequirementID == poa && (r.Submitted.ReviewReason == nil || *r.Submitted.ReviewReason != "ilegível") {
					t.Errorf("%s review_reason = %v, want ilegível", poa, r.Submitted.ReviewReason)
				}
			}
			wantReviews := map[string]string{}
			for _, r := range maria.KYC {
				wantReviews[r.ID] = "accepted"
			}
			wantReviews[poa] = "rejected"
			if diff := cmp.Diff(wantReviews, reviews); diff != "" {
				t.Errorf("review statuses after the decision (-want +got):\n%s", diff)
			}
			if got := k.customer(t, maria); got.Status != lending.CustomerPendingKYC {
				t.Errorf("stored customer is %s, want pending_kyc", got.Status)
			}
			if diff := cmp.Diff(map[string]int{lending.EventCustomerKYCUpdated: 1}, newEvents(before, k.events(t, maria.ID))); diff != "" {
				t.Errorf("events of the rejection (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{joao.ID}, pendingIDs(k.pending(t))); diff != "" {
				t.Errorf("kyc pending after the rejection (-want +got):\n%s", diff)
			}

			// The partner sends the proof of address again; the listing shows only it, with its new file.
			newPOA := k.submit(t, maria.ID, poa)
			maria = startReview(t, k, maria.ID)
			wantMaria := wantPending(maria, map[string]lending.KYCFile{poa: newPOA}, k.dataDir)
			wantMaria.Requirements[0].Rejections = 1
			if diff := cmp.Diff([]pendingJSON{wantPending(joao, joaoFiles, k.dataDir), wantMaria}, k.pending(t), ignoreTimes); diff != "" {
				t.Errorf("kyc pending after the resubmission (-want +got):\n%s", diff)
			}

			before = k.events(t, maria.ID)
			out = mustRun(t, k.args("decide", maria.ID, "--accept-all")...)
			if !strings.Contains(out, "customer "+maria.ID+" is now active") || !strings.Contains(out, poa) {
				t.Errorf("decide --accept-all printed %q, want the customer now active and its requirements", out)
			}
			if got := k.customer(t, maria); got.Status != lending.CustomerActive {
				t.Errorf("stored customer is %s, want active", got.Status)
			}
			if diff := cmp.Diff(map[string]int{lending.EventCustomerKYCUpdated: 1, lending.EventCustomerActive: 1},
				newEvents(before, k.events(t, maria.ID))); diff != "" {
				t.Errorf("events of --accept-all (-want +got):\n%s", diff)
			}

			before = k.events(t, joao.ID)
			out = mustRun(t, k.args("decide", "--deny", "fraude", joao.ID)...)
			if !strings.Contains(out, "customer "+joao.ID+" is now denied (fraude)") {
				t.Errorf("decide --deny printed %q", out)
			}
			if got := k.customer(t, joao); got.Status != lending.CustomerDenied || got.DenialReason != "fraude" {
				t.Errorf("stored customer is %s (%q), want denied (fraude)", got.Status, got.DenialReason)
			}
			if diff := cmp.Diff(map[string]int{lending.EventCustomerDenied: 1}, newEvents(before, k.events(t, joao.ID))); diff != "" {
				t.Errorf("events of --deny (-want +got):\n%s", diff)
			}
			if got := k.pending(t); len(got) != 0 {
				t.Errorf("kyc pending after every decision = %v, want []", pendingIDs(got))
			}
			if diff := cmp.Diff([]string{sandbox.ID}, pendingIDs(k.pending(t, "--env", "all"))); diff != "" {
				t.Errorf("kyc pending --env all after the decisions (-want +got):\n%s", diff)
			}

			// A decided customer takes no more verdicts.
			_, _, err := run(t, k.args("decide", joao.ID, "--deny", "again")...)
			if err == nil || !strings.Contains(err.Error(), "is denied") || !strings.Contains(err.Error(), "invalid_customer_state") {
				t.Errorf("deny a denied customer = %v, want an invalid_customer_state error", err)
			}
			_, _, err = run(t, k.args("decide", maria.ID, "--accept-all")...)
			if err == nil || !strings.Contains(err.Error(), "no requirement of customer "+maria.ID+" waits for review") {
				t.Errorf("--accept-all on an active customer = %v, want nothing to accept", err)
			}
		})
	}
}

// TestKycDecideErrors checks that a wrong decision fails with a clear message and changes nothing.
func TestKycDecideErrors(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			k := newKycWorld(t, e)
			c, _ := k.underReview(t, lending.EnvLive, "529.982.247-25", "11.222.333/0001-81", "Maria Souza")
			fresh := k.registered(t, lending.EnvLive, "50981193676", "12340001000164", "João Lima")
			poa := reqID(t, c, lending.ReqProofOfAddress)
			doc := reqID(t, fresh, lending.ReqCompanyDocument)
			tests := []struct {
				name    string
				args    []string
				wantErr string
			}{
				{"unknown customer", []string{"decide", "cust_nope", "--accept-all"}, `no customer "cust_nope" (customer_not_found)`},
				{"no customer id", []string{"decide", "--accept-all"}, "want exactly one CUSTOMER_ID"},
				{"two customer ids", []string{"decide", c.ID, fresh.ID, "--accept-all"}, "want exactly one CUSTOMER_ID"},
				{"no verdict", []string{"decide", c.ID}, "no verdict"},
				{"deny without reason", []string{"decide", c.ID, "--deny", ""}, "--deny needs a reason"},
				{"deny with a blank reason", []string{"decide", c.ID, "--deny", "   "}, "--deny needs a reason"},
				{"deny without value", []string{"decide", c.ID, "@", "--deny"}, "flag needs an argument: -deny"},
				{"deny and accept", []string{"decide", c.ID, "--deny", "fraude", "--accept", poa}, "--deny cannot be combined"},
				{"deny and accept-all", []string{"decide", c.ID, "--accept-all", "--deny", "fraude"}, "--deny cannot be combined"},
				{"reject without reason", []string{"decide", c.ID, "--reject", poa}, "want REQUIREMENT_ID=REASON"},
				{"reject with an empty reason", []string{"decide", c.ID, "--reject", poa + "="}, "want REQUIREMENT_ID=REASON"},
				{"accepted and rejected", []string{"decide", c.ID, "--accept", poa, "--reject", poa + "=ilegível"}, "both accepted and rejected"},
				{"unknown requirement", []string{"decide", c.ID, "--accept", "bogus"}, `has no KYC requirement "bogus"; waiting for review: `},
				{"requirement not waiting", []string{"decide", fresh.ID, "--accept", doc}, "requirement " + doc + " of customer " + fresh.ID + " does not wait for review"},
				{"accept-all with nothing waiting", []string{"decide", fresh.ID, "--accept-all"}, "no requirement of customer " + fresh.ID + " waits for review (the customer is pending_kyc)"},
				{"accept-all and an unknown requirement", []string{"decide", c.ID, "--accept-all", "--accept", "bogus"}, `has no KYC requirement "bogus"`},
				{"kyc alone", nil, "kyc: want pending or decide"},
				{"kyc unknown", []string{"approve"}, `kyc: unknown command "approve"`},
				{"pending env", []string{"pending", "--env", "prod"}, "--env must be live, test or all"},
				{"pending limit", []string{"pending", "--limit", "0"}, "--limit must be positive"},
				{"pending argument", []string{"pending", "live"}, `unexpected argument "live"`},
			}
			before := map[string]map[string]int{c.ID: k.events(t, c.ID), fresh.ID: k.events(t, fresh.ID)}
			// The cases run in parallel within a group, so the checks below come after them all.
			t.Run("cases", func(t *testing.T) {
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						t.Parallel()
						args := []string{"kyc"}
						if tt.args != nil {
							// "@" marks where the database flags go, when not last.
							at := slices.Index(tt.args, "@")
							if at < 0 {
								at = len(tt.args)
							}
							args = k.args(tt.args[:at]...)
							if at < len(tt.args) {
								args = append(args, tt.args[at+1:]...)
							}
						}
						stdout, _, err := run(t, args...)
						if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
							t.Errorf("Run(%q) = %v, want an error containing %q", args, err, tt.wantErr)
						}
						if stdout != "" {
							t.Errorf("Run(%q) printed %q, want nothing", args, stdout)
						}
					})
				}
			})
			if got := k.customer(t, c); got.Status != lending.CustomerUnderReview || !cmp.Equal(got.KYC, c.KYC) {
				t.Errorf("after the failed decisions customer %s is %s with KYC %+v, want it unchanged", c.ID, got.Status, got.KYC)
			}
			if got := k.customer(t, fresh); got.Status != lending.CustomerPendingKYC || !cmp.Equal(got.KYC, fresh.KYC) {
				t.Errorf("after the failed decisions customer %s is %s, want it unchanged", fresh.ID, got.Status)
			}
			for id, evs := range before {
				if diff := cmp.Diff(evs, k.events(t, id)); diff != "" {
					t.Errorf("the failed decisions emitted events about %s (-before +after):\n%s", id, diff)
				}
			}
		})
	}
}

// TestKycDecideFlagOrder checks that the customer id may come before, between or after the flags.
func TestKycDecideFlagOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		wantPos []string
		wantAcc []string
	}{
		{[]string{"cust_1", "--accept", "a", "--accept", "b"}, []string{"cust_1"}, []string{"a", "b"}},
		{[]string{"--accept", "a", "cust_1", "--accept", "b"}, []string{"cust_1"}, []string{"a", "b"}},
		{[]string{"--accept", "a", "--accept", "b", "cust_1"}, []string{"cust_1"}, []string{"a", "b"}},
		{[]string{"--accept", "a", "--", "--cust"}, []string{"--cust"}, []string{"a"}},
		{[]string{"x", "y"}, []string{"x", "y"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			m, _, _ := newMain(nil)
			var d dbFlags
			fs := m.newFlagSet("t", &d)
			var acc []string
			fs.Func("accept", "", func(s string) error { acc = append(acc, s); return nil })
			pos, err := parseInterspersed(fs, tt.args)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if diff := cmp.Diff(tt.wantPos, pos); diff != "" {
				t.Errorf("positional (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAcc, acc); diff != "" {
				t.Errorf("--accept (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKycFormatWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{45 * time.Second, "45s"},
		{13*time.Minute + 59*time.Second, "13m"},
		{2*time.Hour + 3*time.Minute, "2h03m"},
		{3*24*time.Hour + 4*time.Hour + 5*time.Minute, "3d4h"},
	}
	for _, tt := range tests {
		if got := formatWait(tt.d); got != tt.want {
			t.Errorf("formatWait(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
