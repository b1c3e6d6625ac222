package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/web"
)

func get(t *testing.T, h http.Handler, method, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkSecurityHeaders fails t unless r carries the headers every hosted page answer must have.
func checkSecurityHeaders(t *testing.T, what string, r *http.Response) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func TestKYCPageAssets(t *testing.T) {
	h := web.KYCPage()
	for _, tc := range []asset{
		{"/kyc/", "text/html; charset=utf-8", "no-store", `<script src="/kyc/app.js" defer></script>`},
		{"/kyc/?code=dinie_bsc_test_x", "text/html; charset=utf-8", "no-store", `<link rel="stylesheet" href="/kyc/app.css">`},
		{"/kyc/app.js", "text/javascript; charset=utf-8", "no-cache", "history.replaceState"},
		{"/kyc/app.css", "text/css; charset=utf-8", "no-cache", ".hint"},
		{"/kyc/base.css", "text/css; charset=utf-8", "no-cache", ":root"},
		{"/kyc/ui.js", "text/javascript; charset=utf-8", "no-cache", "window.DinieUI"},
	} {
		checkAsset(t, h, tc, checkSecurityHeaders)
	}
}

func TestKYCPageHead(t *testing.T) {
	r := get(t, web.KYCPage(), "HEAD", "/kyc/")
	if r.StatusCode != http.StatusOK || body(t, r) != "" {
		t.Fatalf("HEAD /kyc/: %d", r.StatusCode)
	}
	checkSecurityHeaders(t, "HEAD /kyc/", r)
}

func TestKYCPageUnknownPaths(t *testing.T) {
	h := web.KYCPage()
	for _, p := range []string{"/kyc/index.html", "/kyc/app.js.map", "/kyc/kyc/app.js", "/kyc/APP.JS", "/kyc/exchange", "/kyc/../go.mod", "/kyc/favicon.ico"} {
		r := get(t, h, "GET", p)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
		checkSecurityHeaders(t, "GET "+p, r)
	}
}

func TestKYCPageRevalidation(t *testing.T) {
	h := web.KYCPage()
	r := get(t, h, "GET", "/kyc/app.js")
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatal("app.js has no ETag")
	}
	r = get(t, h, "GET", "/kyc/app.js", "If-None-Match", etag)
	if r.StatusCode != http.StatusNotModified {
		t.Errorf("GET app.js with its ETag: %d, want 304", r.StatusCode)
	}
	if r := get(t, h, "GET", "/kyc/"); r.Header.Get("ETag") != "" {
		t.Errorf("the page has an ETag %q; it is never stored", r.Header.Get("ETag"))
	}
}

// TestKYCPageSelfContained checks the page loads nothing from elsewhere and has no inline script or
// style, which the Content-Security-Policy would block.
func TestKYCPageSelfContained(t *testing.T) {
	h := web.KYCPage()
	html := body(t, get(t, h, "GET", "/kyc/"))
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]+</script>`), // inline script
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle=`),
		regexp.MustCompile(`(?i)\son[a-z]+=`), // inline event handlers
		regexp.MustCompile(`(?i)(?:src|href)="(?:https?:)?//`),
		regexp.MustCompile(`(?i)javascript:`),
	} {
		if m := bad.FindString(html); m != "" {
			t.Errorf("index.html has %q", m)
		}
	}
	for _, path := range []string{"/kyc/app.js", "/kyc/app.css"} {
		b := body(t, get(t, h, "GET", path))
		for _, bad := range []string{"http://", "https://", "@import", "localStorage", "sessionStorage", "document.cookie", "innerHTML", "eval("} {
			if strings.Contains(b, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
	}
}

// asset is a page or file the hosted pages serve, with what its answer must carry.
type asset struct{ path, contentType, cache, contains string }

// checkAsset GETs tc.path from h and checks the status, the headers (with checkHeaders) and the body.
func checkAsset(t *testing.T, h http.Handler, tc asset, checkHeaders func(*testing.T, string, *http.Response)) {
	t.Helper()
	r := get(t, h, "GET", tc.path)
	b := body(t, r)
	if r.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d", tc.path, r.StatusCode)
		return
	}
	checkHeaders(t, "GET "+tc.path, r)
	if got := r.Header.Get("Content-Type"); got != tc.contentType {
		t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.contentType)
	}
	if got := r.Header.Get("Cache-Control"); got != tc.cache {
		t.Errorf("GET %s: Cache-Control %q, want %q", tc.path, got, tc.cache)
	}
	if !strings.Contains(b, tc.contains) {
		t.Errorf("GET %s: body lacks %q", tc.path, tc.contains)
	}
}
