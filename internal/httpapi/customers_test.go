package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
	"github.com/dinie-oss/dinie/webhook"
)

// TestCustomerOnboardingEndToEnd registers an LTDA with co-owners, receives customer.created with its
// requirements, uploads every requirement (selfies through a customer session), starts the review and
// receives customer.active: the whole borrower side, over HTTP and real webhooks, on both engines.
func TestCustomerOnboardingEndToEnd(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		ep := en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["customer.*"]}`)

		c := en.createCustomer(tok, `{"cpf":"52998224725","cnpj":"`+ltdaCNPJ+`","email":"financeiro@montesiao.com.br",
			"phone":"+55 (11) 98765-4321","external_id":"erp-001"}`)
		if c.Status != "creating" || c.KYC != nil || c.CPF != applicantCPF || c.CNPJ == nil || *c.CNPJ != ltdaCNPJ ||
			c.Phone != "+5511987654321" || c.Name != nil {
			t.Fatalf("created customer %+v", c)
		}

		created := en.waitHook(t, rc, c.ID, "customer.created")
		if err := webhook.Verify([]string{*ep.Secret}, created.raw.header, created.raw.body, en.clock.Now()); err != nil {
			t.Errorf("customer.created signature: %v", err)
		}
		var data struct {
			Status      string             `json:"status"`
			Name        string             `json:"name"`
			TradingName string             `json:"trading_name"`
			KYC         []wire.Requirement `json:"kyc"`
		}
		_ = json.Unmarshal(created.Data, &data)
		got := en.getCustomer(tok, c.ID)
		if data.Status != "pending_kyc" || got.Status != "pending_kyc" || data.Name == "" || data.TradingName == "" {
			t.Fatalf("after enrichment: event %s, customer %+v", created.Data, got)
		}
		if d := cmp.Diff(got.KYC, data.KYC); d != "" {
			t.Errorf("customer.created kyc differs from GET (-get +event):\n%s", d)
		}
		// An LTDA: the applicant and three co-owners, each with identity, selfie and proof of address; the
		// co-owners' optional e-mails; articles of association and income statement.
		var types []string
		subjects := map[string]string{}
		for _, r := range got.KYC {
			types = append(types, r.RequirementType)
			if r.Subject != nil {
				subjects[r.Subject.ID] = r.Subject.SubjectType
			}
		}
		if len(subjects) != 4 || !slices.Contains(types, "articles_of_association") || !slices.Contains(types, "income_statement") || len(got.KYC) != 17 {
			t.Fatalf("requirements of an LTDA with 3 co-owners: %d %v subjects %v", len(got.KYC), types, subjects)
		}

		// Review refuses while anything mandatory is missing.
		r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...)
		wantProblem(t, "review with nothing sent", r, http.StatusUnprocessableEntity, "kyc_incomplete", "")

		session := en.sessionToken(tok, c.ID)
		en.submitAll(tok, session, got)
		got = en.getCustomer(tok, c.ID)
		for _, req := range got.KYC {
			if req.Submitted == nil || req.Submitted.ReviewStatus != "pending" {
				t.Errorf("%s after upload: %+v", req.RequirementID, req.Submitted)
				continue
			}
			for _, a := range req.Submitted.Attachments {
				if !a.Submitted {
					t.Errorf("%s: slot %s not submitted", req.RequirementID, a.AttachmentType)
				}
			}
		}

		// The customer session sends the review, as the hosted page does.
		r = en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(session)...)
		if r.status != http.StatusAccepted || len(r.body) != 0 {
			t.Fatalf("kyc-review: %d %q", r.status, r.body)
		}
		en.waitHook(t, rc, c.ID, "customer.under_review")
		en.waitHook(t, rc, c.ID, "customer.active")
		got = en.waitStatus(tok, c.ID, "active")
		for _, req := range got.KYC {
			if req.Submitted == nil || req.Submitted.ReviewStatus != "accepted" {
				t.Errorf("%s after approval: %+v", req.RequirementID, req.Submitted)
			}
		}

		// Every event about the customer, in order: created, one kyc_updated per upload, under_review,
		// then the accepted items and active.
		var seq []string
		for _, h := range en.hooksFor(t, rc, c.ID) {
			seq = append(seq, h.Type)
		}
		uploads := 0
		for _, req := range got.KYC {
			uploads += len(req.Submitted.Attachments)
		}
		count := func(typ string) int {
			n := 0
			for _, s := range seq {
				if s == typ {
					n++
				}
			}
			return n
		}
		if count("customer.created") != 1 || count("customer.under_review") != 1 || count("customer.active") != 1 ||
			count("customer.kyc_updated") != uploads+1 || count("customer.denied") != 0 {
			t.Errorf("events %v (uploads %d)", seq, uploads)
		}
	})
}

// TestCustomerReviewBranches walks the verifier's other answers: a rejected item goes back to
// pending_kyc with its reason and is accepted once resubmitted; a denied customer is denied for good.
func TestCustomerReviewBranches(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook"}`)

		t.Run("reject then resubmit", func(t *testing.T) {
			c := en.createCustomer(tok, `{"cpf":"`+cpfEnding("998")+`","cnpj":"`+meiCNPJ+`","email":"a@b.com.br","phone":"+5511987654321"}`)
			got := en.waitStatus(tok, c.ID, "pending_kyc")
			session := en.sessionToken(tok, c.ID)
			en.submitAll(tok, session, got)
			if r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...); r.status != http.StatusAccepted {
				t.Fatalf("kyc-review: %d %s", r.status, r.body)
			}
			en.waitHook(t, rc, c.ID, "customer.under_review")
			eventually(t, "the proof of address rejected", func() bool {
				got = en.getCustomer(tok, c.ID)
				return got.Status == "pending_kyc" && got.KYC[2].Submitted.ReviewStatus == "rejected"
			})
			for _, req := range got.KYC {
				want := "accepted"
				if req.RequirementType == "proof_of_address" {
					want = "rejected"
					if req.Submitted.ReviewReason == nil || *req.Submitted.ReviewReason == "" {
						t.Errorf("rejected without a reason: %+v", req.Submitted)
					}
				} else if req.Submitted.ReviewReason != nil {
					t.Errorf("%s has a reason: %+v", req.RequirementID, req.Submitted)
				}
				if req.Submitted.ReviewStatus != want {
					t.Errorf("%s: %s, want %s", req.RequirementID, req.Submitted.ReviewStatus, want)
				}
			}
			// A kyc_updated carries the rejection, with status pending_kyc and the customer's state.
			eventually(t, "customer.kyc_updated with the rejection", func() bool {
				for _, h := range en.hooksFor(t, rc, c.ID) {
					var d struct {
						Status string             `json:"status"`
						KYC    []wire.Requirement `json:"kyc"`
					}
					_ = json.Unmarshal(h.Data, &d)
					if h.Type == "customer.kyc_updated" && d.Status == "pending_kyc" && cmp.Diff(got.KYC, d.KYC) == "" {
						return true
					}
				}
				return false
			})
			// An accepted item cannot change; the rejected one is sent again and the review passes.
			r := en.upload(tok, c.ID, "", part{name: "evidence_type", value: "ccmei"}, part{name: "requirement_id", value: "company_document"},
				part{name: "attachment_type", value: "file"}, part{name: "file", file: pdfFile})
			wantProblem(t, "upload to an accepted requirement", r, http.StatusConflict, "attachment_already_accepted", "")
			r = en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...)
			wantProblem(t, "review with a rejected item", r, http.StatusUnprocessableEntity, "kyc_incomplete", got.KYC[2].RequirementID)
			en.submitAll(tok, session, got)
			if r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...); r.status != http.StatusAccepted {
				t.Fatalf("second kyc-review: %d %s", r.status, r.body)
			}
			en.waitHook(t, rc, c.ID, "customer.active")
			en.waitStatus(tok, c.ID, "active")
		})

		t.Run("deny", func(t *testing.T) {
			c := en.createCustomer(tok, `{"cpf":"`+cpfEnding("999")+`","cnpj":"`+meiCNPJ+`","email":"a@b.com.br","phone":"+5511987654321","external_id":"x-9"}`)
			got := en.waitStatus(tok, c.ID, "pending_kyc")
			en.submitAll(tok, en.sessionToken(tok, c.ID), got)
			if r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...); r.status != http.StatusAccepted {
				t.Fatalf("kyc-review: %d %s", r.status, r.body)
			}
			denied := en.waitHook(t, rc, c.ID, "customer.denied")
			var d map[string]any
			_ = json.Unmarshal(denied.Data, &d)
			if d["status"] != "denied" || d["external_id"] != "x-9" || d["cpf"] != cpfEnding("999") {
				t.Errorf("customer.denied data %s", denied.Data)
			}
			en.waitStatus(tok, c.ID, "denied")
			// Denied is final.
			r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...)
			wantProblem(t, "review a denied customer", r, http.StatusConflict, "invalid_customer_state", "")
			r = en.do("PATCH", "/api/v3/customers/"+c.ID, `{"email":"new@b.com.br"}`, bearer(tok)...)
			wantProblem(t, "patch a denied customer", r, http.StatusConflict, "invalid_customer_state", "")
		})

		t.Run("closed company", func(t *testing.T) {
			c := en.createCustomer(tok, `{"cpf":"`+applicantCPF+`","cnpj":"12.340.009/0001-20","email":"a@b.com.br","phone":"+5511987654321"}`)
			en.waitHook(t, rc, c.ID, "customer.denied")
			if got := en.waitStatus(tok, c.ID, "denied"); got.KYC != nil {
				t.Errorf("a customer denied at enrichment has kyc %+v", got.KYC)
			}
		})
	})
}
