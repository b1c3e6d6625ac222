package store

import (
	"encoding/json"
	"slices"
	"sync"

	"github.com/dinie-oss/dinie/internal/lending"
)

// kycCache remembers decoded kyc columns by their JSON text, so reading a customer whose requirements
// have not changed skips the JSON decoding that dominated GET /customers/{id} and list pages. A hit
// returns a deep copy: callers own what they get, as with a fresh decode. It holds at most
// kycCacheSize entries and starts over when full (a simple bound; the hot set refills at once).
type kycCache struct {
	mu      sync.Mutex
	entries map[string][]lending.Requirement
}

const kycCacheSize = 4096

var decodedKYC = &kycCache{entries: map[string][]lending.Requirement{}}

// decode returns the requirements of a kyc column's JSON text.
func (k *kycCache) decode(text string) ([]lending.Requirement, error) {
	k.mu.Lock()
	cached, ok := k.entries[text]
	k.mu.Unlock()
	if ok {
		return cloneKYC(cached), nil
	}
	var reqs []lending.Requirement
	if err := json.Unmarshal([]byte(text), &reqs); err != nil {
		return nil, err
	}
	if reqs == nil {
		reqs = []lending.Requirement{}
	}
	k.mu.Lock()
	if len(k.entries) >= kycCacheSize {
		clear(k.entries)
	}
	k.entries[text] = cloneKYC(reqs)
	k.mu.Unlock()
	return reqs, nil
}

// cloneKYC copies reqs deeply: the requirements, their subjects, submissions and attachment slots.
func cloneKYC(reqs []lending.Requirement) []lending.Requirement {
	out := slices.Clone(reqs)
	for i := range out {
		if s := out[i].Subject; s != nil {
			c := *s
			out[i].Subject = &c
		}
		if s := out[i].Submitted; s != nil {
			c := *s
			c.Attachments = slices.Clone(s.Attachments)
			if s.ReviewReason != nil {
				r := *s.ReviewReason
				c.ReviewReason = &r
			}
			out[i].Submitted = &c
		}
	}
	return out
}
