package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/web"
)

// signToken is a token as a loan's signing_url carries it: 40 alphanumerics.
const signToken = "Xq4Lm8Tz2Vb6Nc1Rk9Pw3Hy7Jd5Fs0GaUeQ2wE3r"

// checkSigningHeaders fails t unless r carries the headers every signing page answer must have.
func checkSigningHeaders(t *testing.T, what string, r *http.Response) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
			"frame-src 'self'; object-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func TestSigningPageAssets(t *testing.T) {
	h := web.SigningPage()
	for _, tc := range []asset{
		{"/sign/" + signToken, "text/html; charset=utf-8", "no-store", `<script src="/sign/assets/app.js" defer></script>`},
		{"/sign/" + signToken, "text/html; charset=utf-8", "no-store", `<link rel="stylesheet" href="/sign/assets/app.css">`},
		{"/sign/" + signToken, "text/html; charset=utf-8", "no-store", "<h1>Assinatura da Cédula de Crédito Bancário</h1>"},
		{"/sign/" + signToken + "?utm_source=x", "text/html; charset=utf-8", "no-store", "Li e concordo com os termos da Cédula de Crédito Bancário"},
		// Any token shape the page may be reached with: the server, not the page, says which are valid.
		{"/sign/abc", "text/html; charset=utf-8", "no-store", `id="sign-form"`},
		{"/sign/a-b_C9", "text/html; charset=utf-8", "no-store", `id="sign-form"`},
		{"/sign/assets/app.js", "text/javascript; charset=utf-8", "no-cache", "/signatures"},
		{"/sign/assets/app.css", "text/css; charset=utf-8", "no-cache", ":root"},
		{"/sign/assets/base.css", "text/css; charset=utf-8", "no-cache", "--page-width"},
		{"/sign/assets/ui.js", "text/javascript; charset=utf-8", "no-cache", "window.DinieUI"},
	} {
		checkAsset(t, h, tc, checkSigningHeaders)
	}
}

// TestSigningPageScript checks the script talks to the signing endpoints under the page's own address
// and sends what POST /sign/{token}/signatures takes.
func TestSigningPageScript(t *testing.T) {
	js := body(t, get(t, web.SigningPage(), "GET", "/sign/assets/app.js"))
	for _, want := range []string{
		"window.location.pathname", "'/session'", "'/ccb.pdf'", "'/signatures'",
		"document_sha256", "accept: true", "crypto.subtle.digest('SHA-256'",
		"Assinatura registrada", "signing_session_invalid", "signer_not_found",
	} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	html := body(t, get(t, web.SigningPage(), "GET", "/sign/"+signToken))
	for _, want := range []string{
		"Todas as assinaturas foram coletadas. O valor será liberado por Pix.",
		`<button type="submit" id="sign-submit" class="button primary wide">Assinar</button>`,
		`<input type="checkbox" id="accept"`, `id="cpf"`, `inputmode="numeric"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}

func TestSigningPageHead(t *testing.T) {
	for _, p := range []string{"/sign/" + signToken, "/sign/assets/app.js"} {
		r := get(t, web.SigningPage(), "HEAD", p)
		if r.StatusCode != http.StatusOK || body(t, r) != "" {
			t.Fatalf("HEAD %s: %d", p, r.StatusCode)
		}
		checkSigningHeaders(t, "HEAD "+p, r)
	}
}

func TestSigningPageUnknownPaths(t *testing.T) {
	h := web.SigningPage()
	for _, p := range []string{
		"/sign/", "/sign", "/sign/assets", "/sign/assets/", "/sign/assets/index.html", "/sign/assets/app.js.map",
		"/sign/assets/APP.JS", "/sign/assets/../app.js", "/sign/app.js", "/sign/index.html", "/sign/" + signToken + "/",
		"/sign/" + signToken + "/session", "/sign/" + signToken + "/ccb.pdf", "/sign/" + signToken + "/signatures",
		"/sign/a%2Fb", "/sign/a%20b", "/sign/..%2Fgo.mod", "/sign/" + strings.Repeat("a", 129), "/kyc/", "/",
	} {
		r := get(t, h, "GET", p)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
		checkSigningHeaders(t, "GET "+p, r)
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", p, got)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if r := get(t, h, m, "/sign/"+signToken); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s /sign/<token>: %d, want 404 (only GET and HEAD are routed here)", m, r.StatusCode)
		}
	}
}

func TestSigningPageRevalidation(t *testing.T) {
	h := web.SigningPage()
	for _, p := range []string{"/sign/assets/app.js", "/sign/assets/app.css", "/sign/assets/ui.js", "/sign/assets/base.css"} {
		r := get(t, h, "GET", p)
		etag := r.Header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s has no ETag", p)
		}
		r = get(t, h, "GET", p, "If-None-Match", etag)
		if r.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", p, r.StatusCode)
		}
	}
	if r := get(t, h, "GET", "/sign/"+signToken); r.Header.Get("ETag") != "" {
		t.Errorf("the page has an ETag %q; it is never stored", r.Header.Get("ETag"))
	}
}

// TestSigningPageSelfContained checks the page loads nothing from elsewhere and has no inline script or
// style, which the Content-Security-Policy would block.
func TestSigningPageSelfContained(t *testing.T) {
	h := web.SigningPage()
	html := body(t, get(t, h, "GET", "/sign/"+signToken))
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]+</script>`), // inline script
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle=`),
		regexp.MustCompile(`(?i)\son[a-z]+=`), // inline event handlers
		regexp.MustCompile(`(?i)(?:src|href|data|action)="(?:https?:)?//`),
		regexp.MustCompile(`(?i)javascript:`),
		regexp.MustCompile(`(?i)<(?:iframe|object|embed)\s[^>]*(?:src|data)="[^"/]`), // only same-origin paths
	} {
		if m := bad.FindString(html); m != "" {
			t.Errorf("index.html has %q", m)
		}
	}
	for _, path := range []string{"/sign/assets/app.js", "/sign/assets/app.css"} {
		b := body(t, get(t, h, "GET", path))
		for _, bad := range []string{"http://", "https://", "@import", "url(", "localStorage", "sessionStorage", "document.cookie",
			"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'", ".style."} {
			if strings.Contains(b, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
	}
}
