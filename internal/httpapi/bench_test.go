package httpapi_test

import (
	"net/http/httptest"
	"testing"

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
