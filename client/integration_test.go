package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/client"
	"github.com/dinie-oss/dinie/internal/openapitest"
	"github.com/dinie-oss/dinie/internal/ratelimit"
)

// checked is the option that makes a test client check every answer against api/openapi.yaml.
func checked(t *testing.T) client.Option {
	t.Helper()
	v, err := openapitest.Default()
	if err != nil {
		t.Fatal(err)
	}
	return client.WithHTTPClient(&http.Client{Transport: openapitest.Transport(t, v, http.DefaultTransport)})
}

// pngFile is a 240×240 PNG, big enough for the server's image checks.
func pngFile(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 240))
	for x := range 240 {
		for y := range 240 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// receiver is a webhook endpoint that verifies every delivery with the client (and checks it against
// the OpenAPI document) and keeps the events.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	// validator checks each event against the OpenAPI document too.
	validator *openapitest.Validator

	mu      sync.Mutex
	secrets []string
	events  []*client.Event
	refused []error
}

func newReceiver(t *testing.T) *receiver {
	v, err := openapitest.Default()
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{t: t, validator: v}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		ev, err := client.VerifyWebhook(rc.secrets, r.Header, body)
		if err == nil {
			err = rc.validator.ValidateEvent(string(ev.Type), body)
		}
		if err != nil {
			rc.refused = append(rc.refused, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rc.events = append(rc.events, ev)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setSecrets(s ...string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secrets = s
}

// types returns the types received so far, in order.
func (rc *receiver) received() ([]*client.Event, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.events), slices.Clone(rc.refused)
}

func (rc *receiver) waitFor(ctx context.Context, typ client.EventType) (*client.Event, error) {
	var found *client.Event
	err := eventually(ctx, func() (bool, error) {
		evs, _ := rc.received()
		for _, ev := range evs {
			if ev.Type == typ {
				found = ev
				return true, nil
			}
		}
		return false, nil
	})
	return found, err
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// The real KYC path of a MEI, every delivered event verified and decoded, and a loan from offer to
// finished.
func TestLifecycleAgainstServer(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := t.Context()
	dinie := client.New(sb.URL, client.WithCredentials(sb.TestID, sb.TestSecret), checked(t))

	rc := newReceiver(t)
	ep := must[*client.WebhookEndpointWithSecret](t)(dinie.WebhookEndpoints.Create(ctx, client.CreateWebhookEndpointParams{
		URL: rc.srv.URL, Events: []string{"customer.*", "credit_offer.*", "loan.*"}, Description: "lifecycle",
	}))
	rc.setSecrets(ep.Secret)

	// A MEI (root 0001) with the fixed-offer branch (0006): its KYC is the applicant's identity, selfie
	// and proof of address, and the CCMEI.
	params := client.CreateCustomerParams{CPF: "52998224725", CNPJ: "12340001000679", Email: "mei@example.com",
		Phone: "+5511988887777", ExternalID: new("mei-1")}
	cust, created, err := dinie.Customers.Create(ctx, params)
	if err != nil || !created || cust.Status != client.CustomerCreating || cust.KYC != nil {
		t.Fatalf("create: %+v, %v, %v", cust, created, err)
	}
	again, created, err := dinie.Customers.Create(ctx, params)
	if err != nil || created || again.ID != cust.ID {
		t.Fatalf("create again: %+v, created %v, %v", again, created, err)
	}
	if _, err := dinie.Customers.GetBankAccount(ctx, cust.ID); !client.IsCode(err, "bank_account_not_found") {
		t.Errorf("bank account before linking: %v", err)
	}

	if err := eventually(ctx, func() (bool, error) {
		cust, err = dinie.Customers.Get(ctx, cust.ID)
		return err == nil && cust.Status == client.CustomerPendingKYC, err
	}); err != nil {
		t.Fatal(err)
	}
	reqs := map[client.RequirementType]client.KYCRequirement{}
	for _, r := range cust.KYC {
		reqs[r.RequirementType] = r
	}
	for _, want := range []client.RequirementType{client.RequirementIdentity, client.RequirementSelfie, client.RequirementProofOfAddress, client.RequirementCompanyDocument} {
		if _, ok := reqs[want]; !ok {
			t.Fatalf("no %s requirement in %+v", want, cust.KYC)
		}
	}
	if s := reqs[client.RequirementIdentity].Subject; s == nil || s.SubjectType != client.SubjectApplicant {
		t.Errorf("identity subject %+v", s)
	}
	if reqs[client.RequirementCompanyDocument].Subject != nil {
		t.Error("a company requirement has a subject")
	}

	doc := pngFile(t)
	for _, up := range []client.KYCAttachmentParams{
		{EvidenceType: client.EvidenceCNH, RequirementID: reqs[client.RequirementIdentity].RequirementID, AttachmentType: client.AttachmentFile},
		{EvidenceType: client.EvidenceProofOfAddress, RequirementID: reqs[client.RequirementProofOfAddress].RequirementID, AttachmentType: client.AttachmentFile},
		{EvidenceType: client.EvidenceCCMEI, RequirementID: reqs[client.RequirementCompanyDocument].RequirementID, AttachmentType: client.AttachmentFile},
	} {
		up.File, up.FileName = bytes.NewReader(doc), "doc.png"
		res, err := dinie.Customers.UploadKYCAttachment(ctx, cust.ID, up)
		if err != nil || !res.Submitted || res.AttachmentType != up.AttachmentType {
			t.Fatalf("upload %s: %+v, %v", up.EvidenceType, res, err)
		}
	}
	selfie := client.SelfieParams{RequirementID: reqs[client.RequirementSelfie].RequirementID, File: bytes.NewReader(doc)}
	if _, err := dinie.Customers.UploadSelfie(ctx, cust.ID, selfie); !client.IsCode(err, "session_token_required") || client.StatusCode(err) != 403 {
		t.Errorf("selfie with a partner token: %v", err)
	}

	// The KYC app: a credential with the biometrics:exchange scope, in session mode.
	session := must[*client.BiometricsSession](t)(dinie.Customers.CreateBiometricsSession(ctx, cust.ID))
	if !strings.HasPrefix(session.Code(), "dinie_bsc_") || session.ExpiresAt.Before(time.Now()) {
		t.Fatalf("session %+v", session)
	}
	appID, appSecret, err := sb.newCredential("test", "kyc app", "biometrics:exchange")
	if err != nil {
		t.Fatal(err)
	}
	app := client.New(sb.URL, client.WithCredentials(appID, appSecret), client.WithSessionCode(session.Code()), checked(t))
	if got := must[string](t)(app.SessionCustomerID(ctx)); got != cust.ID {
		t.Errorf("session customer %s, want %s", got, cust.ID)
	}
	selfie.File = bytes.NewReader(doc)
	if res, err := app.Customers.UploadSelfie(ctx, cust.ID, selfie); err != nil || res.AttachmentType != client.AttachmentPhoto {
		t.Fatalf("selfie in session mode: %+v, %v", res, err)
	}
	acct, err := app.Customers.UpsertBankAccount(ctx, cust.ID, client.BankAccountParams{
		BankID: "341", Kind: client.BankAccountChecking, Branch: "12", Number: "123456", Digit: "X"})
	if err != nil || acct.BankName == "" || acct.Branch != "0012" {
		t.Fatalf("bank account in session mode: %+v, %v", acct, err)
	}
	if _, err := app.Customers.ListPage(ctx, nil); client.StatusCode(err) != 403 {
		t.Errorf("a partner route with a session token: %v", err)
	}
	if err := app.Customers.StartKYCReview(ctx, cust.ID); err != nil {
		t.Fatalf("kyc review: %v", err)
	}
	// The code was spent: exchanging it again fails.
	if _, err := client.New(sb.URL, client.WithCredentials(appID, appSecret), checked(t)).Biometrics.SessionExchange(ctx, session.Code()); client.StatusCode(err) != 403 {
		t.Errorf("second exchange: %v", err)
	}

	// The sandbox verifier approves; the analysis issues the fixed offer.
	var offer client.CreditOffer
	if err := eventually(ctx, func() (bool, error) {
		page, err := dinie.CreditOffers.ListPage(ctx, &client.CreditOfferListParams{CustomerID: cust.ID})
		if err != nil || len(page.Data) == 0 {
			return false, err
		}
		offer = page.Data[0]
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if lo, hi := offer.InstallmentRange(); offer.IsRange() || lo != 12 || hi != 12 || offer.ApprovedAmount != client.Reais(60_000) ||
		offer.MonthlyInterestRate != "3.49" || offer.ExternalID == nil || *offer.ExternalID != "mei-1" {
		t.Errorf("offer %+v", offer)
	}
	if got := must[*client.CreditOffer](t)(dinie.CreditOffers.Get(ctx, offer.ID)); got.ID != offer.ID {
		t.Errorf("get offer %s", got.ID)
	}

	sim := must[*client.Simulation](t)(dinie.CreditOffers.CreateSimulation(ctx, offer.ID,
		client.SimulationParams{RequestedAmount: client.Centavos(1_234_567), InstallmentCount: 12}))
	if sim.RequestedAmount != client.Centavos(1_234_567) || sim.PrincipalAmount != sim.RequestedAmount+sim.IOFAmount+sim.FeeAmount ||
		sim.InterestAmount != sim.TotalAmount-sim.PrincipalAmount || sim.FirstDueDate.IsZero() {
		t.Errorf("simulation %+v", sim)
	}
	if _, err := dinie.CreditOffers.CreateSimulation(ctx, offer.ID,
		client.SimulationParams{RequestedAmount: client.Reais(70_000), InstallmentCount: 12}); !client.IsCode(err, "amount_out_of_range") {
		t.Errorf("simulation above the offer: %v", err)
	}

	// Loans.Create under one idempotency key: the repeat is the same loan.
	kctx := client.WithIdempotencyKey(ctx, "loan-for-"+cust.ID)
	loan := must[*client.Loan](t)(dinie.Loans.Create(kctx, sim.LoanParams()))
	if repeat := must[*client.Loan](t)(dinie.Loans.Create(kctx, sim.LoanParams())); repeat.ID != loan.ID {
		t.Errorf("the repeat made loan %s, want %s", repeat.ID, loan.ID)
	}
	if loan.Status != client.LoanAwaitingSignatures || loan.SigningURL == nil || loan.PrincipalAmount != nil || loan.CCBNumber == nil {
		t.Errorf("loan %+v", loan)
	}
	if _, err := dinie.Loans.Create(ctx, sim.LoanParams()); client.StatusCode(err) != 409 {
		t.Errorf("a second loan on the offer: %v", err)
	}
	pdf, sum, err := dinie.Loans.CCB(ctx, loan.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(pdf)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || sum != hex.EncodeToString(h[:]) {
		t.Errorf("ccb: %d bytes, sha %s", len(pdf), sum)
	}

	loan = must[*client.Loan](t)(dinie.Sandbox.SignLoan(ctx, loan.ID, &client.SignLoanParams{SignerCPF: "529.982.247-25"}))
	if err := eventually(ctx, func() (bool, error) {
		loan, err = dinie.Loans.Get(ctx, loan.ID)
		return err == nil && loan.Status == client.LoanActive, err
	}); err != nil {
		t.Fatalf("loan never active: %+v", loan)
	}
	if loan.PrincipalAmount == nil || *loan.PrincipalAmount != sim.PrincipalAmount || loan.SigningURL != nil || loan.DisbursementMethod == nil {
		t.Errorf("active loan %+v", loan)
	}

	var txs []client.Transaction
	var owed client.Money
	for tx, err := range dinie.Loans.Transactions(ctx, loan.ID, &client.ListParams{Limit: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
		owed += tx.AmountRemaining
	}
	if len(txs) != 12 || txs[0].Status != client.TransactionPending || txs[0].PaidAt != nil ||
		txs[0].Principal+txs[0].Interest+txs[0].Fees != txs[0].AmountDue {
		t.Fatalf("transactions %+v", txs)
	}
	if _, err := dinie.Sandbox.Pay(ctx, loan.ID, owed+1); !client.IsCode(err, "payment_exceeds_balance") {
		t.Errorf("overpayment: %v", err)
	}
	loan = must[*client.Loan](t)(dinie.Sandbox.Pay(ctx, loan.ID, owed))
	if loan.Status != client.LoanFinished {
		t.Errorf("after paying %s: %s", owed, loan.Status)
	}

	// Every event arrived signed, of a known type, and decodes.
	finished := must[*client.Event](t)(rc.waitFor(ctx, client.EventLoanFinished))
	if ls, err := finished.LoanStatus(); err != nil || ls.ID != loan.ID {
		t.Errorf("loan.finished: %+v, %v", ls, err)
	}
	// Deliveries are concurrent and unordered: wait for the payment's event too before taking stock.
	pr := must[*client.Event](t)(rc.waitFor(ctx, client.EventLoanPaymentReceived))
	evs, refused := rc.received()
	if len(refused) > 0 {
		t.Errorf("refused deliveries: %v", refused)
	}
	seen := map[client.EventType]bool{}
	for _, ev := range evs {
		seen[ev.Type] = true
		if _, err := ev.Decode(); err != nil {
			t.Errorf("%s: %v", ev.Type, err)
		}
	}
	for _, want := range []client.EventType{client.EventCustomerCreated, client.EventCustomerKYCUpdated, client.EventCustomerUnderReview,
		client.EventCustomerActive, client.EventCreditOfferAvailable, client.EventLoanCreated, client.EventLoanSignatureReceived,
		client.EventLoanProcessing, client.EventLoanActive, client.EventLoanPaymentReceived, client.EventLoanFinished} {
		if !seen[want] {
			t.Errorf("no %s event among %v", want, seen)
		}
	}
	if p, err := pr.LoanPaymentReceived(); err != nil || p.Payment.Amount <= 0 || p.Payment.InstallmentNumber < 1 {
		t.Errorf("loan.payment_received %+v, %v", p, err)
	}
	created2 := must[*client.Event](t)(rc.waitFor(ctx, client.EventCustomerCreated))
	if cc, err := created2.CustomerCreated(); err != nil || cc.ID != cust.ID || len(cc.KYC) == 0 || cc.ExternalID == nil {
		t.Errorf("customer.created %+v, %v", cc, err)
	}

	// The deliveries to the endpoint all succeeded.
	n := 0
	for d, err := range dinie.WebhookEndpoints.Deliveries(ctx, ep.ID, &client.DeliveryListParams{ListParams: client.ListParams{Limit: 4}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if d.Status == client.DeliveryFailed {
			t.Errorf("delivery %+v", d)
		}
	}
	if n < len(evs) {
		t.Errorf("%d deliveries listed, %d events received", n, len(evs))
	}
}

// Customers: list filters, update, idempotent creation, and the problem errors of the real server.
func TestCustomersAgainstServer(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := t.Context()
	dinie := client.New(sb.URL, client.WithCredentials(sb.TestID, sb.TestSecret), checked(t))

	kctx := client.WithIdempotencyKey(ctx, "onboard-1")
	params := client.CreateCustomerParams{CPF: "111.444.777-35", CNPJ: "12.340.003/0001-53", Email: "a@example.com", Phone: "+5511911112222"}
	first, created, err := dinie.Customers.Create(kctx, params)
	if err != nil || !created {
		t.Fatal(err)
	}
	replayed, _, err := dinie.Customers.Create(kctx, params)
	if err != nil || replayed.ID != first.ID {
		t.Errorf("replay: %+v, %v", replayed, err)
	}
	params.Email = "b@example.com"
	if _, _, err := dinie.Customers.Create(kctx, params); !client.IsCode(err, "idempotency_key_reused") {
		t.Errorf("key reused for another body: %v", err)
	}
	second, _, err := dinie.Customers.Create(ctx, client.CreateCustomerParams{CPF: "529.982.247-25", CNPJ: "12.340.003/0006-68",
		Email: "c@example.com", Phone: "+5511933334444", ExternalID: new("ref-2")})
	if err != nil {
		t.Fatal(err)
	}

	var all []string
	for c, err := range dinie.Customers.List(ctx, &client.CustomerListParams{ListParams: client.ListParams{Limit: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, c.ID)
	}
	if !slices.Equal(all, []string{first.ID, second.ID}) {
		t.Errorf("list %v", all)
	}
	page := must[*client.Page[client.Customer]](t)(dinie.Customers.ListPage(ctx, &client.CustomerListParams{ExternalID: "ref-2"}))
	if len(page.Data) != 1 || page.Data[0].ID != second.ID || page.HasMore {
		t.Errorf("by external id: %+v", page)
	}
	page = must[*client.Page[client.Customer]](t)(dinie.Customers.ListPage(ctx, &client.CustomerListParams{CPF: "11144477735", Order: "desc"}))
	if len(page.Data) != 1 || page.Data[0].ID != first.ID {
		t.Errorf("by cpf: %+v", page)
	}
	if _, err := dinie.Customers.ListPage(ctx, &client.CustomerListParams{ListParams: client.ListParams{Limit: 101}}); !client.IsCode(err, "invalid_parameter") {
		t.Errorf("limit 101: %v", err)
	}

	updated := must[*client.Customer](t)(dinie.Customers.Update(ctx, first.ID, client.UpdateCustomerParams{Phone: new("+5511955556666")}))
	if updated.Phone != "+5511955556666" || updated.Email != "a@example.com" {
		t.Errorf("update: %+v", updated)
	}
	_, err = dinie.Customers.Get(ctx, "cust_00000000000000000000000000000000")
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Type != client.ProblemNotFound || apiErr.RequestID == "" ||
		!strings.HasPrefix(apiErr.RequestID, "req_") {
		t.Errorf("unknown customer: %v", err)
	}
	_, _, err = dinie.Customers.Create(ctx, client.CreateCustomerParams{CPF: "529.982.247-25"})
	if !errors.As(err, &apiErr) || apiErr.Code != "missing_required_field" || len(apiErr.Errors) != 3 ||
		apiErr.Errors[0] != (client.FieldError{Param: "cnpj", Detail: "cnpj is required", Code: "missing_required_field"}) {
		t.Errorf("missing fields: %v %+v", err, apiErr.Errors)
	}
	if rl, ok := dinie.RateLimit(); !ok || rl.Limit <= 0 {
		t.Errorf("rate limit %+v, %v", rl, ok)
	}

	// A KYC verdict through the sandbox, a rejection and an e-mail evidence on an LTDA with co-owners.
	if err := eventually(ctx, func() (bool, error) {
		c, err := dinie.Customers.Get(ctx, first.ID)
		return err == nil && c.Status == client.CustomerPendingKYC, err
	}); err != nil {
		t.Fatal(err)
	}
	c := must[*client.Customer](t)(dinie.Customers.Get(ctx, first.ID))
	var email *client.KYCRequirement
	for i, r := range c.KYC {
		if r.RequirementType == client.RequirementEmail {
			email = &c.KYC[i]
		}
	}
	if email == nil || email.Mandatory || email.Subject == nil || email.Subject.SubjectType != client.SubjectCoOwner {
		t.Fatalf("no co-owner e-mail requirement in %+v", c.KYC)
	}
	if _, err := dinie.Customers.UploadKYCAttachment(ctx, first.ID, client.KYCAttachmentParams{EvidenceType: client.EvidenceEmail,
		RequirementID: email.RequirementID, AttachmentType: client.AttachmentEmail, Value: "socio@example.com"}); err != nil {
		t.Fatal(err)
	}
	c = must[*client.Customer](t)(dinie.Customers.Get(ctx, first.ID))
	for _, r := range c.KYC {
		if r.RequirementID == email.RequirementID && (r.Submitted == nil || r.Submitted.EvidenceType != client.EvidenceEmail) {
			t.Errorf("e-mail requirement after upload: %+v", r)
		}
	}
	denied := must[*client.Customer](t)(dinie.Sandbox.KYCDecision(ctx, first.ID, client.KYCDecisionParams{Decision: client.KYCDeny, Reason: "test"}))
	if denied.Status != client.CustomerDenied {
		t.Errorf("after deny: %s", denied.Status)
	}
	if _, err := dinie.Sandbox.KYCDecision(ctx, first.ID, client.KYCDecisionParams{Decision: client.KYCApprove}); client.StatusCode(err) != 409 {
		t.Errorf("approve a denied customer: %v", err)
	}
}

// Sandbox controls: offers of given terms, expiry, the clock; and a live credential refused.
func TestSandboxAgainstServer(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := t.Context()
	dinie := client.New(sb.URL, client.WithCredentials(sb.TestID, sb.TestSecret), checked(t))
	cust, _, err := dinie.Customers.Create(ctx, client.CreateCustomerParams{CPF: "529.982.247-25", CNPJ: "12.340.003/0002-34",
		Email: "d@example.com", Phone: "+5511900001111"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dinie.Sandbox.IssueOffer(ctx, cust.ID, client.IssueOfferParams{ApprovedAmount: client.Reais(1000),
		MinAmount: client.Reais(100), MonthlyInterestRate: "2", Installments: new(6)}); client.StatusCode(err) != 409 && client.StatusCode(err) != 422 {
		t.Errorf("offer to a customer not active: %v", err)
	}
	if err := eventually(ctx, func() (bool, error) {
		c, err := dinie.Customers.Get(ctx, cust.ID)
		return err == nil && c.Status == client.CustomerPendingKYC, err
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := dinie.Sandbox.KYCDecision(ctx, cust.ID, client.KYCDecisionParams{Decision: client.KYCApprove}); err != nil || c.Status != client.CustomerActive {
		t.Fatalf("approve: %+v, %v", c, err)
	}
	offer := must[*client.CreditOffer](t)(dinie.Sandbox.IssueOffer(ctx, cust.ID, client.IssueOfferParams{
		ApprovedAmount: client.Centavos(9_000_050), MinAmount: client.Reais(1000), MonthlyInterestRate: "2.4975",
		MinInstallments: new(3), MaxInstallments: new(24), ValidForDays: new(2)}))
	if lo, hi := offer.InstallmentRange(); !offer.IsRange() || lo != 3 || hi != 24 || offer.ApprovedAmount != client.Centavos(9_000_050) ||
		offer.MonthlyInterestRate != "2.4975" || offer.Status != client.OfferAvailable {
		t.Errorf("range offer %+v", offer)
	}
	now := must[time.Time](t)(dinie.Sandbox.AdvanceClock(ctx, client.AdvanceClockParams{By: 3 * 24 * time.Hour}))
	if d := time.Until(now); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("clock now %v (%v ahead)", now, d)
	}
	got := must[*client.CreditOffer](t)(dinie.CreditOffers.Get(ctx, offer.ID))
	if got.Status != client.OfferExpired {
		t.Errorf("offer after 3 days: %s", got.Status)
	}
	if _, err := dinie.CreditOffers.CreateSimulation(ctx, offer.ID, client.SimulationParams{RequestedAmount: client.Reais(5000), InstallmentCount: 3}); !client.IsCode(err, "offer_expired") {
		t.Errorf("simulate an expired offer: %v", err)
	}
	fresh := must[*client.CreditOffer](t)(dinie.Sandbox.IssueOffer(ctx, cust.ID, client.IssueOfferParams{
		ApprovedAmount: client.Reais(5000), MinAmount: client.Reais(500), MonthlyInterestRate: "3", Installments: new(6)}))
	if e := must[*client.CreditOffer](t)(dinie.Sandbox.ExpireOffer(ctx, fresh.ID)); e.Status != client.OfferExpired {
		t.Errorf("expired offer %s", e.Status)
	}
	var statuses []client.OfferStatus
	for o, err := range dinie.Customers.CreditOffers(ctx, cust.ID, nil) {
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, o.Status)
	}
	if !slices.Equal(statuses, []client.OfferStatus{client.OfferExpired, client.OfferExpired}) {
		t.Errorf("offers %v", statuses)
	}
	if _, err := dinie.Sandbox.AdvanceClock(ctx, client.AdvanceClockParams{By: time.Hour, To: time.Now()}); err == nil {
		t.Error("By and To together were sent")
	}

	// An account number ending in 9999 holds the Pix transfer until the sandbox decides it.
	if _, err := dinie.Customers.UpsertBankAccount(ctx, cust.ID, client.BankAccountParams{BankID: "260", Kind: client.BankAccountPayment,
		Branch: "0001", Number: "12349999", Digit: "7"}); err != nil {
		t.Fatal(err)
	}
	held := must[*client.CreditOffer](t)(dinie.Sandbox.IssueOffer(ctx, cust.ID, client.IssueOfferParams{
		ApprovedAmount: client.Reais(5000), MinAmount: client.Reais(500), MonthlyInterestRate: "3", Installments: new(6)}))
	sim := must[*client.Simulation](t)(dinie.CreditOffers.CreateSimulation(ctx, held.ID, client.SimulationParams{RequestedAmount: client.Reais(5000), InstallmentCount: 6}))
	loan := must[*client.Loan](t)(dinie.Loans.Create(ctx, sim.LoanParams()))
	loan = must[*client.Loan](t)(dinie.Sandbox.SignLoan(ctx, loan.ID, nil))
	if loan.Status != client.LoanProcessing {
		t.Fatalf("signed loan %s", loan.Status)
	}
	loan = must[*client.Loan](t)(dinie.Sandbox.Disbursement(ctx, loan.ID, client.DisbursementFailed))
	if loan.Status != client.LoanError {
		t.Errorf("after a failed disbursement: %s", loan.Status)
	}
	if _, err := dinie.Sandbox.Disbursement(ctx, loan.ID, client.DisbursementSettled); client.StatusCode(err) != 409 {
		t.Errorf("deciding a failed disbursement again: %v", err)
	}

	live := client.New(sb.URL, client.WithCredentials(sb.LiveID, sb.LiveSecret), checked(t))
	if _, err := live.Sandbox.AdvanceClock(ctx, client.AdvanceClockParams{By: time.Hour}); !client.IsCode(err, "sandbox_only") || client.StatusCode(err) != 403 {
		t.Errorf("sandbox with a live credential: %v", err)
	}
	banks := must[[]client.Bank](t)(live.Banks.List(ctx))
	if i := slices.IndexFunc(banks, func(b client.Bank) bool { return b.ID == "001" }); i < 0 || banks[i].Name != "Banco do Brasil" {
		t.Errorf("bank 001 not in %d banks", len(banks))
	}
}

// Credentials and webhook endpoints: their whole CRUD, test events, resends and secret rotation.
func TestCredentialsAndWebhooksAgainstServer(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t)
	ctx := t.Context()
	dinie := client.New(sb.URL, client.WithCredentials(sb.TestID, sb.TestSecret), checked(t))

	expires := client.TimestampOf(time.Now().Add(24 * time.Hour))
	cred := must[*client.CredentialWithSecret](t)(dinie.Credentials.Create(ctx, client.CreateCredentialParams{Name: "ci", ExpiresAt: &expires}))
	if !strings.HasPrefix(cred.ClientSecret, "dinie_cs_test_") || cred.ID != cred.ClientID || cred.ExpiresAt == nil ||
		!cred.ExpiresAt.Equal(expires) || cred.LastUsedAt != nil || cred.Status != client.CredentialActive {
		t.Errorf("credential %+v", cred)
	}
	other := client.New(sb.URL, client.WithCredentials(cred.ClientID, cred.ClientSecret), checked(t))
	if _, err := other.Banks.List(ctx); err != nil {
		t.Fatal(err)
	}
	var names []string
	for c, err := range dinie.Credentials.List(ctx, &client.ListParams{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, c.Name)
	}
	// Credentials are stamped to the second, so two made in the same second list in either order.
	slices.Sort(names)
	if !slices.Equal(names, []string{"ci", "first test"}) {
		t.Errorf("credentials %v", names)
	}
	if err := dinie.Credentials.Revoke(ctx, cred.ClientID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Banks.List(ctx); client.StatusCode(err) != 401 {
		t.Errorf("a revoked credential's client: %v", err)
	}
	if err := dinie.Credentials.Revoke(ctx, "dinie_ci_test_nope"); !client.IsCode(err, "credential_not_found") {
		t.Errorf("revoke unknown: %v", err)
	}
	if err := dinie.Credentials.Revoke(ctx, sb.TestID); !client.IsCode(err, "last_active_credential") {
		t.Errorf("revoke the last one: %v", err)
	}

	rc := newReceiver(t)
	ep := must[*client.WebhookEndpointWithSecret](t)(dinie.WebhookEndpoints.Create(ctx, client.CreateWebhookEndpointParams{URL: rc.srv.URL}))
	if !strings.HasPrefix(ep.Secret, "whsec_") || ep.Status != client.WebhookEndpointActive || ep.Events == nil || len(ep.Events) != 0 || ep.Description != "" {
		t.Errorf("endpoint %+v", ep)
	}
	rc.setSecrets(ep.Secret)
	te := must[*client.TestEvent](t)(dinie.Sandbox.TestEvent(ctx, ep.ID, client.EventLoanError))
	ev := must[*client.Event](t)(rc.waitFor(ctx, client.EventLoanError))
	if ev.ID != te.EventID || ev.DeliveryID != te.DeliveryID {
		t.Errorf("event %s/%s, test event %+v", ev.ID, ev.DeliveryID, te)
	}
	if ls, err := ev.LoanStatus(); err != nil || ls.Error == nil || ls.Error.Code == "" {
		t.Errorf("loan.error data %+v, %v", ls, err)
	}

	// Rotate: the receiver keeps only the old secret, and still verifies (deliveries carry both).
	rot := must[*client.WebhookSecretRotation](t)(dinie.WebhookEndpoints.RotateSecret(ctx, ep.ID, &client.RotateSecretParams{ExpireCurrentIn: new(10 * time.Minute)}))
	if rot.Secret == ep.Secret || time.Until(rot.PreviousSecretExpiresAt.Time) > 11*time.Minute {
		t.Errorf("rotation %+v", rot)
	}
	must[*client.TestEvent](t)(dinie.Sandbox.TestEvent(ctx, ep.ID, client.EventCustomerDenied))
	must[*client.Event](t)(rc.waitFor(ctx, client.EventCustomerDenied))

	// Resend the first delivery: one more attempt.
	must[*client.Resend](t)(dinie.WebhookEndpoints.Resend(ctx, te.DeliveryID))
	if err := eventually(ctx, func() (bool, error) {
		for d, err := range dinie.WebhookEndpoints.Deliveries(ctx, ep.ID, &client.DeliveryListParams{Status: client.DeliverySucceeded}) {
			if err != nil {
				return false, err
			}
			if d.ID == te.DeliveryID && len(d.Attempts) == 2 {
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		t.Errorf("no second attempt of %s", te.DeliveryID)
	}
	page := must[*client.Page[client.Delivery]](t)(dinie.WebhookEndpoints.DeliveriesPage(ctx, ep.ID, nil))
	for _, d := range page.Data {
		if d.Status != client.DeliverySucceeded || d.Attempts[0].ResponseStatus == nil || *d.Attempts[0].ResponseStatus != 204 || d.NextAttemptAt != nil {
			t.Errorf("delivery %+v", d)
		}
	}

	upd := must[*client.WebhookEndpoint](t)(dinie.WebhookEndpoints.Update(ctx, ep.ID, client.UpdateWebhookEndpointParams{
		Events: []string{"loan.*"}, Description: new("loans only"), Status: client.WebhookEndpointDisabled}))
	if upd.Status != client.WebhookEndpointDisabled || !slices.Equal(upd.Events, []string{"loan.*"}) || upd.Description != "loans only" || upd.URL != rc.srv.URL {
		t.Errorf("updated %+v", upd)
	}
	upd = must[*client.WebhookEndpoint](t)(dinie.WebhookEndpoints.Update(ctx, ep.ID, client.UpdateWebhookEndpointParams{Events: []string{}}))
	if len(upd.Events) != 0 || upd.Status != client.WebhookEndpointDisabled {
		t.Errorf("events cleared: %+v", upd)
	}
	if got := must[*client.WebhookEndpoint](t)(dinie.WebhookEndpoints.Get(ctx, ep.ID)); got.Description != "loans only" {
		t.Errorf("get %+v", got)
	}
	var ids []string
	for e, err := range dinie.WebhookEndpoints.List(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []string{ep.ID}) {
		t.Errorf("endpoints %v", ids)
	}
	if err := dinie.WebhookEndpoints.Delete(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := dinie.WebhookEndpoints.Get(ctx, ep.ID); client.StatusCode(err) != 404 {
		t.Errorf("get a deleted endpoint: %v", err)
	}
	if _, refused := rc.received(); len(refused) > 0 {
		t.Errorf("refused deliveries: %v", refused)
	}
}

// Against the real rate limiter: a 429 is waited out as its Retry-After says, and the call succeeds.
func TestRateLimitedAgainstServer(t *testing.T) {
	t.Parallel()
	sb, err := startSandboxWith(ratelimit.NewMemory(ratelimit.Config{PerSecond: 2, Burst: 2}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	dinie := client.New(sb.URL, client.WithCredentials(sb.TestID, sb.TestSecret), checked(t), client.WithMaxRetries(5))
	start := time.Now()
	for range 6 {
		if _, err := dinie.Banks.List(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// 7 requests (a token and 6 calls) at 2 a second after a burst of 2: about 2.5 s of waiting.
	if elapsed := time.Since(start); elapsed < 2*time.Second {
		t.Errorf("7 requests took %v; the limiter allows 2 a second", elapsed)
	}
	noRetry := client.New(sb.URL, client.WithCredentials(sb.TestID, sb.TestSecret), client.WithMaxRetries(0))
	var apiErr *client.Error
	for range 5 {
		if _, err := noRetry.Banks.List(t.Context()); errors.As(err, &apiErr) {
			break
		}
	}
	if apiErr == nil || apiErr.Status != 429 || apiErr.Code != "rate_limit_exceeded" || apiErr.RetryAfter <= 0 || apiErr.Type != client.ProblemRateLimitExceeded {
		t.Errorf("without retries: %+v", apiErr)
	}
	if rl, ok := noRetry.RateLimit(); !ok || rl.Limit != 2 || rl.Remaining != 0 {
		t.Errorf("rate limit %+v", rl)
	}
}
