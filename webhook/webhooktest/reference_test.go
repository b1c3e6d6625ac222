package webhooktest

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlattenHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   http.Header
		want map[string]string
	}{
		{"nil", nil, map[string]string{}},
		{"first value, lower-case name", http.Header{"Webhook-Id": {"a", "b"}}, map[string]string{"webhook-id": "a"}},
		{"empty value list dropped", http.Header{"Webhook-Id": {}}, map[string]string{}},
		{"canonical wins", http.Header{"webhook-id": {"lower"}, "Webhook-Id": {"canon"}, "WEBHOOK-ID": {"upper"}}, map[string]string{"webhook-id": "canon"}},
		{"lower-case next", http.Header{"webhook-id": {"lower"}, "WEBHOOK-ID": {"upper"}, "WebHook-ID": {"mixed"}}, map[string]string{"webhook-id": "lower"}},
		{"then sorted", http.Header{"WebHook-ID": {"mixed"}, "WEBHOOK-ID": {"upper"}}, map[string]string{"webhook-id": "upper"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, flattenHeader(tt.in)); diff != "" {
				t.Errorf("flattenHeader() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReferenceVerifyRuns checks the runner itself: one verdict per case, in
// order, refusals wrapping ErrRejected. (Signing is tested in package webhook.)
func TestReferenceVerifyRuns(t *testing.T) {
	t.Parallel()
	if got := ReferenceVerify(t, nil); got != nil {
		t.Fatalf("ReferenceVerify(nil) = %v, want nil", got)
	}
	h := http.Header{"webhook-id": {"msg_1"}, "webhook-timestamp": {"1"}, "webhook-signature": {"v1,AAAA"}}
	got := ReferenceVerify(t, []Case{
		{Secrets: []string{"whsec_YWJjZA=="}, Header: h, Body: []byte("{}")},
		{Secrets: nil, Header: h, Body: []byte("{}")},
		{Secrets: []string{"whsec_YWJjZA=="}, Header: http.Header{}, Body: nil},
	})
	wantMsgs := []string{
		"standardwebhooks rejected the delivery: Message timestamp too old",
		"standardwebhooks rejected the delivery: no secrets",
		"standardwebhooks rejected the delivery: Missing required headers",
	}
	if len(got) != len(wantMsgs) {
		t.Fatalf("ReferenceVerify returned %d results, want %d", len(got), len(wantMsgs))
	}
	for i, err := range got {
		if !errors.Is(err, ErrRejected) || err.Error() != wantMsgs[i] {
			t.Errorf("case %d: %v, want %q wrapping ErrRejected", i, err, wantMsgs[i])
		}
	}
}

func TestSourceDir(t *testing.T) {
	t.Parallel()
	dir, err := sourceDir()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := pinnedVersion(dir); err != nil || v == "" {
		t.Fatalf("pinnedVersion(%s) = %q, %v", dir, v, err)
	}
}
