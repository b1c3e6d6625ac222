package storetest

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var touchTests = []namedTest{
	{"Granularity", testTouchGranularity},
	{"UnknownID", testTouchUnknownID},
}

var signingKeyTests = []namedTest{
	{"Ensure", testEnsureSigningKey},
	{"SecretBytes", testSigningKeySecretBytes},
	{"Concurrent", testEnsureSigningKeyConcurrent},
}

// testTouchGranularity: last_used_at is written on first use, then only once the stored value is older
// than the granularity; nothing else of the credential changes.
func testTouchGranularity(t *testing.T, e Engine) {
	const g = time.Minute
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	cred := mustCredential(t, s, scope, "a", t0, nil)
	other := mustCredential(t, s, scope, "b", t0, nil)
	t1 := t0.Add(10*time.Second + 5*time.Microsecond)
	steps := []struct {
		name string
		at   time.Time
		want time.Time // last_used_at afterwards
	}{
		{"first use", t1, t1},
		{"within granularity", t1.Add(30 * time.Second), t1},
		{"exactly the granularity later", t1.Add(g), t1},
		{"past the granularity", t1.Add(g + time.Microsecond), t1.Add(g + time.Microsecond)},
		{"an earlier instant", t1, t1.Add(g + time.Microsecond)},
		{"much later", t1.Add(time.Hour), t1.Add(time.Hour)},
	}
	for _, st := range steps {
		if err := s.TouchCredential(testCtx(t), cred.ClientID, st.at, g); err != nil {
			t.Fatalf("%s: TouchCredential: %v", st.name, err)
		}
		want := cred
		want.LastUsedAt = ptr(st.want)
		if diff := cmpDiff(want, mustGetCredential(t, s, cred.ClientID)); diff != "" {
			t.Errorf("%s: touched at %v (-want +got):\n%s", st.name, st.at, diff)
		}
	}
	if diff := cmpDiff(other, mustGetCredential(t, s, other.ClientID)); diff != "" {
		t.Errorf("untouched credential changed (-want +got):\n%s", diff)
	}
	// Granularity 0 writes on every later use.
	at := t1.Add(time.Hour + time.Microsecond)
	if err := s.TouchCredential(testCtx(t), cred.ClientID, at, 0); err != nil {
		t.Fatalf("TouchCredential(granularity 0): %v", err)
	}
	if got := mustGetCredential(t, s, cred.ClientID).LastUsedAt; got == nil || !got.Equal(at) {
		t.Errorf("granularity 0: last_used_at = %v, want %v", got, at)
	}
}

func testTouchUnknownID(t *testing.T, e Engine) {
	s, _ := open(t, e)
	if err := s.TouchCredential(testCtx(t), ids.New("dinie_ci_test_"), t0, time.Minute); err != nil {
		t.Errorf("TouchCredential(unknown id) = %v, want nil (nothing to touch)", err)
	}
}

func randomKey(t *testing.T, at time.Time) store.SigningKey {
	t.Helper()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return store.SigningKey{ID: ids.New("key_"), Algorithm: "HS256", Secret: secret, CreatedAt: at}
}

func testEnsureSigningKey(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	if keys, err := s.SigningKeys(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("SigningKeys on an empty store = %v, %v; want none", keys, err)
	}
	first := randomKey(t, t0.Add(123456*time.Microsecond))
	got, err := s.EnsureSigningKey(ctx, first)
	if err != nil {
		t.Fatalf("EnsureSigningKey(first): %v", err)
	}
	want := []store.SigningKey{first}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("EnsureSigningKey(first) (-want +got):\n%s", diff)
	}
	second := randomKey(t, t0.Add(time.Hour))
	got, err = s.EnsureSigningKey(ctx, second)
	if err != nil {
		t.Fatalf("EnsureSigningKey(second): %v", err)
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("EnsureSigningKey(second) must keep the first key (-want +got):\n%s", diff)
	}
	got, err = s.SigningKeys(ctx)
	if err != nil {
		t.Fatalf("SigningKeys: %v", err)
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("SigningKeys (-want +got):\n%s", diff)
	}
	for _, k := range got {
		assertUTC(t, "CreatedAt", &k.CreatedAt)
		if k.RetiredAt != nil {
			t.Errorf("RetiredAt = %v, want nil", k.RetiredAt)
		}
	}
}

// testSigningKeySecretBytes: secrets are arbitrary bytes (zeros, high bits, every value) and come back
// exactly.
func testSigningKeySecretBytes(t *testing.T, e Engine) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := map[string][]byte{
		"random 32 bytes": randomKey(t, t0).Secret,
		"zeros":           make([]byte, 32),
		"0xff":            slices.Repeat([]byte{0xff}, 64),
		"every byte":      all,
		"one byte":        {0x00},
	}
	for name, secret := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := open(t, e) // one key per store: EnsureSigningKey keeps the first
			k := store.SigningKey{ID: ids.New("key_"), Algorithm: "HS512", Secret: slices.Clone(secret), CreatedAt: t0}
			got, err := s.EnsureSigningKey(testCtx(t), k)
			if err != nil {
				t.Fatalf("EnsureSigningKey: %v", err)
			}
			if len(got) != 1 || !slices.Equal(got[0].Secret, secret) {
				t.Fatalf("EnsureSigningKey returned %+v, want the one key with secret %x", got, secret)
			}
			again, err := s.SigningKeys(testCtx(t))
			if err != nil || len(again) != 1 || !slices.Equal(again[0].Secret, secret) {
				t.Errorf("SigningKeys = %+v, %v; want the one key with secret %x", again, err, secret)
			}
		})
	}
}

// testEnsureSigningKeyConcurrent: several nodes starting at once end up sharing exactly one key. The race
// is short, so it is run on a few fresh stores.
func testEnsureSigningKeyConcurrent(t *testing.T, e Engine) {
	for round := range 6 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) { ensureSigningKeyConcurrently(t, e) })
	}
}

func ensureSigningKeyConcurrently(t *testing.T, e Engine) {
	const n = 5
	ctx := testCtx(t)
	s, _ := open(t, e)
	candidates := make([]store.SigningKey, n)
	for i := range candidates {
		candidates[i] = randomKey(t, t0.Add(time.Duration(i)*time.Second))
	}
	start := make(chan struct{})
	results := make([][]store.SigningKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, k := range candidates {
		wg.Go(func() {
			<-start
			results[i], errs[i] = s.EnsureSigningKey(ctx, k)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("EnsureSigningKey #%d: %v", i, err)
		}
	}
	keys, err := s.SigningKeys(ctx)
	if err != nil {
		t.Fatalf("SigningKeys: %v", err)
	}
	if len(keys) != 1 {
		t.Fatalf("after %d concurrent EnsureSigningKey calls there are %d keys, want 1", n, len(keys))
	}
	winner := slices.IndexFunc(candidates, func(k store.SigningKey) bool { return k.ID == keys[0].ID })
	if winner < 0 {
		t.Fatalf("the stored key %s is none of the candidates", keys[0].ID)
	}
	if diff := cmpDiff(candidates[winner], keys[0]); diff != "" {
		t.Errorf("stored key (-want +got):\n%s", diff)
	}
	for i, r := range results {
		if diff := cmpDiff(keys, r); diff != "" {
			t.Errorf("EnsureSigningKey #%d returned another view (-want +got):\n%s", i, diff)
		}
	}
}
