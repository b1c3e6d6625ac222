// Package web serves the platform's hosted pages: the KYC page a customer opens from a biometrics
// session link, and the page where a loan's signers read and sign its CCB.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"time"
)

//go:embed kyc/index.html kyc/app.css kyc/app.js shared/ui.js shared/base.css
var kycFiles embed.FS

// ContentSecurityPolicy is the policy of every hosted page response: only the page's own origin, no
// inline scripts or styles, images also from data: and blob: URLs (previews of chosen files).
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'"

// asset is one embedded file as it is served.
type asset struct {
	body        []byte
	contentType string
	// cacheControl: the HTML is never stored (its address carried a code); the script and the style
	// sheet are revalidated by ETag, so a deploy takes effect at once.
	cacheControl string
	etag         string
}

// kycAssets maps each served path under /kyc/ to its file.
var kycAssets = map[string]struct{ file, contentType, cacheControl string }{
	"/kyc/":         {"kyc/index.html", "text/html; charset=utf-8", "no-store"},
	"/kyc/app.js":   {"kyc/app.js", "text/javascript; charset=utf-8", "no-cache"},
	"/kyc/app.css":  {"kyc/app.css", "text/css; charset=utf-8", "no-cache"},
	"/kyc/ui.js":    {"shared/ui.js", "text/javascript; charset=utf-8", "no-cache"},
	"/kyc/base.css": {"shared/base.css", "text/css; charset=utf-8", "no-cache"},
}

// KYCPage serves the hosted KYC page and its assets under /kyc/: /kyc/ is the page, /kyc/app.js and
// /kyc/app.css its script and style sheet; every other path is 404. Every answer carries the page's
// security headers: a strict Content-Security-Policy, Referrer-Policy no-referrer (the page's address
// holds a single-use code that must not leak through a Referer) and X-Content-Type-Options nosniff.
// It answers GET and HEAD; the caller routes only those to it.
func KYCPage() http.Handler {
	assets := make(map[string]asset, len(kycAssets))
	for path, a := range kycAssets {
		b, err := kycFiles.ReadFile(a.file)
		if err != nil {
			panic("web: embedded file missing: " + a.file) // a build defect, caught by the package's tests
		}
		sum := sha256.Sum256(b)
		assets[path] = asset{body: b, contentType: a.contentType, cacheControl: a.cacheControl,
			etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		a, ok := assets[r.URL.Path]
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
