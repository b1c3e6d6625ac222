package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// The hosted CCB signing page. A loan's signing_url is /sign/<token>, the token a capability: the page
// reads it from its own address and drives the same-origin signing endpoints with it,
// GET /sign/<token>/session, GET /sign/<token>/ccb.pdf and POST /sign/<token>/signatures. Its script and
// style sheet live under /sign/assets/, a name no token takes.

//go:embed sign/index.html sign/app.css sign/app.js shared/ui.js shared/base.css
var signFiles embed.FS

// SigningContentSecurityPolicy is the policy of every signing page response: the KYC page's, with the
// CCB embedded from the page's own origin (frame-src and object-src 'self'), no data: images but the
// empty favicon, and the page itself never framed (frame-ancestors 'none'), so no other site can lay
// it under a decoy and have someone click "Assinar" unawares.
const SigningContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; frame-src 'self'; object-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// signAssets maps the script's and the style sheet's paths to their files.
var signAssets = map[string]struct{ file, contentType, cacheControl string }{
	"/sign/assets/app.js":   {"sign/app.js", "text/javascript; charset=utf-8", "no-cache"},
	"/sign/assets/app.css":  {"sign/app.css", "text/css; charset=utf-8", "no-cache"},
	"/sign/assets/ui.js":    {"shared/ui.js", "text/javascript; charset=utf-8", "no-cache"},
	"/sign/assets/base.css": {"shared/base.css", "text/css; charset=utf-8", "no-cache"},
}

// maxTokenLen bounds the token segment the page is served for; signing tokens are 40 characters.
const maxTokenLen = 128

// SigningPage serves the hosted signing page: GET /sign/<token>, for any token segment of letters,
// digits, '-' and '_' (the page asks the server whether the token is valid), and its assets
// /sign/assets/app.js and /sign/assets/app.css. Every other path, /sign/assets itself included, is 404.
// Every answer carries SigningContentSecurityPolicy, X-Frame-Options DENY, Referrer-Policy no-referrer
// (the page's address is the capability) and X-Content-Type-Options nosniff; the page is never stored,
// the assets are revalidated by ETag. It answers GET and HEAD; the caller routes only those to it, with
// exact patterns for the assets: a "/sign/assets/" subtree pattern would conflict with
// "/sign/{token}/session" in http.ServeMux.
func SigningPage() http.Handler {
	page := embedded(signFiles, "sign/index.html", "text/html; charset=utf-8", "no-store")
	assets := make(map[string]asset, len(signAssets))
	for path, a := range signAssets {
		assets[path] = embedded(signFiles, a.file, a.contentType, a.cacheControl)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", SigningContentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		a, ok := assets[r.URL.Path]
		if !ok && isSigningPagePath(r.URL.EscapedPath()) {
			a, ok = page, true
		}
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			h.Set("Cache-Control", "no-store")
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", a.cacheControl)
		if a.cacheControl != "no-store" {
			h.Set("ETag", a.etag)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

// isSigningPagePath reports whether the escaped path p is /sign/<token>: one segment of letters,
// digits, '-' and '_', other than "assets".
func isSigningPagePath(p string) bool {
	tok, ok := strings.CutPrefix(p, "/sign/")
	if !ok || tok == "" || len(tok) > maxTokenLen || tok == "assets" {
		return false
	}
	for _, c := range []byte(tok) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// embedded reads file from files as served with contentType and cacheControl.
func embedded(files embed.FS, file, contentType, cacheControl string) asset {
	b, err := files.ReadFile(file)
	if err != nil {
		panic("web: embedded file missing: " + file) // a build defect, caught by the package's tests
	}
	sum := sha256.Sum256(b)
	return asset{body: b, contentType: contentType, cacheControl: cacheControl, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}
