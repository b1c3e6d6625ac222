// Package web serves the platform's hosted pages: the KYC page a customer opens from a biometrics
// session link.
package web

import "net/http"

// KYCPage serves the hosted KYC page and its assets under /kyc/ (the page itself lands in the next
// commit).
func KYCPage() http.Handler {
	return http.NotFoundHandler()
}
