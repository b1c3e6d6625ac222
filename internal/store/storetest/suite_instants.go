package storetest

import (
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var instantTests = []namedTest{
	{"RoundTrip", testInstantsRoundTrip},
}

// testInstantsRoundTrip stores instants in every time column of credentials and partners and reads them
// back: equal to the microsecond (finer digits are truncated, never rounded), in UTC, and a nil instant
// stays nil.
func testInstantsRoundTrip(t *testing.T, e Engine) {
	s, _ := open(t, e)
	brt := time.FixedZone("BRT", -3*60*60)
	cases := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"epoch seconds", t0, t0},
		{"unix epoch", time.Unix(0, 0), time.Unix(0, 0)},
		{"microseconds", t0.Add(123456 * time.Microsecond), t0.Add(123456 * time.Microsecond)},
		{"last microsecond of a second", t0.Add(999999 * time.Microsecond), t0.Add(999999 * time.Microsecond)},
		{"other zone", time.Date(2025, 3, 14, 9, 0, 0, 1000, brt), time.Date(2025, 3, 14, 12, 0, 0, 1000, time.UTC)},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 500001000, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 500001000, time.UTC)},
		{"far future", time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{"nanoseconds truncated", t0.Add(123456789), t0.Add(123456 * time.Microsecond)},
		{"nanoseconds truncated before 1970", time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			p := lending.Partner{ID: ids.New("prt_"), Name: c.name, CreatedAt: c.in, UpdatedAt: c.in.Add(time.Microsecond)}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePartner(ctx, p) }); err != nil {
				t.Fatalf("CreatePartner: %v", err)
			}
			gotP, err := s.GetPartner(ctx, p.ID)
			if err != nil {
				t.Fatalf("GetPartner: %v", err)
			}
			wantP := p
			wantP.CreatedAt, wantP.UpdatedAt = c.want, c.want.Add(time.Microsecond)
			if diff := cmpDiff(wantP, gotP); diff != "" {
				t.Errorf("partner (-want +got):\n%s", diff)
			}
			assertUTC(t, "partner.CreatedAt", &gotP.CreatedAt)
			assertUTC(t, "partner.UpdatedAt", &gotP.UpdatedAt)

			scope := lending.Scope{PartnerID: p.ID, Environment: lending.EnvTest}
			// Every instant column set (a revoked credential that was used and had an expiry)…
			full := lending.Credential{
				ClientID: ids.New("dinie_ci_test_"), PartnerID: p.ID, Environment: lending.EnvTest,
				Name: "full", SecretHash: "h", Status: lending.CredentialRevoked,
				LastUsedAt: ptr(c.in.Add(time.Microsecond)), ExpiresAt: ptr(c.in.Add(2 * time.Microsecond)),
				RevokedAt: ptr(c.in.Add(3 * time.Microsecond)), CreatedAt: c.in, UpdatedAt: c.in.Add(4 * time.Microsecond),
			}
			wantFull := full
			wantFull.LastUsedAt, wantFull.ExpiresAt = ptr(c.want.Add(time.Microsecond)), ptr(c.want.Add(2*time.Microsecond))
			wantFull.RevokedAt, wantFull.CreatedAt, wantFull.UpdatedAt = ptr(c.want.Add(3*time.Microsecond)), c.want, c.want.Add(4*time.Microsecond)
			// …and none of the optional ones.
			bare := lending.Credential{
				ClientID: ids.New("dinie_ci_test_"), PartnerID: p.ID, Environment: lending.EnvTest,
				Name: "bare", SecretHash: "h", Status: lending.CredentialActive, CreatedAt: c.in, UpdatedAt: c.in,
			}
			wantBare := bare
			wantBare.CreatedAt, wantBare.UpdatedAt = c.want, c.want

			for _, tc := range []struct{ in, want lending.Credential }{{full, wantFull}, {bare, wantBare}} {
				if err := s.CreateCredential(ctx, tc.in); err != nil {
					t.Fatalf("CreateCredential(%s): %v", tc.in.Name, err)
				}
				byID := mustGetCredential(t, s, tc.in.ClientID)
				if diff := cmpDiff(tc.want, byID); diff != "" {
					t.Errorf("CredentialByClientID(%s) (-want +got):\n%s", tc.in.Name, diff)
				}
				inScope, err := s.Credential(ctx, scope, tc.in.ClientID)
				if err != nil {
					t.Fatalf("Credential(%s): %v", tc.in.Name, err)
				}
				if diff := cmpDiff(tc.want, inScope); diff != "" {
					t.Errorf("Credential(%s) (-want +got):\n%s", tc.in.Name, diff)
				}
				for name, v := range map[string]*time.Time{
					"LastUsedAt": byID.LastUsedAt, "ExpiresAt": byID.ExpiresAt, "RevokedAt": byID.RevokedAt,
					"CreatedAt": &byID.CreatedAt, "UpdatedAt": &byID.UpdatedAt,
				} {
					assertUTC(t, tc.in.Name+"."+name, v)
				}
			}
			if got := mustGetCredential(t, s, bare.ClientID); got.LastUsedAt != nil || got.ExpiresAt != nil || got.RevokedAt != nil {
				t.Errorf("bare credential: LastUsedAt, ExpiresAt, RevokedAt = %v, %v, %v; want nil, nil, nil",
					got.LastUsedAt, got.ExpiresAt, got.RevokedAt)
			}
		})
	}
}

// assertUTC fails t if v (when not nil) is not in time.UTC.
func assertUTC(t *testing.T, what string, v *time.Time) {
	t.Helper()
	if v != nil && v.Location() != time.UTC {
		t.Errorf("%s = %v is in %v, want UTC", what, v, v.Location())
	}
}
