package client_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/client"
)

// Every method sends the method, path, query and body of its route (contract.md §4, sandbox.md).
func TestRoutes(t *testing.T) {
	t.Parallel()
	at := time.Unix(1775253600, 0)
	tests := []struct {
		name   string
		call   func(ctx context.Context, c *client.Client) error
		method string
		path   string
		query  string
		body   string // "" = no body
	}{
		{"credentials create", func(ctx context.Context, c *client.Client) error {
			_, err := c.Credentials.Create(ctx, client.CreateCredentialParams{Name: "Chave", ExpiresAt: &client.Timestamp{Time: at}})
			return err
		}, "POST", "/auth/credentials", "", `{"name":"Chave","expires_at":1775253600}`},
		{"credentials list page", func(ctx context.Context, c *client.Client) error {
			_, err := c.Credentials.ListPage(ctx, &client.ListParams{Limit: 10, StartingAfter: "dinie_ci_test_x"})
			return err
		}, "GET", "/auth/credentials", "limit=10&starting_after=dinie_ci_test_x", ""},
		{"credentials revoke", func(ctx context.Context, c *client.Client) error {
			return c.Credentials.Revoke(ctx, "dinie_ci_test_x")
		}, "DELETE", "/auth/credentials/dinie_ci_test_x", "", ""},
		{"banks", func(ctx context.Context, c *client.Client) error { _, err := c.Banks.List(ctx); return err },
			"GET", "/banks", "", ""},
		{"customers create", func(ctx context.Context, c *client.Client) error {
			_, _, err := c.Customers.Create(ctx, client.CreateCustomerParams{CPF: "1", CNPJ: "2", Email: "e", Phone: "p", Name: new("N")})
			return err
		}, "POST", "/customers", "", `{"cpf":"1","cnpj":"2","email":"e","phone":"p","name":"N"}`},
		{"customers get", func(ctx context.Context, c *client.Client) error {
			_, err := c.Customers.Get(ctx, "cust_1")
			return err
		},
			"GET", "/customers/cust_1", "", ""},
		{"customers list page", func(ctx context.Context, c *client.Client) error {
			_, err := c.Customers.ListPage(ctx, &client.CustomerListParams{CPF: "529.982.247-25", ExternalID: "x y", Sort: "updated_at"})
			return err
		}, "GET", "/customers", "cpf=529.982.247-25&external_id=x+y&sort=updated_at", ""},
		{"customers update", func(ctx context.Context, c *client.Client) error {
			_, err := c.Customers.Update(ctx, "cust_1", client.UpdateCustomerParams{Email: new("a@b.c")})
			return err
		}, "PATCH", "/customers/cust_1", "", `{"email":"a@b.c"}`},
		{"bank account get", func(ctx context.Context, c *client.Client) error {
			_, err := c.Customers.GetBankAccount(ctx, "cust_1")
			return err
		}, "GET", "/customers/cust_1/bank-account", "", ""},
		{"bank account upsert", func(ctx context.Context, c *client.Client) error {
			_, err := c.Customers.UpsertBankAccount(ctx, "cust_1", client.BankAccountParams{BankID: "001", Kind: client.BankAccountChecking, Branch: "0001", Number: "1234567", Digit: "0"})
			return err
		}, "POST", "/customers/cust_1/bank-account", "", `{"bank_account":{"bank_id":"001","kind":"checking","branch":"0001","number":"1234567","digit":"0"}}`},
		{"biometrics session", func(ctx context.Context, c *client.Client) error {
			_, err := c.Customers.CreateBiometricsSession(ctx, "cust_1")
			return err
		}, "POST", "/customers/cust_1/biometrics", "", `{}`},
		{"kyc review", func(ctx context.Context, c *client.Client) error { return c.Customers.StartKYCReview(ctx, "cust_1") },
			"POST", "/customers/cust_1/kyc-review", "", ""},
		{"customer credit offers", func(ctx context.Context, c *client.Client) error {
			_, err := c.Customers.CreditOffersPage(ctx, "cust_1", &client.CustomerCreditOfferListParams{Status: client.OfferAvailable})
			return err
		}, "GET", "/customers/cust_1/credit-offers", "status=available", ""},
		{"credit offers list", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreditOffers.ListPage(ctx, &client.CreditOfferListParams{CustomerID: "cust_1", ListParams: client.ListParams{Limit: 2}})
			return err
		}, "GET", "/credit-offers", "customer_id=cust_1&limit=2", ""},
		{"credit offer get", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreditOffers.Get(ctx, "co_1")
			return err
		},
			"GET", "/credit-offers/co_1", "", ""},
		{"simulation", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreditOffers.CreateSimulation(ctx, "co_1", client.SimulationParams{RequestedAmount: client.Centavos(2500050), InstallmentCount: 4})
			return err
		}, "POST", "/credit-offers/co_1/simulations", "", `{"requested_amount":25000.5,"installment_count":4}`},
		{"loan create", func(ctx context.Context, c *client.Client) error {
			_, err := c.Loans.Create(ctx, client.CreateLoanParams{CreditOfferID: "co_1", SimulationID: "sim_1", InstallmentCount: 4,
				InstallmentAmount: client.Centavos(799734), FirstDueDate: client.Date{Year: 2026, Month: 4, Day: 3}})
			return err
		}, "POST", "/loans", "", `{"credit_offer_id":"co_1","simulation_id":"sim_1","installment_count":4,"installment_amount":7997.34,"first_due_date":"2026-04-03"}`},
		{"loan get", func(ctx context.Context, c *client.Client) error { _, err := c.Loans.Get(ctx, "ln_1"); return err },
			"GET", "/loans/ln_1", "", ""},
		{"transactions", func(ctx context.Context, c *client.Client) error {
			_, err := c.Loans.TransactionsPage(ctx, "ln_1", nil)
			return err
		}, "GET", "/loans/ln_1/transactions", "", ""},
		{"ccb", func(ctx context.Context, c *client.Client) error { _, _, err := c.Loans.CCB(ctx, "ln_1"); return err },
			"GET", "/loans/ln_1/ccb", "", ""},
		{"endpoint create", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.Create(ctx, client.CreateWebhookEndpointParams{URL: "https://x.example/hook", Events: []string{"loan.*"}})
			return err
		}, "POST", "/webhooks/endpoints", "", `{"url":"https://x.example/hook","events":["loan.*"]}`},
		{"endpoint list", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.ListPage(ctx, nil)
			return err
		}, "GET", "/webhooks/endpoints", "", ""},
		{"endpoint get", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.Get(ctx, "we_1")
			return err
		},
			"GET", "/webhooks/endpoints/we_1", "", ""},
		{"endpoint update", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.Update(ctx, "we_1", client.UpdateWebhookEndpointParams{Events: []string{}, Status: client.WebhookEndpointActive})
			return err
		}, "PATCH", "/webhooks/endpoints/we_1", "", `{"events":[],"status":"active"}`},
		{"endpoint delete", func(ctx context.Context, c *client.Client) error { return c.WebhookEndpoints.Delete(ctx, "we_1") },
			"DELETE", "/webhooks/endpoints/we_1", "", ""},
		{"rotate secret", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.RotateSecret(ctx, "we_1", nil)
			return err
		}, "POST", "/webhooks/endpoints/we_1/rotate-secret", "", `{}`},
		{"rotate secret with grace", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.RotateSecret(ctx, "we_1", &client.RotateSecretParams{ExpireCurrentIn: new(90 * time.Minute)})
			return err
		}, "POST", "/webhooks/endpoints/we_1/rotate-secret", "", `{"expire_current_in":5400}`},
		{"deliveries", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.DeliveriesPage(ctx, "we_1", &client.DeliveryListParams{Status: client.DeliveryFailed})
			return err
		}, "GET", "/webhooks/endpoints/we_1/deliveries", "status=failed", ""},
		{"resend", func(ctx context.Context, c *client.Client) error {
			_, err := c.WebhookEndpoints.Resend(ctx, "dlv_1")
			return err
		},
			"POST", "/webhooks/deliveries/dlv_1/resend", "", ""},
		{"session exchange", func(ctx context.Context, c *client.Client) error {
			_, err := c.Biometrics.SessionExchange(ctx, "dinie_bsc_x")
			return err
		}, "POST", "/biometrics/session-exchange", "", `{"code":"dinie_bsc_x"}`},
		{"sandbox kyc", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.KYCDecision(ctx, "cust_1", client.KYCDecisionParams{Decision: client.KYCReject, RequirementID: "income_statement", Reason: "blurry"})
			return err
		}, "POST", "/sandbox/customers/cust_1/kyc-decision", "", `{"decision":"reject","requirement_id":"income_statement","reason":"blurry"}`},
		{"sandbox offer", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.IssueOffer(ctx, "cust_1", client.IssueOfferParams{ApprovedAmount: client.Reais(50000), MinAmount: client.Reais(1000),
				MonthlyInterestRate: "2.5", Installments: new(12)})
			return err
		}, "POST", "/sandbox/customers/cust_1/credit-offers", "", `{"approved_amount":50000,"min_amount":1000,"monthly_interest_rate":2.5,"installments":12}`},
		{"sandbox expire", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.ExpireOffer(ctx, "co_1")
			return err
		},
			"POST", "/sandbox/credit-offers/co_1/expire", "", ""},
		{"sandbox clock by", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.AdvanceClock(ctx, client.AdvanceClockParams{By: 24 * time.Hour})
			return err
		}, "POST", "/sandbox/clock/advance", "", `{"seconds":86400}`},
		{"sandbox clock to", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.AdvanceClock(ctx, client.AdvanceClockParams{To: at})
			return err
		}, "POST", "/sandbox/clock/advance", "", `{"to":1775253600}`},
		{"sandbox sign all", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.SignLoan(ctx, "ln_1", nil)
			return err
		},
			"POST", "/sandbox/loans/ln_1/sign", "", `{}`},
		{"sandbox sign one", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.SignLoan(ctx, "ln_1", &client.SignLoanParams{SignerCPF: "529.982.247-25"})
			return err
		}, "POST", "/sandbox/loans/ln_1/sign", "", `{"signer_cpf":"529.982.247-25"}`},
		{"sandbox disbursement", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.Disbursement(ctx, "ln_1", client.DisbursementFailed)
			return err
		}, "POST", "/sandbox/loans/ln_1/disbursement", "", `{"outcome":"failed"}`},
		{"sandbox pay", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.Pay(ctx, "ln_1", client.Centavos(87550))
			return err
		}, "POST", "/sandbox/loans/ln_1/payments", "", `{"amount":875.5}`},
		{"sandbox test event", func(ctx context.Context, c *client.Client) error {
			_, err := c.Sandbox.TestEvent(ctx, "we_1", client.EventLoanCreated)
			return err
		}, "POST", "/sandbox/webhooks/endpoints/we_1/test-events", "", `{"type":"loan.created"}`},
		{"escaped id", func(ctx context.Context, c *client.Client) error { _, err := c.Customers.Get(ctx, "a/b?c"); return err },
			"GET", "/customers/a%2Fb%3Fc", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{}`)
			})
			if err := tt.call(t.Context(), f.client()); err != nil {
				t.Fatal(err)
			}
			reqs := f.recorded()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			path := strings.TrimPrefix(r.path, "/api/v3")
			if r.method != tt.method || path != tt.path || r.query != tt.query || r.body != tt.body {
				t.Errorf("sent %s %s ?%s %s\nwant %s %s ?%s %s", r.method, path, r.query, r.body, tt.method, tt.path, tt.query, tt.body)
			}
			wantCT := ""
			if tt.body != "" {
				wantCT = "application/json"
			}
			if ct := r.header.Get("Content-Type"); ct != wantCT {
				t.Errorf("Content-Type %q, want %q", ct, wantCT)
			}
			hasKey := r.header.Get("X-Idempotency-Key") != ""
			if wantKey := tt.method != "GET"; hasKey != wantKey {
				t.Errorf("idempotency key present %v, want %v", hasKey, wantKey)
			}
		})
	}
}

// KYC uploads are multipart, with the file read once and sent again unchanged on a retry.
func TestKYCUploadMultipart(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			problem(w, http.StatusServiceUnavailable, "", "")
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"attachment_type": "front", "submitted": true})
	})
	c := f.client()
	res, err := c.Customers.UploadKYCAttachment(t.Context(), "cust_1", client.KYCAttachmentParams{
		EvidenceType: client.EvidenceRG, RequirementID: "identity_003X", AttachmentType: client.AttachmentFront,
		File: strings.NewReader("%PDF-1.4 fake"), FileName: `rg "frente".pdf`,
	})
	if err != nil || !res.Submitted || res.AttachmentType != client.AttachmentFront {
		t.Fatalf("%+v, %v", res, err)
	}
	if _, err := c.Customers.UploadKYCAttachment(t.Context(), "cust_1", client.KYCAttachmentParams{
		EvidenceType: client.EvidenceEmail, RequirementID: "email_003Y", AttachmentType: client.AttachmentEmail, Value: "socio@example.com",
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Customers.UploadSelfie(t.Context(), "cust_1", client.SelfieParams{RequirementID: "selfie_003X", File: strings.NewReader("\xff\xd8\xff jpeg")}); err != nil {
		t.Fatal(err)
	}
	reqs := f.recorded()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	if reqs[0].body != reqs[1].body || reqs[0].header.Get("X-Idempotency-Key") != reqs[1].header.Get("X-Idempotency-Key") {
		t.Error("the retry sent another body or key")
	}
	type part struct{ name, filename, contentType, value string }
	parse := func(r recorded) []part {
		t.Helper()
		mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
		}
		mr := multipart.NewReader(strings.NewReader(r.body), params["boundary"])
		var out []part
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p)
			ct := ""
			if p.FileName() != "" {
				ct = p.Header.Get("Content-Type")
			}
			out = append(out, part{p.FormName(), p.FileName(), ct, string(b)})
		}
	}
	tests := []struct {
		req  recorded
		path string
		want []part
	}{
		{reqs[1], "/api/v3/customers/cust_1/kyc-attachments", []part{
			{name: "evidence_type", value: "rg"}, {name: "requirement_id", value: "identity_003X"}, {name: "attachment_type", value: "front"},
			{name: "file", filename: `rg "frente".pdf`, contentType: "application/pdf", value: "%PDF-1.4 fake"}}},
		{reqs[2], "/api/v3/customers/cust_1/kyc-attachments", []part{
			{name: "evidence_type", value: "email"}, {name: "requirement_id", value: "email_003Y"}, {name: "attachment_type", value: "email"},
			{name: "value", value: "socio@example.com"}}},
		{reqs[3], "/api/v3/customers/cust_1/kyc-attachments/selfie", []part{
			{name: "requirement_id", value: "selfie_003X"}, {name: "file", filename: "upload", contentType: "image/jpeg", value: "\xff\xd8\xff jpeg"}}},
	}
	for i, tt := range tests {
		if tt.req.path != tt.path || tt.req.method != "POST" {
			t.Errorf("upload %d: %s %s", i, tt.req.method, tt.req.path)
		}
		if diff := cmp.Diff(tt.want, parse(tt.req), cmp.AllowUnexported(part{})); diff != "" {
			t.Errorf("upload %d parts (-want +got):\n%s", i, diff)
		}
	}
}

// A CCB whose bytes do not match the announced hash is refused.
func TestCCBChecksum(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("X-Content-SHA256", strings.Repeat("ab", 32))
		_, _ = io.WriteString(w, "%PDF-1.7 tampered")
	})
	if _, _, err := f.client().Loans.CCB(t.Context(), "ln_1"); err == nil || !strings.Contains(err.Error(), "X-Content-SHA256") {
		t.Errorf("err = %v, want a checksum mismatch", err)
	}
}
