package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/banks"
	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// Edge cases of the customer, KYC, biometrics, bank-account and sandbox-decision routes (contract.md
// §5.6–§5.16, §10; sandbox.md). Every answer is also checked against api/openapi.yaml by the harness.

// edgeParams returns the params of every field error of a problem, sorted.
func edgeParams(t *testing.T, r response) []string {
	t.Helper()
	var p struct {
		Errors []struct {
			Param string `json:"param"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem %q: %v", r.body, err)
	}
	out := []string{}
	for _, e := range p.Errors {
		out = append(out, e.Param)
	}
	slices.Sort(out)
	return out
}

// wantProblemParams is wantProblem that also wants exactly the given params (in any order); nil params
// are not checked.
func wantProblemParams(t *testing.T, what string, r response, status int, code string, params []string) {
	t.Helper()
	if r.status != status || r.code(t) != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.status, r.body, status, code)
		return
	}
	if params == nil {
		return
	}
	want := slices.Clone(params)
	slices.Sort(want)
	if got := edgeParams(t, r); !slices.Equal(got, want) {
		t.Errorf("%s: params %v, want %v (%s)", what, got, want, r.body)
	}
}

// bareDigits drops the punctuation of a formatted CPF or CNPJ.
func bareDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

// customerJSON is a create-customer body for cpf and cnpj; extra is appended inside the object
// (`,"external_id":"x"`).
func customerJSON(cpf, cnpj, extra string) string {
	return `{"cpf":"` + cpf + `","cnpj":"` + cnpj + `","email":"financeiro@empresa.com.br","phone":"+5511987654321"` + extra + `}`
}

// enrichNow runs customer id's enrichment synchronously, for an env whose job workers do not run: the
// customer leaves creating without a review worker ever deciding anything behind the test's back.
func (en *env) enrichNow(id string) {
	en.t.Helper()
	w := &customers.EnrichWorker{Service: en.platform.Customers, Registry: providers.SandboxRegistry{}}
	if err := w.Work(context.Background(), &river.Job[jobs.EnrichCustomer]{Args: jobs.EnrichCustomer{CustomerID: id}}); err != nil {
		en.t.Fatalf("enrich %s: %v", id, err)
	}
}

// pendingCustomer registers a customer of partner tok and enriches it synchronously (an env without work).
func (en *env) pendingCustomer(tok, cpf, cnpj string) customerWire {
	en.t.Helper()
	c := en.createCustomer(tok, customerJSON(cpf, cnpj, ""))
	en.enrichNow(c.ID)
	got := en.getCustomer(tok, c.ID)
	if got.Status != "pending_kyc" {
		en.t.Fatalf("customer %s after enrichment: %s", c.ID, got.Status)
	}
	return got
}

// requirementOf returns the id of c's first requirement of type typ.
func requirementOf(t *testing.T, c customerWire, typ string) string {
	t.Helper()
	for _, r := range c.KYC {
		if r.RequirementType == typ {
			return r.RequirementID
		}
	}
	t.Fatalf("customer %s has no %s requirement: %+v", c.ID, typ, c.KYC)
	return ""
}

// openBiometrics opens a biometrics session for customer id and returns the answer and the code of its
// session_url.
func (en *env) openBiometrics(tok, id string) (response, string) {
	en.t.Helper()
	r := en.do("POST", "/api/v3/customers/"+id+"/biometrics", "{}", bearer(tok)...)
	if r.status != http.StatusOK {
		return r, ""
	}
	var bs struct {
		SessionURL string `json:"session_url"`
	}
	_ = json.Unmarshal(r.body, &bs)
	u, err := url.Parse(bs.SessionURL)
	if err != nil {
		en.t.Fatalf("session_url %q: %v", bs.SessionURL, err)
	}
	return r, u.Query().Get("code")
}

// exchangeCred creates, straight in the store, a credential of partnerID's test environment with the
// biometrics:exchange scope, as an operator does for the KYC app (spec/README.md decision 10).
func (en *env) exchangeCred(partnerID string) cred {
	en.t.Helper()
	c, secret, err := lending.NewCredential(lending.NewCredentialRequest{
		Scope: lending.Scope{PartnerID: partnerID, Environment: lending.EnvTest}, Name: "kyc app",
		Scopes: []string{lending.ScopeBiometricsExchange},
	}, en.clock.Now(), auth.HashSecret)
	if err != nil {
		en.t.Fatal(err)
	}
	if err := en.store.CreateCredential(context.Background(), c); err != nil {
		en.t.Fatal(err)
	}
	return cred{c.ClientID, secret}
}

// smallPNG is a whole PNG of w×h pixels.
func smallPNG(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.Gray{uint8(x + y)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pdfOfSize is a whole PDF of exactly n bytes (n ≥ 200).
func pdfOfSize(n int) []byte {
	head := "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%"
	tail := "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}

// 1. POST /customers.

func TestCreateCustomerEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)

		t.Run("bare and formatted numbers", func(t *testing.T) {
			for _, tc := range []struct{ name, cpf, cnpj string }{
				{"both bare", bareDigits(cpfEnding("101")), bareDigits(meiCNPJ)},
				{"both formatted", cpfEnding("102"), meiCNPJ},
				{"bare cpf, formatted cnpj", bareDigits(cpfEnding("103")), ltdaCNPJ},
				{"formatted cpf, bare cnpj", cpfEnding("104"), bareDigits(ltdaCNPJ)},
				{"alphanumeric cnpj", cpfEnding("105"), lending.CNPJWithCheckDigits("12ABC34501DE").Format()},
				{"alphanumeric cnpj, bare, lower case", cpfEnding("106"), strings.ToLower(string(lending.CNPJWithCheckDigits("12ABC34501DE")))},
			} {
				r := en.do("POST", "/api/v3/customers", customerJSON(tc.cpf, tc.cnpj, ""), bearer(tok)...)
				if r.status != http.StatusCreated {
					t.Errorf("%s: %d %s", tc.name, r.status, r.body)
					continue
				}
				c := decode[customerWire](t, r)
				wantCPF := lending.CPFWithCheckDigits(bareDigits(tc.cpf)[:9]).Format()
				cnpj, _ := lending.ParseCNPJ(tc.cnpj)
				if c.CPF != wantCPF || c.CNPJ == nil || *c.CNPJ != cnpj.Format() || c.Status != "creating" || c.KYC != nil {
					t.Errorf("%s: customer %s", tc.name, r.body)
				}
				if !strings.HasPrefix(c.ID, "cust_") || r.header.Get("Location") != "/api/v3/customers/"+c.ID {
					t.Errorf("%s: id %q, Location %q", tc.name, c.ID, r.header.Get("Location"))
				}
			}
		})

		t.Run("the same pair again", func(t *testing.T) {
			cpf := cpfEnding("111")
			first := en.createCustomer(tok, customerJSON(cpf, meiCNPJ, `,"external_id":"erp-111"`))
			for _, tc := range []struct {
				name, body string
				status     int
				code       string
			}{
				{"same external_id", customerJSON(cpf, meiCNPJ, `,"external_id":"erp-111"`), http.StatusOK, ""},
				{"same external_id, bare numbers", customerJSON(bareDigits(cpf), bareDigits(meiCNPJ), `,"external_id":"erp-111"`), http.StatusOK, ""},
				{"no external_id", customerJSON(cpf, meiCNPJ, ""), http.StatusOK, ""},
				{"null external_id", customerJSON(cpf, meiCNPJ, `,"external_id":null`), http.StatusOK, ""},
				{"other e-mail, no external_id", `{"cpf":"` + cpf + `","cnpj":"` + meiCNPJ + `","email":"outro@empresa.com.br","phone":"+5511987654321"}`, http.StatusOK, ""},
				{"different external_id", customerJSON(cpf, meiCNPJ, `,"external_id":"erp-other"`), http.StatusConflict, "customer_already_exists"},
			} {
				r := en.do("POST", "/api/v3/customers", tc.body, bearer(tok)...)
				if tc.code != "" {
					wantProblem(t, tc.name, r, tc.status, tc.code, "")
					continue
				}
				if r.status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
					continue
				}
				if got := decode[customerWire](t, r); !cmp.Equal(got, first) {
					t.Errorf("%s: answer differs from the first registration:\n%s", tc.name, cmp.Diff(first, got))
				}
			}
			// A pair registered without external_id: another registration naming one is a conflict.
			cpf2 := cpfEnding("112")
			en.createCustomer(tok, customerJSON(cpf2, meiCNPJ, ""))
			r := en.do("POST", "/api/v3/customers", customerJSON(cpf2, meiCNPJ, `,"external_id":"late"`), bearer(tok)...)
			wantProblem(t, "external_id for a customer registered without one", r, http.StatusConflict, "customer_already_exists", "")
			if ids := en.pageIDs(tok, "/api/v3/customers?cpf="+bareDigits(cpf), 10); len(ids) != 1 || ids[0] != first.ID {
				t.Errorf("customers with cpf %s: %v, want only %s", cpf, ids, first.ID)
			}
		})

		t.Run("validation", func(t *testing.T) {
			valid := map[string]any{"cpf": cpfEnding("121"), "cnpj": meiCNPJ, "email": "a@empresa.com.br", "phone": "+5511987654321"}
			with := func(changes map[string]any, drop ...string) string {
				m := map[string]any{}
				for k, v := range valid {
					m[k] = v
				}
				for k, v := range changes {
					m[k] = v
				}
				for _, k := range drop {
					delete(m, k)
				}
				b, _ := json.Marshal(m)
				return string(b)
			}
			before := en.pageIDs(tok, "/api/v3/customers", 100)
			for _, tc := range []struct {
				name, body string
				ct         string
				status     int
				code       string
				params     []string
			}{
				{"docs example cpf", with(map[string]any{"cpf": "123.456.789-00"}), "", 422, "invalid_cpf", []string{"cpf"}},
				{"cpf check digit", with(map[string]any{"cpf": "52998224724"}), "", 422, "invalid_cpf", []string{"cpf"}},
				{"cpf of one repeated digit", with(map[string]any{"cpf": "111.111.111-11"}), "", 422, "invalid_cpf", []string{"cpf"}},
				{"cpf too short", with(map[string]any{"cpf": "5299822472"}), "", 422, "invalid_cpf", []string{"cpf"}},
				{"docs example cnpj", with(map[string]any{"cnpj": "12.345.678/0001-90"}), "", 422, "invalid_cnpj", []string{"cnpj"}},
				{"cnpj garbage", with(map[string]any{"cnpj": "not a cnpj"}), "", 422, "invalid_cnpj", []string{"cnpj"}},
				{"missing cpf", with(nil, "cpf"), "", 422, "missing_required_field", []string{"cpf"}},
				{"missing cnpj", with(nil, "cnpj"), "", 422, "missing_required_field", []string{"cnpj"}},
				{"missing email", with(nil, "email"), "", 422, "missing_required_field", []string{"email"}},
				{"missing phone", with(nil, "phone"), "", 422, "missing_required_field", []string{"phone"}},
				{"blank cpf", with(map[string]any{"cpf": "  "}), "", 422, "missing_required_field", []string{"cpf"}},
				{"null email", with(map[string]any{"email": nil}), "", 422, "missing_required_field", []string{"email"}},
				{"empty object", `{}`, "", 422, "missing_required_field", []string{"cnpj", "cpf", "email", "phone"}},
				{"empty body", ``, "", 422, "missing_required_field", []string{"cnpj", "cpf", "email", "phone"}},
				{"several invalid", with(map[string]any{"cpf": "123.456.789-00", "cnpj": "12.345.678/0001-90", "email": "nope"}, "phone"), "", 422,
					"validation_failed", []string{"cnpj", "cpf", "email", "phone"}},
				{"bad email", with(map[string]any{"email": "financeiro.empresa.com.br"}), "", 422, "invalid_field", []string{"email"}},
				{"email with a display name", with(map[string]any{"email": "Ana <ana@empresa.com.br>"}), "", 422, "invalid_field", []string{"email"}},
				{"email without a dot in the domain", with(map[string]any{"email": "ana@localhost"}), "", 422, "invalid_field", []string{"email"}},
				{"bad phone", with(map[string]any{"phone": "12345"}), "", 422, "invalid_field", []string{"phone"}},
				{"phone with letters", with(map[string]any{"phone": "+55 11 9876-ABCD"}), "", 422, "invalid_field", []string{"phone"}},
				{"name too long", with(map[string]any{"name": strings.Repeat("a", 201)}), "", 422, "invalid_field", []string{"name"}},
				{"external_id too long", with(map[string]any{"external_id": strings.Repeat("e", 256)}), "", 422, "invalid_field", []string{"external_id"}},
				{"cpf as a number", with(map[string]any{"cpf": 52998224725}), "", 422, "invalid_field", []string{"cpf"}},
				{"email as a boolean", with(map[string]any{"email": true}), "", 422, "invalid_field", []string{"email"}},
				{"external_id as a number", with(map[string]any{"external_id": 12}), "", 422, "invalid_field", []string{"external_id"}},
				{"name as an array", with(map[string]any{"name": []string{"a"}}), "", 422, "invalid_field", []string{"name"}},
				{"phone as an object", with(map[string]any{"phone": map[string]string{"n": "1"}}), "", 422, "invalid_field", []string{"phone"}},
				{"malformed JSON", `{"cpf":"52998224725",`, "", 400, "malformed_json", nil},
				{"an array", `[]`, "", 400, "malformed_json", nil},
				{"two objects", with(nil) + with(nil), "", 400, "malformed_json", nil},
				{"a string", `"cpf"`, "", 400, "malformed_json", nil},
				{"form body", "cpf=52998224725", "application/x-www-form-urlencoded", 415, "unsupported_media_type", nil},
				{"text body", with(nil), "text/plain", 415, "unsupported_media_type", nil},
			} {
				headers := bearer(tok)
				if tc.ct != "" {
					headers = append(headers, "Content-Type", tc.ct)
				}
				r := en.do("POST", "/api/v3/customers", tc.body, headers...)
				wantProblemParams(t, tc.name, r, tc.status, tc.code, tc.params)
			}
			// An oversize body (over the default 1 MiB) is refused before it is read whole.
			r := en.do("POST", "/api/v3/customers", with(map[string]any{"name": strings.Repeat("n", 1<<20)}), bearer(tok)...)
			wantProblem(t, "oversize body", r, http.StatusRequestEntityTooLarge, "request_too_large", "")
			if after := en.pageIDs(tok, "/api/v3/customers", 100); !slices.Equal(after, before) {
				t.Errorf("refused registrations created customers: before %v, after %v", before, after)
			}
		})

		t.Run("idempotency key", func(t *testing.T) {
			body := customerJSON(cpfEnding("131"), meiCNPJ, `,"external_id":"idem-131"`)
			first := en.do("POST", "/api/v3/customers", body, append(bearer(tok), "Idempotency-Key", "create-131")...)
			if first.status != http.StatusCreated || first.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("first: %d %v %s", first.status, first.header, first.body)
			}
			for _, h := range []string{"Idempotency-Key", "X-Idempotency-Key"} {
				again := en.do("POST", "/api/v3/customers", body, append(bearer(tok), h, "create-131")...)
				if again.status != http.StatusCreated || again.header.Get("Idempotent-Replayed") != "true" ||
					!bytes.Equal(again.body, first.body) || again.header.Get("Location") != first.header.Get("Location") {
					t.Errorf("replay with %s: %d %v %s, want the first answer replayed", h, again.status, again.header, again.body)
				}
			}
			// Without the key, the same body is the ordinary repeated registration: 200, the same customer.
			plain := en.do("POST", "/api/v3/customers", body, bearer(tok)...)
			if plain.status != http.StatusOK || decode[customerWire](t, plain).ID != decode[customerWire](t, first).ID {
				t.Errorf("repeat without key: %d %s", plain.status, plain.body)
			}
			other := en.do("POST", "/api/v3/customers", customerJSON(cpfEnding("132"), meiCNPJ, ""), append(bearer(tok), "Idempotency-Key", "create-131")...)
			wantProblem(t, "key reused for another body", other, http.StatusUnprocessableEntity, "idempotency_key_reused", "")
			if ids := en.pageIDs(tok, "/api/v3/customers?cpf="+cpfEnding("132"), 10); len(ids) != 0 {
				t.Errorf("the refused request created %v", ids)
			}
		})

		t.Run("concurrent registrations of one pair", func(t *testing.T) {
			body := customerJSON(cpfEnding("141"), ltdaCNPJ, "")
			const n = 20
			type result struct {
				status int
				id     string
				err    error
			}
			results := make([]result, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					req, _ := http.NewRequest("POST", en.url+"/api/v3/customers", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+tok)
					resp, err := en.client.Do(req)
					if err != nil {
						results[i].err = err
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					var c struct {
						ID string `json:"id"`
					}
					_ = json.Unmarshal(b, &c)
					results[i] = result{status: resp.StatusCode, id: c.ID}
					if c.ID == "" {
						results[i].err = fmt.Errorf("no customer id in %q", b)
					}
				})
			}
			close(start)
			wg.Wait()
			created, ids := 0, map[string]bool{}
			for i, r := range results {
				if r.err != nil {
					t.Errorf("request %d: %d %v", i, r.status, r.err)
					continue
				}
				switch r.status {
				case http.StatusCreated:
					created++
				case http.StatusOK:
				default:
					t.Errorf("request %d: status %d", i, r.status)
				}
				ids[r.id] = true
			}
			if created != 1 || len(ids) != 1 {
				t.Errorf("%d concurrent registrations: %d created, ids %v; want one 201 and one id", n, created, ids)
			}
			if got := en.pageIDs(tok, "/api/v3/customers?cpf="+cpfEnding("141"), 10); len(got) != 1 {
				t.Errorf("customers of the pair: %v", got)
			}
		})
	})
}

// 2. Isolation between partners and environments.

func TestCustomerIsolationEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tokA, tokALive, tokB := en.token(en.a.test), en.token(en.a.live), en.token(en.b.test)
		c := en.pendingCustomer(tokA, cpfEnding("201"), meiCNPJ)
		en.clock.Advance(time.Second) // so that A's list has one order
		other := en.createCustomer(tokA, customerJSON(cpfEnding("202"), meiCNPJ, `,"external_id":"a-202"`))
		before := en.getCustomer(tokA, c.ID)
		upload, uploadCT := multipartBody(part{name: "evidence_type", value: "ccmei"}, part{name: "requirement_id", value: "company_document"},
			part{name: "attachment_type", value: "file"}, part{name: "file", file: pdfFile})
		base := "/api/v3/customers/" + c.ID
		routes := []struct {
			method, path, body, ct string
		}{
			{"GET", base, "", ""},
			{"PATCH", base, `{"email":"intruso@empresa.com.br"}`, ""},
			{"GET", base + "/bank-account", "", ""},
			{"POST", base + "/bank-account", `{"bank_account":{"bank_id":"001","kind":"checking","branch":"1","number":"12345","digit":"1"}}`, ""},
			{"POST", base + "/biometrics", "{}", ""},
			{"POST", base + "/kyc-attachments", upload, uploadCT},
			{"POST", base + "/kyc-review", "", ""},
			{"GET", "/v3/customers/" + c.ID, "", ""},
		}
		for _, who := range []struct {
			name, tok string
		}{{"partner B", tokB}, {"partner A live", tokALive}} {
			for _, rt := range routes {
				headers := bearer(who.tok)
				if rt.ct != "" {
					headers = append(headers, "Content-Type", rt.ct)
				}
				r := en.do(rt.method, rt.path, rt.body, headers...)
				wantProblem(t, who.name+" "+rt.method+" "+rt.path, r, http.StatusNotFound, "customer_not_found", "")
			}
		}
		r := en.do("POST", "/api/v3/sandbox/customers/"+c.ID+"/kyc-decision", `{"decision":"deny"}`, bearer(tokB)...)
		wantProblem(t, "partner B's kyc-decision", r, http.StatusNotFound, "customer_not_found", "")
		if after := en.getCustomer(tokA, c.ID); !cmp.Equal(after, before) {
			t.Errorf("others' requests changed the customer:\n%s", cmp.Diff(before, after))
		}
		wantProblem(t, "A's bank account after others' attempts", en.do("GET", base+"/bank-account", "", bearer(tokA)...),
			http.StatusNotFound, "bank_account_not_found", "")
		// Nobody else opened a biometrics session for A's customer, so A can.
		if r, _ := en.openBiometrics(tokA, c.ID); r.status != http.StatusOK {
			t.Errorf("A's biometrics after others' attempts: %d %s", r.status, r.body)
		}

		// Lists: the same CPF and CNPJ may be registered by B and in A's live environment, and each list
		// shows only its own.
		cB := en.createCustomer(tokB, customerJSON(cpfEnding("201"), meiCNPJ, `,"external_id":"a-202"`))
		cLive := en.createCustomer(tokALive, customerJSON(cpfEnding("201"), meiCNPJ, ""))
		if cB.ID == c.ID || cLive.ID == c.ID || cB.ID == cLive.ID {
			t.Fatalf("ids %s %s %s", c.ID, cB.ID, cLive.ID)
		}
		for _, tc := range []struct {
			name, tok, query string
			want             []string
		}{
			{"A test", tokA, "", []string{c.ID, other.ID}},
			{"A test by cpf", tokA, "?cpf=" + cpfEnding("201"), []string{c.ID}},
			{"A test by external_id", tokA, "?external_id=a-202", []string{other.ID}},
			{"B", tokB, "", []string{cB.ID}},
			{"B by cpf", tokB, "?cpf=" + cpfEnding("201"), []string{cB.ID}},
			{"B by external_id", tokB, "?external_id=a-202", []string{cB.ID}},
			{"B by status", tokB, "?status=pending_kyc", nil},
			{"A live", tokALive, "", []string{cLive.ID}},
			{"A live by external_id", tokALive, "?external_id=a-202", nil},
		} {
			got := en.pageIDs(tc.tok, "/api/v3/customers"+tc.query, 100)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		// Another partner's customer is no cursor of this partner's list.
		r = en.do("GET", "/api/v3/customers?starting_after="+c.ID, "", bearer(tokB)...)
		wantProblem(t, "B paging after A's customer", r, http.StatusUnprocessableEntity, "invalid_parameter", "starting_after")
	})
}

// 3. GET /customers: filters, sorts and pagination.

func TestListCustomersEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		tick := func() { en.clock.Advance(time.Second) }
		// c0..c4 created a second apart; then their updates run in the other order, so that sorting by
		// updated_at reverses the creation order.
		var cs []customerWire
		for i, ext := range []string{`,"external_id":"grp-even"`, `,"external_id":"grp-odd"`, `,"external_id":"grp-even"`, `,"external_id":"grp-odd"`, ""} {
			cs = append(cs, en.createCustomer(tok, customerJSON(cpfEnding("30"+itoa(int64(i))), meiCNPJ, ext)))
			tick()
		}
		id := func(is ...int) []string {
			out := []string{}
			for _, i := range is {
				out = append(out, cs[i].ID)
			}
			return out
		}
		if r := en.do("POST", "/api/v3/sandbox/customers/"+cs[3].ID+"/kyc-decision", `{"decision":"deny"}`, bearer(tok)...); r.status != http.StatusOK {
			t.Fatalf("deny: %d %s", r.status, r.body)
		}
		tick()
		en.enrichNow(cs[2].ID)
		if r := en.do("POST", "/api/v3/sandbox/customers/"+cs[2].ID+"/kyc-decision", `{"decision":"approve"}`, bearer(tok)...); r.status != http.StatusOK {
			t.Fatalf("approve: %d %s", r.status, r.body)
		}
		tick()
		en.enrichNow(cs[1].ID)
		tick()
		if r := en.do("PATCH", "/api/v3/customers/"+cs[0].ID, `{"email":"novo@empresa.com.br"}`, bearer(tok)...); r.status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		for i, want := range []string{"creating", "pending_kyc", "active", "denied", "creating"} {
			if got := en.getCustomer(tok, cs[i].ID).Status; got != want {
				t.Fatalf("c%d is %s, want %s", i, got, want)
			}
		}

		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", id(0, 1, 2, 3, 4)},
			{"?sort=created_at", id(0, 1, 2, 3, 4)},
			{"?order=asc", id(0, 1, 2, 3, 4)},
			{"?order=desc", id(4, 3, 2, 1, 0)},
			{"?sort=created_at&order=desc", id(4, 3, 2, 1, 0)},
			{"?sort=updated_at", id(4, 3, 2, 1, 0)},
			{"?sort=updated_at&order=asc", id(4, 3, 2, 1, 0)},
			{"?sort=updated_at&order=desc", id(0, 1, 2, 3, 4)},
			{"?status=creating", id(0, 4)},
			{"?status=creating&order=desc", id(4, 0)},
			{"?status=pending_kyc", id(1)},
			{"?status=active", id(2)},
			{"?status=denied", id(3)},
			{"?status=under_review", id()},
			{"?cpf=" + cpfEnding("301"), id(1)},
			{"?cpf=" + bareDigits(cpfEnding("301")), id(1)},
			{"?cpf=" + url.QueryEscape(" "+cpfEnding("302")+" "), id(2)},
			{"?cpf=" + cpfEnding("399"), id()},
			{"?external_id=grp-even", id(0, 2)},
			{"?external_id=grp-odd&order=desc", id(3, 1)},
			{"?external_id=grp-odd&status=denied", id(3)},
			{"?external_id=nobody", id()},
			{"?cpf=" + cpfEnding("300") + "&status=active", id()},
			{"?external_id=grp-even&sort=updated_at", id(2, 0)},
		} {
			for _, limit := range []int{1, 2, 3, 100} {
				if got := en.pageIDs(tok, "/api/v3/customers"+tc.query, limit); !slices.Equal(got, tc.want) {
					t.Errorf("%q limit %d: %v, want %v", tc.query, limit, got, tc.want)
				}
			}
		}
		// Default page size 25, and a full page of data.
		r := en.do("GET", "/api/v3/customers", "", bearer(tok)...)
		if l := decode[struct {
			Data    []customerWire `json:"data"`
			HasMore bool           `json:"has_more"`
		}](t, r); len(l.Data) != 5 || l.HasMore || l.Data[2].Status != "active" || len(l.Data[2].KYC) == 0 {
			t.Errorf("default list: %s", r.body)
		}

		for _, tc := range []struct{ query, param string }{
			{"?status=bogus", "status"},
			{"?status=ACTIVE", "status"},
			{"?sort=name", "sort"},
			{"?sort=created_at,id", "sort"},
			{"?order=up", "order"},
			{"?order=DESC", "order"},
			{"?cpf=123", "cpf"},
			{"?cpf=123.456.789-00", "cpf"},
			{"?limit=0", "limit"},
			{"?limit=101", "limit"},
			{"?limit=-1", "limit"},
			{"?limit=abc", "limit"},
			{"?limit=", "limit"},
			{"?limit=2.5", "limit"},
			{"?starting_after=cust_ffffffffffffffffffffffffffffffff", "starting_after"},
			{"?status=creating&starting_after=" + cs[1].ID, "starting_after"},
		} {
			r := en.do("GET", "/api/v3/customers"+tc.query, "", bearer(tok)...)
			wantProblem(t, tc.query, r, http.StatusUnprocessableEntity, "invalid_parameter", tc.param)
		}
	})
}

// 4. PATCH /customers/{id}.

func TestUpdateCustomerEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		c := en.createCustomer(tok, customerJSON(cpfEnding("401"), meiCNPJ, `,"external_id":"erp-401","name":"Ana Lima"`))
		path := "/api/v3/customers/" + c.ID

		en.clock.Advance(10 * time.Second)
		r := en.do("PATCH", path, `{"email":"  novo@empresa.com.br ","phone":"(11) 91234-5678"}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		got := decode[customerWire](t, r)
		want := c
		want.Email, want.Phone, want.UpdatedAt = "novo@empresa.com.br", "+5511912345678", epoch.Unix()+10
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("patched customer (-want +got):\n%s", d)
		}
		if g := en.getCustomer(tok, c.ID); !cmp.Equal(g, got) {
			t.Errorf("GET after PATCH differs:\n%s", cmp.Diff(got, g))
		}

		en.clock.Advance(10 * time.Second)
		r = en.do("PATCH", path, `{"phone":"+55 21 3333-4444"}`, append(bearer(tok), "Content-Type", "application/merge-patch+json")...)
		if r.status != http.StatusOK {
			t.Fatalf("patch phone: %d %s", r.status, r.body)
		}
		want.Phone, want.UpdatedAt = "+552133334444", epoch.Unix()+20
		got = decode[customerWire](t, r)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("only the phone should change (-want +got):\n%s", d)
		}

		en.clock.Advance(10 * time.Second)
		for _, tc := range []struct {
			name, body string
			status     int
			code       string
			params     []string
		}{
			{"cpf", `{"cpf":"` + cpfEnding("402") + `"}`, 422, "invalid_field", []string{"cpf"}},
			{"cnpj", `{"cnpj":"` + ltdaCNPJ + `"}`, 422, "invalid_field", []string{"cnpj"}},
			{"name", `{"name":"Outra"}`, 422, "invalid_field", []string{"name"}},
			{"trading_name", `{"trading_name":"Outra"}`, 422, "invalid_field", []string{"trading_name"}},
			{"external_id", `{"external_id":"erp-x"}`, 422, "invalid_field", []string{"external_id"}},
			{"status", `{"status":"active"}`, 422, "invalid_field", []string{"status"}},
			{"read-only with an allowed field", `{"email":"x@empresa.com.br","name":"Outra"}`, 422, "invalid_field", []string{"name"}},
			{"bad email", `{"email":"nope"}`, 422, "invalid_field", []string{"email"}},
			{"bad phone", `{"phone":"123"}`, 422, "invalid_field", []string{"phone"}},
			{"email as a number", `{"email":5}`, 422, "invalid_field", []string{"email"}},
			{"malformed", `{"email":`, 400, "malformed_json", nil},
			{"an array", `[{"email":"x@empresa.com.br"}]`, 400, "malformed_json", nil},
		} {
			r := en.do("PATCH", path, tc.body, bearer(tok)...)
			wantProblemParams(t, tc.name, r, tc.status, tc.code, tc.params)
		}
		if g := en.getCustomer(tok, c.ID); !cmp.Equal(g, want) {
			t.Errorf("refused patches changed the customer:\n%s", cmp.Diff(want, g))
		}

		// Nothing to change: 200 with the customer as it is; updated_at stays.
		for _, body := range []string{"", "{}", `{"unknown":"ignored"}`} {
			en.clock.Advance(10 * time.Second)
			r := en.do("PATCH", path, body, bearer(tok)...)
			if r.status != http.StatusOK {
				t.Errorf("patch %q: %d %s", body, r.status, r.body)
				continue
			}
			if got := decode[customerWire](t, r); !cmp.Equal(got, want) {
				t.Errorf("patch %q changed the customer (-before +after):\n%s", body, cmp.Diff(want, got))
			}
		}
		if g := en.getCustomer(tok, c.ID); !cmp.Equal(g, want) {
			t.Errorf("empty patches changed the stored customer (-before +after):\n%s", cmp.Diff(want, g))
		}

		wantProblem(t, "unknown customer", en.do("PATCH", "/api/v3/customers/cust_ffffffffffffffffffffffffffffffff", `{"email":"x@empresa.com.br"}`, bearer(tok)...),
			http.StatusNotFound, "customer_not_found", "")
	})
}

// 5. POST /customers/{id}/kyc-attachments: the multipart edge cases. None of the refused uploads
// changes the customer.

func TestKYCAttachmentEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		mei := en.waitStatus(tok, en.createCustomer(tok, customerJSON(cpfEnding("501"), meiCNPJ, "")).ID, "pending_kyc")
		ltda := en.waitStatus(tok, en.createCustomer(tok, customerJSON(cpfEnding("502"), ltdaCNPJ, "")).ID, "pending_kyc")
		identity, poa, selfie := requirementOf(t, mei, "identity"), requirementOf(t, mei, "proof_of_address"), requirementOf(t, mei, "selfie")
		email := requirementOf(t, ltda, "email")

		ev := func(v string) part { return part{name: "evidence_type", value: v} }
		req := func(v string) part { return part{name: "requirement_id", value: v} }
		slot := func(v string) part { return part{name: "attachment_type", value: v} }
		file := func(b []byte) part { return part{name: "file", file: b} }
		value := func(v string) part { return part{name: "value", value: v} }
		front := []part{ev("cnh"), req(identity), slot("front")}
		gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
		valid, validCT := multipartBody(append(front, file(pngFile))...)
		const bnd = "edgeboundary"
		raw := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
		fields := raw("--"+bnd+"\nContent-Disposition: form-data; name=\"evidence_type\"\n\nccmei\n--"+bnd+
			"\nContent-Disposition: form-data; name=\"requirement_id\"\n\ncompany_document\n--"+bnd+
			"\nContent-Disposition: form-data; name=\"attachment_type\"\n\nfile\n--"+bnd+
			"\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\nContent-Type: application/pdf\n\n") + string(pdfFile)

		for _, tc := range []struct {
			name     string
			customer customerWire
			path     string
			parts    []part
			ct, body string // a raw body and its Content-Type instead of parts
			status   int
			code     string
			params   []string
		}{
			{name: "json body", customer: mei, ct: "application/json", body: `{"evidence_type":"cnh"}`, status: 415, code: "unsupported_media_type"},
			{name: "form body", customer: mei, ct: "application/x-www-form-urlencoded", body: "evidence_type=cnh", status: 415, code: "unsupported_media_type"},
			{name: "multipart without boundary", customer: mei, ct: "multipart/form-data", body: valid, status: 415, code: "unsupported_media_type"},
			{name: "multipart/mixed", customer: mei, ct: strings.Replace(validCT, "form-data", "mixed", 1), body: valid, status: 415, code: "unsupported_media_type"},
			{name: "unparsable content type", customer: mei, ct: "multipart/form-data; boundary=", body: valid, status: 415, code: "unsupported_media_type"},
			{name: "file cut short", customer: mei, ct: validCT, body: valid[:len(valid)/2], status: 400, code: "invalid_request"},
			{name: "no closing boundary", customer: mei, ct: "multipart/form-data; boundary=" + bnd, body: fields + "\r\n--" + bnd, status: 400, code: "invalid_request"},
			{name: "boundary of another body", customer: mei, ct: "multipart/form-data; boundary=not-the-one", body: valid, status: 400, code: "invalid_request"},
			{name: "missing evidence_type", customer: mei, parts: []part{req(identity), slot("front"), file(pngFile)}, status: 422, code: "missing_required_field", params: []string{"evidence_type"}},
			{name: "missing requirement_id", customer: mei, parts: []part{ev("cnh"), slot("front"), file(pngFile)}, status: 422, code: "missing_required_field", params: []string{"requirement_id"}},
			{name: "missing attachment_type", customer: mei, parts: []part{ev("cnh"), req(identity), file(pngFile)}, status: 422, code: "missing_required_field", params: []string{"attachment_type"}},
			{name: "missing file", customer: mei, parts: front, status: 422, code: "missing_required_field", params: []string{"file"}},
			{name: "blank evidence_type", customer: mei, parts: []part{ev("  "), req(identity), slot("front"), file(pngFile)}, status: 422, code: "missing_required_field", params: []string{"evidence_type"}},
			{name: "nothing but an unknown part", customer: mei, parts: []part{{name: "other", value: "x"}}, status: 422, code: "missing_required_field",
				params: []string{"attachment_type", "evidence_type", "file", "requirement_id"}},
			{name: "unknown requirement_id", customer: mei, parts: []part{ev("cnh"), req("identity_nobody"), slot("front"), file(pngFile)}, status: 422, code: "requirement_not_found", params: []string{"requirement_id"}},
			{name: "another customer's requirement_id", customer: mei, parts: []part{ev("email"), req(email), slot("email"), value("socio@empresa.com.br")}, status: 422, code: "requirement_not_found", params: []string{"requirement_id"}},
			{name: "rg for proof of address", customer: mei, parts: []part{ev("rg"), req(poa), slot("front"), file(pngFile)}, status: 422, code: "invalid_evidence_type", params: []string{"evidence_type"}},
			{name: "unknown evidence_type", customer: mei, parts: []part{ev("passport"), req(identity), slot("front"), file(pngFile)}, status: 422, code: "invalid_evidence_type", params: []string{"evidence_type"}},
			{name: "cnh in the photo slot", customer: mei, parts: []part{ev("cnh"), req(identity), slot("photo"), file(pngFile)}, status: 422, code: "invalid_attachment_type", params: []string{"attachment_type"}},
			{name: "rg as one file", customer: mei, parts: []part{ev("rg"), req(identity), slot("file"), file(pngFile)}, status: 422, code: "invalid_attachment_type", params: []string{"attachment_type"}},
			{name: "zero-byte file", customer: mei, parts: append(slices.Clone(front), file([]byte{})), status: 422, code: "invalid_file", params: []string{"file"}},
			{name: "gif", customer: mei, parts: append(slices.Clone(front), file(gif)), status: 422, code: "unsupported_file_type", params: []string{"file"}},
			{name: "text file", customer: mei, parts: append(slices.Clone(front), file([]byte("this is the identity document, honest\n"))), status: 422, code: "unsupported_file_type", params: []string{"file"}},
			{name: "truncated png", customer: mei, parts: append(slices.Clone(front), file(pngFile[:len(pngFile)/2])), status: 422, code: "invalid_file", params: []string{"file"}},
			{name: "50x50 png", customer: mei, parts: append(slices.Clone(front), file(smallPNG(50, 50))), status: 422, code: "invalid_file", params: []string{"file"}},
			{name: "truncated pdf", customer: mei, parts: []part{ev("ccmei"), req("company_document"), slot("file"), file(pdfFile[:40])}, status: 422, code: "invalid_file", params: []string{"file"}},
			{name: "encrypted pdf", customer: mei, parts: []part{ev("ccmei"), req("company_document"), slot("file"),
				file([]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n"))}, status: 422, code: "invalid_file", params: []string{"file"}},
			{name: "two file parts", customer: mei, parts: append(slices.Clone(front), file(pngFile), file(pngFile)), status: 422, code: "invalid_field", params: []string{"file"}},
			{name: "evidence_type twice", customer: mei, parts: append(slices.Clone(front), ev("rg"), file(pngFile)), status: 422, code: "invalid_field", params: []string{"evidence_type"}},
			{name: "requirement_id too long", customer: mei, parts: []part{ev("cnh"), req(strings.Repeat("r", 5000)), slot("front"), file(pngFile)}, status: 422, code: "invalid_field", params: []string{"requirement_id"}},
			{name: "a file and a value", customer: mei, parts: append(slices.Clone(front), value("x@empresa.com.br"), file(pngFile)), status: 422, code: "invalid_field"},
			{name: "email: a file instead of the value", customer: ltda, parts: []part{ev("email"), req(email), slot("email"), file(pngFile)}, status: 422, code: "missing_required_field", params: []string{"value"}},
			{name: "email: a file and the value", customer: ltda, parts: []part{ev("email"), req(email), slot("email"), value("socio@empresa.com.br"), file(pngFile)}, status: 422, code: "invalid_field", params: []string{"file"}},
			{name: "email: not an address", customer: ltda, parts: []part{ev("email"), req(email), slot("email"), value("socio at empresa")}, status: 422, code: "invalid_field", params: []string{"value"}},
			{name: "email: wrong slot", customer: ltda, parts: []part{ev("email"), req(email), slot("file"), value("socio@empresa.com.br")}, status: 422, code: "invalid_attachment_type", params: []string{"attachment_type"}},
			{name: "selfie route, partner token", customer: mei, path: "/selfie", parts: []part{req(selfie), file(pngFile)}, status: 403, code: "session_token_required"},
			{name: "selfie evidence, partner token", customer: mei, parts: []part{ev("selfie"), req(selfie), slot("photo"), file(pngFile)}, status: 403, code: "session_token_required"},
			{name: "body over the server's limit", customer: mei, parts: append(slices.Clone(front), part{name: "padding", file: bytes.Repeat([]byte("p"), 11<<20)}, file(pngFile)), status: 413, code: "request_too_large"},
		} {
			before := en.getCustomer(tok, tc.customer.ID)
			body, ct := tc.body, tc.ct
			if tc.parts != nil {
				body, ct = multipartBody(tc.parts...)
			}
			r := en.do("POST", "/api/v3/customers/"+tc.customer.ID+"/kyc-attachments"+tc.path, body, append(bearer(tok), "Content-Type", ct)...)
			wantProblemParams(t, tc.name, r, tc.status, tc.code, tc.params)
			if after := en.getCustomer(tok, tc.customer.ID); !cmp.Equal(after, before) {
				t.Errorf("%s changed the customer (-before +after):\n%s", tc.name, cmp.Diff(before, after))
			}
		}
		r := en.do("POST", "/api/v3/customers/cust_ffffffffffffffffffffffffffffffff/kyc-attachments", valid, append(bearer(tok), "Content-Type", validCT)...)
		wantProblem(t, "unknown customer", r, http.StatusNotFound, "customer_not_found", "")

		// The comparison above sees a change: a good upload changes the customer.
		en.clock.Advance(time.Second)
		before := en.getCustomer(tok, mei.ID)
		if r := en.upload(tok, mei.ID, "", ev("cnh"), req(identity), slot("back"), file(pngFile)); r.status != http.StatusCreated {
			t.Fatalf("good upload: %d %s", r.status, r.body)
		}
		if after := en.getCustomer(tok, mei.ID); cmp.Equal(after, before) {
			t.Errorf("a good upload left the customer as it was: %+v", after.KYC)
		}

		t.Run("accepted requirement", func(t *testing.T) {
			// The sandbox verifier rejects the proof of address of a CPF ending in 998 and accepts the rest:
			// the customer is back in pending_kyc with accepted requirements.
			c := en.waitStatus(tok, en.createCustomer(tok, customerJSON(cpfEnding("998"), meiCNPJ, "")).ID, "pending_kyc")
			en.submitAll(tok, en.sessionToken(tok, c.ID), c)
			if r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...); r.status != http.StatusAccepted {
				t.Fatalf("kyc-review: %d %s", r.status, r.body)
			}
			eventually(t, "the proof of address rejected", func() bool {
				got := en.getCustomer(tok, c.ID)
				return got.Status == "pending_kyc" && got.KYC[2].Submitted.ReviewStatus == "rejected"
			})
			before := en.getCustomer(tok, c.ID)
			for _, parts := range [][]part{
				{ev("ccmei"), req("company_document"), slot("file"), file(pdfFile)},
				{ev("cnh"), req(requirementOf(t, c, "identity")), slot("front"), file(pngFile)},
				{ev("rg"), req(requirementOf(t, c, "identity")), slot("front"), file(pngFile)},
			} {
				r := en.upload(tok, c.ID, "", parts...)
				wantProblem(t, "upload to an accepted requirement", r, http.StatusConflict, "attachment_already_accepted", "")
			}
			if after := en.getCustomer(tok, c.ID); !cmp.Equal(after, before) {
				t.Errorf("refused uploads changed the customer:\n%s", cmp.Diff(before, after))
			}

			// After the sandbox approves everything the customer is active: no upload is taken.
			if r := en.do("POST", "/api/v3/sandbox/customers/"+mei.ID+"/kyc-decision", `{"decision":"approve"}`, bearer(tok)...); r.status != http.StatusOK {
				t.Fatalf("approve: %d %s", r.status, r.body)
			}
			before = en.getCustomer(tok, mei.ID)
			r := en.upload(tok, mei.ID, "", ev("ccmei"), req("company_document"), slot("file"), file(pdfFile))
			wantProblem(t, "upload for an active customer", r, http.StatusConflict, "invalid_customer_state", "")
			if after := en.getCustomer(tok, mei.ID); !cmp.Equal(after, before) {
				t.Errorf("a refused upload changed the active customer:\n%s", cmp.Diff(before, after))
			}
		})

		t.Run("file size", func(t *testing.T) {
			small := newEnv(t, e, envOptions{work: true, maxUpload: 64 << 10})
			stok := small.token(small.a.test)
			c := small.waitStatus(stok, small.createCustomer(stok, customerJSON(cpfEnding("503"), meiCNPJ, "")).ID, "pending_kyc")
			before := small.getCustomer(stok, c.ID)
			r := small.upload(stok, c.ID, "", ev("ccmei"), req("company_document"), slot("file"), file(pdfOfSize(64<<10+1)))
			wantProblem(t, "a file one byte over the limit", r, http.StatusRequestEntityTooLarge, "file_too_large", "file")
			r = small.upload(stok, c.ID, "", ev("ccmei"), req("company_document"), slot("file"), file(pdfOfSize(2<<20)))
			wantProblem(t, "a file far over the limit", r, http.StatusRequestEntityTooLarge, "file_too_large", "file")
			if after := small.getCustomer(stok, c.ID); !cmp.Equal(after, before) {
				t.Errorf("oversized uploads changed the customer:\n%s", cmp.Diff(before, after))
			}
			if r := small.upload(stok, c.ID, "", ev("ccmei"), req("company_document"), slot("file"), file(pdfOfSize(64<<10))); r.status != http.StatusCreated {
				t.Errorf("a file of exactly the limit: %d %s", r.status, r.body)
			}
		})
	})
}

// TestKYCAttachmentCustomerStates: uploads are taken only in pending_kyc. Without job workers, a
// customer stays creating until enriched by hand and under_review until decided.
func TestKYCAttachmentCustomerStates(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		doc := []part{{name: "evidence_type", value: "ccmei"}, {name: "requirement_id", value: "company_document"},
			{name: "attachment_type", value: "file"}, {name: "file", file: pdfFile}}

		creating := en.createCustomer(tok, customerJSON(cpfEnding("511"), meiCNPJ, ""))
		r := en.upload(tok, creating.ID, "", doc...)
		wantProblem(t, "upload while creating", r, http.StatusConflict, "invalid_customer_state", "")
		if after := en.getCustomer(tok, creating.ID); !cmp.Equal(after, creating) {
			t.Errorf("upload while creating changed the customer:\n%s", cmp.Diff(creating, after))
		}

		c := en.pendingCustomer(tok, cpfEnding("512"), meiCNPJ)
		session := en.sessionToken(tok, c.ID)
		en.submitAll(tok, session, c)
		if r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...); r.status != http.StatusAccepted {
			t.Fatalf("kyc-review: %d %s", r.status, r.body)
		}
		before := en.getCustomer(tok, c.ID)
		if before.Status != "under_review" {
			t.Fatalf("after kyc-review: %s", before.Status)
		}
		for _, tc := range []struct {
			name, tok, path string
			parts           []part
		}{
			{"partner", tok, "", doc},
			{"session", session, "", doc},
			{"session selfie", session, "/selfie", []part{{name: "requirement_id", value: requirementOf(t, c, "selfie")}, {name: "file", file: pngFile}}},
		} {
			r := en.upload(tc.tok, c.ID, tc.path, tc.parts...)
			wantProblem(t, tc.name+" upload under review", r, http.StatusConflict, "invalid_customer_state", "")
		}
		r = en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...)
		wantProblem(t, "second kyc-review", r, http.StatusConflict, "invalid_customer_state", "")
		if after := en.getCustomer(tok, c.ID); !cmp.Equal(after, before) {
			t.Errorf("refused uploads changed the customer under review:\n%s", cmp.Diff(before, after))
		}
	})
}

// 6. Biometrics sessions and customer session tokens.

func TestBiometricsSessionEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok, tokB := en.token(en.a.test), en.token(en.b.test)
		c := en.pendingCustomer(tok, cpfEnding("601"), meiCNPJ)
		bio := "/api/v3/customers/" + c.ID + "/biometrics"
		exchange := func(code string) response { return en.do("POST", "/kyc/exchange", `{"code":"`+code+`"}`) }

		r, code := en.openBiometrics(tok, c.ID)
		if r.status != http.StatusOK {
			t.Fatalf("biometrics: %d %s", r.status, r.body)
		}
		var bs struct {
			SessionURL string `json:"session_url"`
			ExpiresAt  int64  `json:"expires_at"`
		}
		_ = json.Unmarshal(r.body, &bs)
		if bs.ExpiresAt != epoch.Unix()+1800 || !strings.HasPrefix(bs.SessionURL, en.url+"/kyc/?code=") ||
			!strings.HasPrefix(code, "dinie_bsc_test_") || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("session %s (Cache-Control %q), want expires_at %d", r.body, r.header.Get("Cache-Control"), epoch.Unix()+1800)
		}
		for _, body := range []string{"{}", ""} {
			r := en.do("POST", bio, body, bearer(tok)...)
			wantProblem(t, "second session while one is live, body "+body, r, http.StatusConflict, "session_already_active", "")
		}

		r = exchange(code)
		if r.status != http.StatusOK {
			t.Fatalf("exchange: %d %s", r.status, r.body)
		}
		var g struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
			ExpiresIn   int    `json:"expires_in"`
			CustomerID  string `json:"customer_id"`
		}
		_ = json.Unmarshal(r.body, &g)
		if g.TokenType != "bearer" || g.CustomerID != c.ID || g.ExpiresIn != 3600 || g.AccessToken == "" {
			t.Errorf("exchange answer %s", r.body)
		}
		session := g.AccessToken
		wantProblem(t, "the same code twice", exchange(code), http.StatusForbidden, "invalid_session_code", "")
		for _, bad := range []string{"dinie_bsc_test_" + strings.Repeat("0", 40), "garbage", code + "x", strings.ToUpper(code)} {
			wantProblem(t, "code "+bad, exchange(bad), http.StatusForbidden, "invalid_session_code", "")
		}
		wantProblem(t, "no code", en.do("POST", "/kyc/exchange", `{}`), http.StatusUnprocessableEntity, "missing_required_field", "code")

		// The used code frees the customer for a new session.
		r, code2 := en.openBiometrics(tok, c.ID)
		if r.status != http.StatusOK {
			t.Fatalf("a new session after the exchange: %d %s", r.status, r.body)
		}

		creating := en.createCustomer(tok, customerJSON(cpfEnding("602"), meiCNPJ, ""))
		r = en.do("POST", "/api/v3/customers/"+creating.ID+"/biometrics", "{}", bearer(tok)...)
		wantProblem(t, "biometrics for a creating customer", r, http.StatusConflict, "invalid_customer_state", "")

		t.Run("public exchange route", func(t *testing.T) {
			r := en.do("POST", "/api/v3/biometrics/session-exchange", `{"code":"`+code2+`"}`, bearer(tok)...)
			wantProblem(t, "exchange with a partner token", r, http.StatusForbidden, "forbidden", "")
			kycApp := en.token(en.exchangeCred(en.a.id))
			r = en.do("POST", "/api/v3/biometrics/session-exchange", `{"code":"`+code2+`"}`, bearer(kycApp)...)
			if r.status != http.StatusOK {
				t.Fatalf("exchange by the KYC app: %d %s", r.status, r.body)
			}
			var g struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				CustomerID  string `json:"customer_id"`
			}
			_ = json.Unmarshal(r.body, &g)
			if g.TokenType != "bearer" || g.CustomerID != c.ID {
				t.Errorf("KYC app exchange: %s", r.body)
			}
			if got := en.getCustomer(g.AccessToken, c.ID); got.ID != c.ID {
				t.Errorf("its session token reads %s", got.ID)
			}
			wantProblem(t, "KYC app, the code again", en.do("POST", "/api/v3/biometrics/session-exchange", `{"code":"`+code2+`"}`, bearer(kycApp)...),
				http.StatusForbidden, "invalid_session_code", "")
			wantProblem(t, "KYC app, no code", en.do("POST", "/api/v3/biometrics/session-exchange", `{}`, bearer(kycApp)...),
				http.StatusUnprocessableEntity, "missing_required_field", "code")

			// A code of another partner is refused, and stays usable by its own partner's page.
			cB := en.pendingCustomer(tokB, cpfEnding("603"), meiCNPJ)
			_, codeB := en.openBiometrics(tokB, cB.ID)
			r = en.do("POST", "/api/v3/biometrics/session-exchange", `{"code":"`+codeB+`"}`, bearer(kycApp)...)
			wantProblem(t, "KYC app of A, code of B", r, http.StatusForbidden, "invalid_session_code", "")
			if r := exchange(codeB); r.status != http.StatusOK {
				t.Errorf("B's code after A's KYC app was refused it: %d %s; a refused exchange must not use up the code", r.status, r.body)
			}
		})

		t.Run("what a session token reaches", func(t *testing.T) {
			other := en.pendingCustomer(tok, cpfEnding("604"), meiCNPJ)
			base := "/api/v3/customers/" + c.ID
			before := en.getCustomer(tok, c.ID)
			for _, tc := range []struct {
				method, path, body string
			}{
				{"GET", "/api/v3/customers", ""},
				{"POST", "/api/v3/customers", customerJSON(cpfEnding("605"), meiCNPJ, "")},
				{"PATCH", base, `{"email":"sessao@empresa.com.br"}`},
				{"POST", base + "/biometrics", "{}"},
				{"GET", "/api/v3/webhooks/endpoints", ""},
				{"POST", "/api/v3/webhooks/endpoints", `{"url":"https://example.com/hook"}`},
				{"GET", "/api/v3/auth/credentials", ""},
				{"POST", "/api/v3/auth/credentials", `{"name":"sessao"}`},
				{"POST", "/api/v3/sandbox/customers/" + c.ID + "/kyc-decision", `{"decision":"approve"}`},
				{"POST", "/api/v3/biometrics/session-exchange", `{"code":"x"}`},
				{"GET", "/api/v3/customers/" + other.ID, ""},
				{"GET", "/api/v3/customers/" + other.ID + "/bank-account", ""},
				{"POST", "/api/v3/customers/" + other.ID + "/kyc-review", ""},
				{"POST", "/api/v3/customers/" + other.ID + "/bank-account", `{"bank_account":{"bank_id":"001","kind":"checking","branch":"1","number":"1","digit":"1"}}`},
			} {
				r := en.do(tc.method, tc.path, tc.body, bearer(session)...)
				wantProblem(t, "session "+tc.method+" "+tc.path, r, http.StatusForbidden, "forbidden", "")
			}
			r := en.upload(session, other.ID, "", part{name: "evidence_type", value: "ccmei"}, part{name: "requirement_id", value: "company_document"},
				part{name: "attachment_type", value: "file"}, part{name: "file", file: pdfFile})
			wantProblem(t, "session upload for another customer", r, http.StatusForbidden, "forbidden", "")
			if after := en.getCustomer(tok, c.ID); !cmp.Equal(after, before) {
				t.Errorf("forbidden session requests changed the customer:\n%s", cmp.Diff(before, after))
			}

			if got := en.getCustomer(session, c.ID); got.ID != c.ID || got.Status != "pending_kyc" {
				t.Errorf("session GET customer: %+v", got)
			}
			if r := en.do("GET", "/api/v3/banks", "", bearer(session)...); r.status != http.StatusOK {
				t.Errorf("session GET /banks: %d %s", r.status, r.body)
			}
			r = en.do("POST", base+"/bank-account", `{"bank_account":{"bank_id":"260","kind":"payment","branch":"1","number":"998877","digit":"0"}}`, bearer(session)...)
			if r.status != http.StatusOK {
				t.Errorf("session POST bank-account: %d %s", r.status, r.body)
			}
			if r := en.do("GET", base+"/bank-account", "", bearer(session)...); r.status != http.StatusOK {
				t.Errorf("session GET bank-account: %d %s", r.status, r.body)
			}
			en.submitAll(session, session, en.getCustomer(session, c.ID))
			if r := en.do("POST", base+"/kyc-review", "", bearer(session)...); r.status != http.StatusAccepted {
				t.Errorf("session kyc-review: %d %s", r.status, r.body)
			}
			if got := en.getCustomer(tok, c.ID); got.Status != "under_review" {
				t.Errorf("after the session's review: %s", got.Status)
			}
		})

		t.Run("expiry", func(t *testing.T) {
			c := en.pendingCustomer(tok, cpfEnding("606"), meiCNPJ)
			_, code := en.openBiometrics(tok, c.ID)
			en.clock.Advance(1800 * time.Second)
			wantProblem(t, "an expired code", exchange(code), http.StatusForbidden, "invalid_session_code", "")
			if r, _ := en.openBiometrics(tok, c.ID); r.status != http.StatusOK {
				t.Errorf("a new session once the old one expired: %d %s", r.status, r.body)
			}
		})
	})
}

// 7. The bank account.

func TestBankAccountEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		c := en.createCustomer(tok, customerJSON(cpfEnding("701"), meiCNPJ, ""))
		path := "/api/v3/customers/" + c.ID + "/bank-account"
		type account struct {
			ID        string `json:"id"`
			BankID    string `json:"bank_id"`
			BankName  string `json:"bank_name"`
			Kind      string `json:"kind"`
			Branch    string `json:"branch"`
			Number    string `json:"number"`
			Digit     string `json:"digit"`
			UpdatedAt int64  `json:"updated_at"`
		}

		wantProblem(t, "GET before any", en.do("GET", path, "", bearer(tok)...), http.StatusNotFound, "bank_account_not_found", "")
		r := en.do("POST", path, `{"bank_account":{"bank_id":"1","kind":"checking","branch":"1","number":"12345","digit":"x"}}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("link: %d %s", r.status, r.body)
		}
		first := decode[account](t, r)
		bb, ok := banks.Lookup("001")
		if !ok || bb.Name != "Banco do Brasil" {
			t.Fatalf("banks.Lookup(001) = %+v, %v", bb, ok)
		}
		want := account{ID: first.ID, BankID: "001", BankName: bb.Name, Kind: "checking", Branch: "0001", Number: "12345", Digit: "X", UpdatedAt: epoch.Unix()}
		if first != want || !strings.HasPrefix(first.ID, "ba_") {
			t.Errorf("linked %+v, want %+v", first, want)
		}
		if got := decode[account](t, en.do("GET", path, "", bearer(tok)...)); got != first {
			t.Errorf("GET %+v, want %+v", got, first)
		}

		en.clock.Advance(time.Minute)
		for _, body := range []string{
			`{"bank_account":{"bank_id":"1","kind":"checking","branch":"1","number":"12345","digit":"x"}}`,
			`{"bank_account":{"bank_id":"001","kind":"checking","branch":"0001","number":"12345","digit":"X"}}`,
		} {
			r := en.do("POST", path, body, bearer(tok)...)
			if got := decode[account](t, r); r.status != http.StatusOK || got != first {
				t.Errorf("the same account again: %d %+v, want %+v", r.status, got, first)
			}
		}
		r = en.do("POST", path, `{"bank_account":{"bank_id":"260","kind":"payment","branch":"0001","number":"54321","digit":"7"}}`, bearer(tok)...)
		second := decode[account](t, r)
		if r.status != http.StatusOK || second.ID == first.ID || !strings.HasPrefix(second.ID, "ba_") || second.BankID != "260" ||
			second.UpdatedAt != epoch.Unix()+60 {
			t.Errorf("a changed account: %d %+v (first %s)", r.status, second, first.ID)
		}
		if nu, _ := banks.Lookup("260"); second.BankName != nu.Name {
			t.Errorf("bank_name %q, want %q", second.BankName, nu.Name)
		}
		if got := decode[account](t, en.do("GET", path, "", bearer(tok)...)); got != second {
			t.Errorf("GET after the change %+v, want %+v", got, second)
		}

		acct := func(fields string) string { return `{"bank_account":{` + fields + `}}` }
		good := map[string]string{"bank_id": `"001"`, "kind": `"checking"`, "branch": `"1234"`, "number": `"12345"`, "digit": `"1"`}
		with := func(k, v string) string {
			var parts []string
			for _, name := range []string{"bank_id", "kind", "branch", "number", "digit"} {
				val := good[name]
				if name == k {
					if v == "" {
						continue
					}
					val = v
				}
				parts = append(parts, `"`+name+`":`+val)
			}
			return acct(strings.Join(parts, ","))
		}
		for _, tc := range []struct {
			name, body string
			status     int
			code       string
			params     []string
		}{
			{"not wrapped", `{"bank_id":"001","kind":"checking","branch":"1","number":"12345","digit":"1"}`, 422, "missing_required_field", []string{"bank_account"}},
			{"empty body", ``, 422, "missing_required_field", []string{"bank_account"}},
			{"null account", `{"bank_account":null}`, 422, "missing_required_field", []string{"bank_account"}},
			{"unknown bank", with("bank_id", `"999"`), 422, "unknown_bank", []string{"bank_account.bank_id"}},
			{"bank id of letters", with("bank_id", `"abc"`), 422, "unknown_bank", []string{"bank_account.bank_id"}},
			{"bank id of 4 digits", with("bank_id", `"0001"`), 422, "unknown_bank", []string{"bank_account.bank_id"}},
			{"bad kind", with("kind", `"savings"`), 422, "invalid_field", []string{"bank_account.kind"}},
			{"branch of 5 digits", with("branch", `"12345"`), 422, "invalid_field", []string{"bank_account.branch"}},
			{"branch with its digit", with("branch", `"1234-5"`), 422, "invalid_field", []string{"bank_account.branch"}},
			{"number with a letter", with("number", `"12a45"`), 422, "invalid_field", []string{"bank_account.number"}},
			{"number of zeros", with("number", `"0000"`), 422, "invalid_field", []string{"bank_account.number"}},
			{"number too long", with("number", `"`+strings.Repeat("1", 21)+`"`), 422, "invalid_field", []string{"bank_account.number"}},
			{"digit of two", with("digit", `"12"`), 422, "invalid_field", []string{"bank_account.digit"}},
			{"digit a letter", with("digit", `"Y"`), 422, "invalid_field", []string{"bank_account.digit"}},
			{"missing kind", with("kind", ""), 422, "missing_required_field", []string{"bank_account.kind"}},
			{"missing digit", with("digit", ""), 422, "missing_required_field", []string{"bank_account.digit"}},
			{"several invalid", acct(`"bank_id":"999","kind":"x","branch":"x","number":"x"`), 422, "validation_failed",
				[]string{"bank_account.bank_id", "bank_account.branch", "bank_account.digit", "bank_account.kind", "bank_account.number"}},
			{"bank id as a number", with("bank_id", `1`), 422, "invalid_field", []string{"bank_account.bank_id"}},
			{"account as a string", `{"bank_account":"001"}`, 422, "invalid_field", []string{"bank_account"}},
			{"malformed", `{"bank_account":{`, 400, "malformed_json", nil},
		} {
			r := en.do("POST", path, tc.body, bearer(tok)...)
			wantProblemParams(t, tc.name, r, tc.status, tc.code, tc.params)
		}
		if got := decode[account](t, en.do("GET", path, "", bearer(tok)...)); got != second {
			t.Errorf("refused requests changed the account: %+v, want %+v", got, second)
		}

		unknown := "/api/v3/customers/cust_ffffffffffffffffffffffffffffffff/bank-account"
		wantProblem(t, "GET of an unknown customer", en.do("GET", unknown, "", bearer(tok)...), http.StatusNotFound, "customer_not_found", "")
		wantProblem(t, "POST of an unknown customer", en.do("POST", unknown, with("", ""), bearer(tok)...), http.StatusNotFound, "customer_not_found", "")

		if r := en.do("POST", "/api/v3/sandbox/customers/"+c.ID+"/kyc-decision", `{"decision":"deny"}`, bearer(tok)...); r.status != http.StatusOK {
			t.Fatalf("deny: %d %s", r.status, r.body)
		}
		r = en.do("POST", path, `{"bank_account":{"bank_id":"001","kind":"checking","branch":"9","number":"999","digit":"9"}}`, bearer(tok)...)
		wantProblem(t, "link for a denied customer", r, http.StatusConflict, "invalid_customer_state", "")
		if got := decode[account](t, en.do("GET", path, "", bearer(tok)...)); got != second {
			t.Errorf("the denied customer's account: %+v, want %+v", got, second)
		}
	})
}

// 8. POST /sandbox/customers/{id}/kyc-decision.

func TestSandboxKYCDecisionEdges(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		t.Run("approve", func(t *testing.T) {
			en := newEnv(t, e, envOptions{work: true})
			tok := en.token(en.a.test)
			rc := newReceiver(t)
			en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["customer.*"]}`)
			c := en.waitStatus(tok, en.createCustomer(tok, customerJSON(cpfEnding("801"), ltdaCNPJ, "")).ID, "pending_kyc")
			decision := "/api/v3/sandbox/customers/" + c.ID + "/kyc-decision"

			r := en.do("POST", decision, `{"decision":"approve"}`, bearer(en.token(en.a.live))...)
			wantProblem(t, "live token", r, http.StatusForbidden, "sandbox_only", "")
			if got := en.getCustomer(tok, c.ID); !cmp.Equal(got, c) {
				t.Errorf("a refused decision changed the customer:\n%s", cmp.Diff(c, got))
			}

			r = en.do("POST", decision, `{"decision":"approve"}`, bearer(tok)...)
			if r.status != http.StatusOK {
				t.Fatalf("approve: %d %s", r.status, r.body)
			}
			got := decode[customerWire](t, r)
			if got.Status != "active" || len(got.KYC) != len(c.KYC) {
				t.Fatalf("approved: %s", r.body)
			}
			optional := 0
			for _, req := range got.KYC {
				if !req.Mandatory {
					optional++
					if req.Submitted != nil {
						t.Errorf("optional %s was not submitted, yet is %+v", req.RequirementID, req.Submitted)
					}
					continue
				}
				if req.Submitted == nil || req.Submitted.ReviewStatus != "accepted" || req.Submitted.ReviewReason != nil || len(req.Submitted.Attachments) == 0 {
					t.Errorf("mandatory %s after approval: %+v", req.RequirementID, req.Submitted)
					continue
				}
				for _, a := range req.Submitted.Attachments {
					if !a.Submitted {
						t.Errorf("%s slot %s not submitted", req.RequirementID, a.AttachmentType)
					}
				}
			}
			if optional == 0 {
				t.Errorf("an LTDA has optional co-owner e-mails: %+v", got.KYC)
			}
			if g := en.getCustomer(tok, c.ID); !cmp.Equal(g, got) {
				t.Errorf("GET differs from the decision's answer:\n%s", cmp.Diff(got, g))
			}
			active := en.waitHook(t, rc, c.ID, "customer.active")
			var d struct {
				Status string `json:"status"`
			}
			_ = json.Unmarshal(active.Data, &d)
			if d.Status != "active" {
				t.Errorf("customer.active data %s", active.Data)
			}

			for _, body := range []string{`{"decision":"approve"}`, `{"decision":"deny"}`, `{"decision":"reject"}`} {
				r := en.do("POST", decision, body, bearer(tok)...)
				wantProblem(t, body+" for an active customer", r, http.StatusConflict, "invalid_customer_state", "")
			}
			if g := en.getCustomer(tok, c.ID); !cmp.Equal(g, got) {
				t.Errorf("refused decisions changed the active customer:\n%s", cmp.Diff(got, g))
			}
		})

		t.Run("reject and deny", func(t *testing.T) {
			en := newEnv(t, e, envOptions{})
			tok := en.token(en.a.test)
			c := en.pendingCustomer(tok, cpfEnding("802"), meiCNPJ)
			decision := "/api/v3/sandbox/customers/" + c.ID + "/kyc-decision"
			poa := requirementOf(t, c, "proof_of_address")

			for _, tc := range []struct {
				name, body string
				status     int
				code       string
				param      string
			}{
				{"reject with nothing pending", `{"decision":"reject"}`, 409, "invalid_customer_state", ""},
				{"reject an item not submitted", `{"decision":"reject","requirement_id":"` + poa + `"}`, 409, "invalid_customer_state", ""},
				{"reject an unknown item", `{"decision":"reject","requirement_id":"proof_of_address_nobody"}`, 422, "requirement_not_found", "requirement_id"},
				{"unknown decision", `{"decision":"maybe"}`, 422, "invalid_field", "decision"},
				{"decision of another type", `{"decision":true}`, 422, "invalid_field", "decision"},
				{"no decision", `{}`, 422, "missing_required_field", "decision"},
				{"approve with requirement_id", `{"decision":"approve","requirement_id":"` + poa + `"}`, 422, "invalid_field", "requirement_id"},
				{"deny with requirement_id", `{"decision":"deny","requirement_id":"` + poa + `"}`, 422, "invalid_field", "requirement_id"},
			} {
				r := en.do("POST", decision, tc.body, bearer(tok)...)
				wantProblem(t, tc.name, r, tc.status, tc.code, tc.param)
			}
			if got := en.getCustomer(tok, c.ID); !cmp.Equal(got, c) {
				t.Errorf("refused decisions changed the customer:\n%s", cmp.Diff(c, got))
			}

			en.submitAll(tok, en.sessionToken(tok, c.ID), c)
			if r := en.do("POST", "/api/v3/customers/"+c.ID+"/kyc-review", "", bearer(tok)...); r.status != http.StatusAccepted {
				t.Fatalf("kyc-review: %d %s", r.status, r.body)
			}
			en.clock.Advance(time.Minute)
			r := en.do("POST", decision, `{"decision":"reject","requirement_id":"`+poa+`","reason":"Comprovante ilegível"}`, bearer(tok)...)
			if r.status != http.StatusOK {
				t.Fatalf("reject: %d %s", r.status, r.body)
			}
			got := decode[customerWire](t, r)
			if got.Status != "pending_kyc" || got.UpdatedAt != epoch.Unix()+60 {
				t.Errorf("after the rejection: %s", r.body)
			}
			for _, req := range got.KYC {
				switch {
				case req.RequirementID == poa:
					if req.Submitted == nil || req.Submitted.ReviewStatus != "rejected" || req.Submitted.ReviewReason == nil || *req.Submitted.ReviewReason != "Comprovante ilegível" {
						t.Errorf("rejected item: %+v", req.Submitted)
					}
				case req.Submitted == nil || req.Submitted.ReviewStatus != "pending" || req.Submitted.ReviewReason != nil:
					t.Errorf("%s after another item's rejection: %+v", req.RequirementID, req.Submitted)
				}
			}
			// The rejected item waits for a new upload; rejecting it again finds nothing pending.
			r = en.do("POST", decision, `{"decision":"reject","requirement_id":"`+poa+`"}`, bearer(tok)...)
			wantProblem(t, "reject the rejected item again", r, http.StatusConflict, "invalid_customer_state", "")

			r = en.do("POST", decision, `{"decision":"deny"}`, bearer(tok)...)
			if r.status != http.StatusOK || decode[customerWire](t, r).Status != "denied" {
				t.Fatalf("deny: %d %s", r.status, r.body)
			}
			for _, body := range []string{`{"decision":"deny"}`, `{"decision":"approve"}`, `{"decision":"reject"}`} {
				wantProblem(t, body+" for a denied customer", en.do("POST", decision, body, bearer(tok)...), http.StatusConflict, "invalid_customer_state", "")
			}
			if got := en.getCustomer(tok, c.ID); got.Status != "denied" {
				t.Errorf("denied customer is %s", got.Status)
			}
			wantProblem(t, "unknown customer", en.do("POST", "/api/v3/sandbox/customers/cust_ffffffffffffffffffffffffffffffff/kyc-decision", `{"decision":"deny"}`, bearer(tok)...),
				http.StatusNotFound, "customer_not_found", "")
		})
	})
}
