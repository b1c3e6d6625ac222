package httpapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// BenchmarkToken measures POST /auth/token (Basic + form, as the JS SDK sends it) through the whole
// middleware chain on SQLite: parse, credential lookup, hash check, signing, last_used_at.
func BenchmarkToken(b *testing.B) {
	ip := newInProcess(b, storetest.SQLiteDSN(b))
	b.ReportAllocs()
	for b.Loop() {
		if rec := ip.serve(tokenRequest(ip.cred)); rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkAuthenticatedGet measures an authenticated GET through the whole middleware chain (request
// id, metrics, access log, token verification with the credential lookup, rate limit): GET /banks
// serves a pre-encoded body, GET /auth/credentials adds a paginated query.
func BenchmarkAuthenticatedGet(b *testing.B) {
	ip := newInProcess(b, storetest.SQLiteDSN(b))
	for _, path := range []string{"/api/v3/banks", "/api/v3/auth/credentials"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Authorization", "Bearer "+ip.token)
				if rec := ip.serve(r); rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
		b.Run(path+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", path, nil)
					r.Header.Set("Authorization", "Bearer "+ip.token)
					if rec := ip.serve(r); rec.Code != 200 {
						b.Errorf("%d %s", rec.Code, rec.Body)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGetCustomer measures GET /customers/{id} of an enriched customer (its kyc array included)
// through the whole middleware chain on SQLite, and GET /customers (a page of 25 such customers).
func BenchmarkGetCustomer(b *testing.B) {
	ip := newInProcess(b, storetest.SQLiteDSN(b))
	ctx := context.Background()
	cr, err := ip.platform.Customers.Store.CredentialByClientID(ctx, ip.cred.id)
	if err != nil {
		b.Fatal(err)
	}
	scope := cr.Scope()
	var id string
	for i := range 30 {
		c, _, err := ip.platform.Customers.Register(ctx, scope, lending.NewCustomerInput{
			CPF: string(lending.CPFWithCheckDigits(fmt.Sprintf("%09d", 100000000+i))), CNPJ: ltdaCNPJ,
			Email: "a@b.com.br", Phone: "+5511987654321"})
		if err != nil {
			b.Fatal(err)
		}
		w := &customers.EnrichWorker{Service: ip.platform.Customers, Registry: providers.SandboxRegistry{}}
		if err := w.Work(ctx, &river.Job[jobs.EnrichCustomer]{Args: jobs.EnrichCustomer{CustomerID: c.ID}}); err != nil {
			b.Fatal(err)
		}
		id = c.ID
	}
	for _, path := range []string{"/api/v3/customers/" + id, "/api/v3/customers?limit=25"} {
		b.Run(path[:len("/api/v3/customers")+1], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Authorization", "Bearer "+ip.token)
				if rec := ip.serve(r); rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
