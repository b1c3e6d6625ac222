package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/dinie-oss/dinie/client"
	"github.com/dinie-oss/dinie/webhook"
)

// The whole life of a loan in the sandbox: register a customer, approve its KYC, link its bank account,
// wait for its credit offer, simulate, take the loan, sign it, wait for the money, read the installments
// and pay the first one. (A real integration listens for the webhook events instead of polling.)
func Example() {
	srv, err := startSandbox() // a real Dinie server on a loopback port, for this example
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()

	dinie := client.New(srv.URL, client.WithCredentials(srv.TestID, srv.TestSecret))

	// 1. Register the customer. The sandbox magic CNPJ 12.340.003/0006-68 is an LTDA that gets a
	// fixed offer of R$ 60,000.00 in 12 installments at 3.49 % a month.
	cust, created, err := dinie.Customers.Create(ctx, client.CreateCustomerParams{
		CPF: "529.982.247-25", CNPJ: "12.340.003/0006-68",
		Email: "ana@padaria.example", Phone: "+5511999999999", ExternalID: new("partner-ref-1"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("customer:", cust.Status, "created:", created)

	// 2. Enrichment finds the company and its partners, and lists the KYC requirements.
	cust = waitCustomer(ctx, dinie, cust.ID, client.CustomerPendingKYC)
	fmt.Println("customer:", cust.Status, "cnpj:", *cust.CNPJ)

	// 3. In the sandbox, approve the KYC at once (a real customer uploads documents and
	// StartKYCReview sends them for review).
	cust, err = dinie.Sandbox.KYCDecision(ctx, cust.ID, client.KYCDecisionParams{Decision: client.KYCApprove})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("customer:", cust.Status)

	// 4. Link the account the loan is disbursed to.
	acct, err := dinie.Customers.UpsertBankAccount(ctx, cust.ID, client.BankAccountParams{
		BankID: "001", Kind: client.BankAccountChecking, Branch: "1234", Number: "567890", Digit: "1",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bank account:", acct.BankName)

	// 5. The credit analysis issues the offer (credit_offer.available).
	offer := waitOffer(ctx, dinie, cust.ID)
	lo, hi := offer.InstallmentRange()
	fmt.Printf("offer: %s, %s, %d to %d installments at %s%% a month\n",
		offer.Status, offer.ApprovedAmount.BRL(), lo, hi, offer.MonthlyInterestRate)

	// 6. Simulate the loan, and accept the simulation.
	sim, err := dinie.CreditOffers.CreateSimulation(ctx, offer.ID, client.SimulationParams{
		RequestedAmount: client.Reais(60_000), InstallmentCount: 12,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("simulation:", sim.InstallmentCount, "installments, principal above the request:",
		sim.PrincipalAmount == sim.RequestedAmount+sim.IOFAmount+sim.FeeAmount)
	loan, err := dinie.Loans.Create(ctx, sim.LoanParams())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loan:", loan.Status, "signing page:", loan.SigningURL != nil)

	// 7. Every signer signs the CCB (in the sandbox, at once); the Pix disbursement follows.
	loan, err = dinie.Sandbox.SignLoan(ctx, loan.ID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loan:", loan.Status)
	loan = waitLoan(ctx, dinie, loan.ID, client.LoanActive)
	fmt.Println("loan:", loan.Status, "principal known:", loan.PrincipalAmount != nil)

	// 8. The installments, then a payment of the first one.
	var first client.Transaction
	n := 0
	for tx, err := range dinie.Loans.Transactions(ctx, loan.ID, &client.ListParams{Limit: 5}) {
		if err != nil {
			log.Fatal(err)
		}
		if n == 0 {
			first = tx
		}
		n++
	}
	fmt.Println("installments:", n, "first:", first.Status)
	if _, err := dinie.Sandbox.Pay(ctx, loan.ID, first.AmountDue); err != nil {
		log.Fatal(err)
	}
	page, err := dinie.Loans.TransactionsPage(ctx, loan.ID, &client.ListParams{Limit: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first installment:", page.Data[0].Status, "remaining:", page.Data[0].AmountRemaining, "more:", page.HasMore)

	// Output:
	// customer: creating created: true
	// customer: pending_kyc cnpj: 12.340.003/0006-68
	// customer: active
	// bank account: Banco do Brasil
	// offer: available, R$ 60.000,00, 12 to 12 installments at 3.49% a month
	// simulation: 12 installments, principal above the request: true
	// loan: awaiting_signatures signing page: true
	// loan: processing
	// loan: active principal known: true
	// installments: 12 first: pending
	// first installment: paid remaining: 0.00 more: true
}

// waitCustomer polls until the customer reaches status (a real integration waits for the event).
func waitCustomer(ctx context.Context, dinie *client.Client, id string, status client.CustomerStatus) *client.Customer {
	var c *client.Customer
	err := eventually(ctx, func() (bool, error) {
		var err error
		c, err = dinie.Customers.Get(ctx, id)
		return err == nil && c.Status == status, err
	})
	if err != nil {
		log.Fatalf("customer %s never reached %s: %v", id, status, err)
	}
	return c
}

// waitOffer polls until the customer has an available offer.
func waitOffer(ctx context.Context, dinie *client.Client, customerID string) client.CreditOffer {
	var offer client.CreditOffer
	err := eventually(ctx, func() (bool, error) {
		for o, err := range dinie.Customers.CreditOffers(ctx, customerID, &client.CustomerCreditOfferListParams{Status: client.OfferAvailable}) {
			if err != nil {
				return false, err
			}
			offer = o
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		log.Fatalf("no offer for %s: %v", customerID, err)
	}
	return offer
}

// waitLoan polls until the loan reaches status.
func waitLoan(ctx context.Context, dinie *client.Client, id string, status client.LoanStatus) *client.Loan {
	var l *client.Loan
	err := eventually(ctx, func() (bool, error) {
		var err error
		l, err = dinie.Loans.Get(ctx, id)
		return err == nil && l.Status == status, err
	})
	if err != nil {
		log.Fatalf("loan %s never reached %s: %v", id, status, err)
	}
	return l
}

// Errors are *client.Error problem documents: test their machine code with IsCode, or read every field
// with errors.As.
func ExampleIsCode() {
	srv, err := startSandbox()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	dinie := client.New(srv.URL, client.WithCredentials(srv.TestID, srv.TestSecret))

	_, _, err = dinie.Customers.Create(ctx, client.CreateCustomerParams{
		CPF: "123.456.789-00", CNPJ: "12.340.003/0006-68", Email: "ana@padaria.example", Phone: "+5511999999999",
	})
	fmt.Println("invalid cpf:", client.IsCode(err, "invalid_cpf"))
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Type)
	}

	_, err = dinie.Loans.Get(ctx, "ln_00000000000000000000000000000000")
	fmt.Println("status:", client.StatusCode(err), "code:", client.IsCode(err, "loan_not_found"))

	// Output:
	// invalid cpf: true
	// 422 https://docs.dinie.com/errors/validation-failed
	// status: 404 code: true
}

// A webhook endpoint verifies each delivery with the secret it got when it was created, then reads the
// event with the decoder of its type.
func ExampleVerifyWebhook() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20)) // the raw body, before any parsing
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		ev, err := client.VerifyWebhook([]string{secret}, r.Header, body)
		if err != nil {
			http.Error(w, "invalid webhook", http.StatusUnauthorized)
			return
		}
		switch ev.Type {
		case client.EventLoanPaymentReceived:
			data, err := ev.LoanPaymentReceived()
			if err != nil {
				http.Error(w, "bad data", http.StatusBadRequest)
				return
			}
			fmt.Println(ev.Type, data.Payment.Amount.BRL(), "installment", data.Payment.InstallmentNumber)
		default:
			fmt.Println("ignored", ev.Type)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	endpoint := httptest.NewServer(handler)
	defer endpoint.Close()

	// What Dinie sends.
	body := []byte(`{"id":"evt_0123456789abcdef0123456789abcdef","type":"loan.payment_received",` +
		`"api_version":"2026-03-01","created_at":1775253600,"delivery_id":"dlv_0123456789abcdef0123456789abcdef",` +
		`"timestamp":1775253600,"data":{"id":"ln_test_123","status":"active",` +
		`"payment":{"amount":875.5,"paid_at":1775253600,"installment_number":1}}}`)
	ts := time.Now().Unix()
	sig, err := webhook.Sign([]string{secret}, "evt_0123456789abcdef0123456789abcdef", ts, body)
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, endpoint.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	webhook.Headers{ID: "evt_0123456789abcdef0123456789abcdef", Timestamp: ts, Signature: sig}.Apply(req.Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	// Output:
	// loan.payment_received R$ 875,50 installment 1
	// 204 No Content
}

// Money is exact: it holds centavos and reads and writes the API's numbers in reais digit by digit.
func ExampleMoney() {
	var sim struct {
		InstallmentAmount client.Money `json:"installment_amount"`
	}
	if err := json.Unmarshal([]byte(`{"installment_amount": 2614.36}`), &sim); err != nil {
		log.Fatal(err)
	}
	total := sim.InstallmentAmount * 3 // arithmetic on centavos, no float rounding
	fmt.Println(sim.InstallmentAmount.Centavos(), total, total.BRL())
	b, _ := json.Marshal(map[string]client.Money{"amount": client.Centavos(87550)})
	fmt.Println(string(b))
	// Output:
	// 261436 7843.08 R$ 7.843,08
	// {"amount":875.5}
}

// List walks every page; ListPage gets one.
func ExampleCustomersService_List() {
	srv, err := startSandbox()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	dinie := client.New(srv.URL, client.WithCredentials(srv.TestID, srv.TestSecret))
	for i, cnpj := range []string{"12.340.003/0006-68", "12.340.001/0006-79", "12.340.003/0005-87"} {
		if _, _, err := dinie.Customers.Create(ctx, client.CreateCustomerParams{CPF: "529.982.247-25", CNPJ: cnpj,
			Email: "ana@padaria.example", Phone: "+5511999999999", ExternalID: new(fmt.Sprintf("ref-%d", i+1))}); err != nil {
			log.Fatal(err)
		}
	}

	// Pages of two, fetched as the loop needs them.
	for cust, err := range dinie.Customers.List(ctx, &client.CustomerListParams{ListParams: client.ListParams{Limit: 2}}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(*cust.ExternalID, *cust.CNPJ)
	}

	page, err := dinie.Customers.ListPage(ctx, &client.CustomerListParams{ListParams: client.ListParams{Limit: 2}, Order: "desc"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Data), "newest first, more:", page.HasMore)
	// Output:
	// ref-1 12.340.003/0006-68
	// ref-2 12.340.001/0006-79
	// ref-3 12.340.003/0005-87
	// 2 newest first, more: true
}
