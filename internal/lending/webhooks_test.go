package lending

import (
	"net/netip"
	"testing"
	"time"
)

func TestValidateWebhookURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  Environment
		url  string
		code Code
	}{
		{EnvLive, "https://hooks.partner.com.br/dinie", ""},
		{EnvLive, "https://203.0.114.7/x", ""},
		{EnvLive, "http://hooks.partner.com.br/dinie", CodeInvalidURL},
		{EnvLive, "https://localhost/x", CodeInvalidURL},
		{EnvLive, "https://127.0.0.1/x", CodeInvalidURL},
		{EnvLive, "https://127.1/x", CodeInvalidURL},
		{EnvLive, "https://2130706433/x", CodeInvalidURL},
		{EnvLive, "https://0x7f000001/x", CodeInvalidURL},
		{EnvLive, "https://017700000001/x", CodeInvalidURL},
		{EnvLive, "https://0/x", CodeInvalidURL},
		{EnvLive, "https://metadata/computeMetadata", CodeInvalidURL},
		{EnvLive, "https://[::1]/x", CodeInvalidURL},
		{EnvLive, "https://[fd00::1]/x", CodeInvalidURL},
		{EnvLive, "https://169.254.169.254/latest", CodeInvalidURL},
		{EnvLive, "https://100.64.0.1/x", CodeInvalidURL},
		{EnvLive, "https://db.internal/x", CodeInvalidURL},
		{EnvTest, "http://localhost:3000/hook", ""},
		{EnvTest, "http://127.0.0.1:9000/", ""},
		{EnvTest, "ftp://partner.com/x", CodeInvalidURL},
		{EnvTest, "https://partner.com/x#frag", CodeInvalidURL},
		{EnvTest, "/relative", CodeInvalidURL},
		{EnvTest, "  ", CodeMissingRequiredField},
	}
	for _, tt := range tests {
		_, err := ValidateWebhookURL(tt.env, tt.url)
		if got := Code(""); err != nil {
			got = ErrorCode(err)
			if got != tt.code {
				t.Errorf("%s %q: %v, want %q", tt.env, tt.url, err, tt.code)
			}
		} else if tt.code != "" {
			t.Errorf("%s %q accepted, want %s", tt.env, tt.url, tt.code)
		}
	}
}

func TestIsPublicAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2804:14c::1": true, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"127.0.0.1": false, "::1": false, "169.254.1.1": false, "fe80::1": false, "0.0.0.0": false,
		"::ffff:127.0.0.1": false, "100.64.1.1": false, "224.0.0.1": false, "255.255.255.255": false,
	} {
		if got := IsPublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestEndpointLifecycle(t *testing.T) {
	t.Parallel()
	scope := Scope{PartnerID: "prt_1", Environment: EnvTest}
	t0 := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	e, err := NewWebhookEndpoint(scope, "http://localhost/h", []string{"loan.*", "loan.*", "customer.active"}, "", "whsec_a", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Events) != 2 || !e.Receives("loan.created") || e.Receives("customer.created") {
		t.Errorf("filters %v", e.Events)
	}
	// A patch that changes nothing leaves updated_at alone.
	same := "http://localhost/h"
	if got, _ := e.Apply(WebhookEndpointPatch{URL: &same}, t0.Add(time.Hour)); !got.UpdatedAt.Equal(t0) {
		t.Errorf("no-op patch moved updated_at to %v", got.UpdatedAt)
	}
	disabled := EndpointDisabled
	e, _ = e.Apply(WebhookEndpointPatch{Status: &disabled}, t0.Add(time.Hour))
	if e.Receives("loan.created") || !e.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("disabled endpoint: %+v", e)
	}
	// Rotation: both secrets sign during the grace period, only the new one after.
	e, err = e.RotateSecret("whsec_b", time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.SigningSecrets(t0.Add(59 * time.Second)); len(got) != 2 || got[0] != "whsec_b" || got[1] != "whsec_a" {
		t.Errorf("during grace: %v", got)
	}
	if got := e.SigningSecrets(t0.Add(time.Minute)); len(got) != 1 || got[0] != "whsec_b" {
		t.Errorf("after grace: %v", got)
	}
	if _, err := e.RotateSecret("whsec_c", MaxSecretGrace+time.Second, t0); ErrorCode(err) != CodeInvalidField {
		t.Errorf("grace over 24 h: %v", err)
	}
	// Failures: the streak starts once; 5 days of it, or a 410, disable.
	active := EndpointActive
	e, _ = e.Apply(WebhookEndpointPatch{Status: &active}, t0)
	e = e.AfterFailure(t0, false)
	e = e.AfterFailure(t0.Add(DisableAfterFailing-time.Second), false)
	if e.Status != EndpointActive || !e.FailingSince.Equal(t0) {
		t.Errorf("before 5 days: %+v", e)
	}
	if e2 := e.AfterFailure(t0.Add(DisableAfterFailing), false); e2.Status != EndpointDisabled {
		t.Errorf("after 5 days still %s", e2.Status)
	}
	if e3 := e.AfterFailure(t0, true); e3.Status != EndpointDisabled || e3.DisabledReason == "" {
		t.Errorf("410 did not disable: %+v", e3)
	}
}
