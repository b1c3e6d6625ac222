// Package client is the Go client of the Dinie lending API (API version 2026-03-01): typed requests and
// answers for every route, authentication, retries, idempotency, pagination, problem errors and webhook
// verification.
//
// # Getting started
//
// Build one client per credential and share it; it is safe for concurrent use:
//
//	dinie := client.New(client.SandboxURL, client.WithCredentials(clientID, clientSecret))
//
//	cust, created, err := dinie.Customers.Create(ctx, client.CreateCustomerParams{
//		CPF: "529.982.247-25", CNPJ: "12.340.003/0006-68",
//		Email: "ana@padaria.example", Phone: "+5511999999999", ExternalID: new("pedido-42"),
//	})
//
// The services hang off the client: Credentials, Banks, Customers (with KYC, bank account, biometrics
// and the customer's credit offers), CreditOffers (with simulations), Loans (with installments and the
// CCB), WebhookEndpoints (with deliveries and resends), Biometrics and, for the test environment,
// Sandbox. See the package example for a loan's whole life in the sandbox.
//
// # Authentication
//
// With WithCredentials the client gets client-credentials access tokens from POST /auth/token (HTTP
// Basic and a form body) by itself, caches them, replaces them 5 minutes before they expire, and when
// the API answers 401 drops the token and retries the call once with a new one. Concurrent calls share
// one token request.
//
// A KYC app acting for one customer uses session mode instead: WithSessionCode(code) with the
// single-use code of a biometrics session_url (BiometricsSession.Code) and a credential that has the
// biometrics:exchange scope. The code is exchanged once; every call then uses the customer session
// token, and fails with ErrSessionExpired once it expires.
//
// # Retries and idempotency
//
// Every write (POST, PATCH, DELETE) carries an X-Idempotency-Key: a random one, or yours with
// WithIdempotencyKey(ctx, key). The same key goes out on every retry of the call, so a retried write
// never happens twice. A call is retried (WithMaxRetries, default 2) after a network error or timeout
// (WithTimeout bounds each attempt), and after 408, 429, 500, 502, 503, 504 or 409
// idempotency_key_in_use, waiting what Retry-After says (at most 60 s) or else an exponential backoff
// with jitter (WithBackoff). Other 4xx answers are final. The context bounds the whole call.
//
// # Values
//
// Money holds exact centavos (Money(87550) is R$ 875,50) and reads and writes the API's JSON numbers in
// reais digit by digit, never through a float. Rate keeps a percentage's decimal text ("3.49").
// Timestamp is an instant sent as epoch seconds, Date a calendar date sent as "YYYY-MM-DD". Fields the
// API may send as null are pointers. A CreditOffer is a fixed offer (Installments) or a range offer
// (MinInstallments, MaxInstallments).
//
// # Lists
//
// List methods return an iterator that walks every page with starting_after:
//
//	for cust, err := range dinie.Customers.List(ctx, &client.CustomerListParams{Status: client.CustomerActive}) {
//		if err != nil {
//			return err
//		}
//		…
//	}
//
// and ListPage methods (TransactionsPage, DeliveriesPage, CreditOffersPage) get one page with its
// HasMore flag and NextCursor.
//
// # Errors
//
// An error answer is an *Error carrying the RFC 9457 problem: Type, Title, Status, Detail, Code,
// RequestID and the offending fields in Errors. Use errors.As, or IsCode(err, "offer_expired") and
// StatusCode(err).
//
// # Webhooks
//
// VerifyWebhook checks a delivery's Standard Webhooks signature and timestamp with the webhook package
// and returns the Event; read its data with the decoder of its type (ev.LoanCreated(),
// ev.CreditOffer(), …) or ev.Decode() in a type switch. Events of a type that is not one of the 15 of
// the contract are refused.
package client
