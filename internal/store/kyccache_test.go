package store

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/lending"
)

// TestKYCCacheReturnsCopies: what a cached decode returns is the caller's own, so changing it (as the
// domain's state changes build new values from it) never reaches the next reader of the same column.
func TestKYCCacheReturnsCopies(t *testing.T) {
	t.Parallel()
	reason := "ilegível"
	reqs := []lending.Requirement{{ID: "identity_1", Type: lending.ReqIdentity, Label: "Documento", Mandatory: true,
		Subject: &lending.Subject{ID: "1", Name: "Ana", Type: lending.SubjectApplicant, CPF: "52998224725"},
		Submitted: &lending.Submission{EvidenceType: "rg", ReviewStatus: lending.ReviewRejected, ReviewReason: &reason,
			Attachments: []lending.Slot{{Type: "front", Submitted: true, FileID: "kf_1"}, {Type: "back"}}}}}
	b, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	cache := &kycCache{entries: map[string][]lending.Requirement{}}
	for i := range 3 {
		got, err := cache.decode(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(reqs, got); d != "" {
			t.Fatalf("decode %d (-want +got):\n%s", i, d)
		}
		got[0].Label = "changed"
		got[0].Subject.Name = "changed"
		got[0].Submitted.Attachments[1].Submitted = true
		*got[0].Submitted.ReviewReason = "changed"
	}
	if len(cache.entries) != 1 {
		t.Errorf("%d entries for one text", len(cache.entries))
	}
	if _, err := cache.decode("{broken"); err == nil {
		t.Error("broken JSON decoded")
	}
}
