package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
)

const (
	// chromiumPath is the browser the hosted-page tests drive.
	chromiumPath = "/usr/bin/chromium"
	// skipBrowserEnv, set to 1, lets the browser tests skip when Chromium is missing; without it a
	// missing Chromium fails them, so they never pass silently.
	skipBrowserEnv = "DINIE_TEST_SKIP_BROWSER"
	// kpStepLimit bounds each browser step (a navigation, an upload, the review).
	kpStepLimit = 15 * time.Second
)

// kpCSPWatch runs in every document before the page's own script and records the Content-Security-Policy
// violations the page causes (an inline style or script, a resource from elsewhere).
const kpCSPWatch = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});`

// requireChromium fails t when Chromium is missing, or skips it when skipBrowserEnv=1.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv(skipBrowserEnv) == "1" {
			t.Skipf("%s is missing and %s=1: browser test skipped", chromiumPath, skipBrowserEnv)
		}
		t.Fatalf("%s is missing (%v): install Chromium (apt-get install -y chromium) or set %s=1 to skip the browser tests",
			chromiumPath, err, skipBrowserEnv)
	}
}

// kpBrowser is one headless Chromium tab, with what it saw: console messages, script errors and the
// requests it sent.
type kpBrowser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	console  []string
	problems []string // uncaught exceptions and CSP reports in the console
	requests []kpRequest
}

type kpRequest struct {
	method, url, referer string
}

// startKPBrowser starts headless Chromium for t (failing t when it is missing, unless skipBrowserEnv=1)
// and opens a tab with a phone-sized viewport. The browser is closed when t ends; when t failed, the
// page is saved as a screenshot in t's artifact directory and its text and console are logged first.
func startKPBrowser(t *testing.T) *kpBrowser {
	t.Helper()
	requireChromium(t)
	artifacts := t.ArtifactDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	// Registered after the TempDir above, so the browser has exited before its profile is removed.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := &kpBrowser{t: t, ctx: ctx}
	// The first action starts the browser and binds it to ctx, which has no deadline; a browser that
	// does not start is bounded by the test binary's timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("listen to the browser: %v", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: kpCSPWatch}); err != nil {
		t.Fatalf("install the CSP watch: %v", err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		if img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			path := filepath.Join(artifacts, "kycpage.png")
			if err := os.WriteFile(path, img, 0o644); err == nil {
				t.Logf("screenshot of the page: %s (kept with go test -artifacts)", path)
			}
		}
		if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`)); err == nil {
			t.Logf("page text:\n%s", text)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		t.Logf("console:\n%s", strings.Join(b.console, "\n"))
	})
	return b
}

// record is the tab's event listener: it runs in the tab's message loop, so it only takes notes.
func (b *kpBrowser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg := ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			msg += " " + ex.Description
		}
		b.problems = append(b.problems, "exception: "+msg)
		b.console = append(b.console, "exception: "+msg)
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			args = append(args, string(a.Value)+a.Description)
		}
		b.console = append(b.console, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
	case *log.EventEntryAdded:
		e := ev.Entry
		b.console = append(b.console, fmt.Sprintf("%s %s: %s %s", e.Level, e.Source, e.Text, e.URL))
		if strings.Contains(e.Text, "Content Security Policy") {
			b.problems = append(b.problems, "CSP: "+e.Text)
		}
	case *network.EventRequestWillBeSent:
		req := kpRequest{method: ev.Request.Method, url: ev.Request.URL}
		for k, v := range ev.Request.Headers {
			if strings.EqualFold(k, "Referer") {
				req.referer = fmt.Sprint(v)
			}
		}
		b.requests = append(b.requests, req)
	}
}

// do runs steps within kpStepLimit and fails the test, naming what, when they fail.
func (b *kpBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, kpStepLimit)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// kpRun runs a with b within kpStepLimit and returns its value, failing the test when it fails.
func kpRun[T any](b *kpBrowser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, kpStepLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// kpPNG writes a w×h PNG (a gradient, so it is a real picture) to dir/name and returns its path.
func kpPNG(t *testing.T, dir, name string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return kpWrite(t, dir, name, buf.Bytes())
}

// kpPDF is a minimal whole PDF: a header, two objects, a trailer and the end-of-file marker.
const kpPDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
	"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

func kpWrite(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func kpCustomer(en *env, tok, id string) wire.Customer {
	en.t.Helper()
	r := en.do("GET", "/api/v3/customers/"+id, "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("GET customer %s: %d %s", id, r.status, r.body)
	}
	return decode[wire.Customer](en.t, r)
}

// kpCard is a requirement as the page shows it.
type kpCard struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	State string `json:"state"`
	Text  string `json:"text"`
}

const kpCardsJS = `[...document.querySelectorAll('#requirements li.req')].map(li => ({
  id: li.dataset.requirementId, type: li.dataset.requirementType, state: li.dataset.state, text: li.innerText}))`

// TestKYCPageInBrowser drives the hosted KYC page in headless Chromium, as a customer on a phone would:
// from the partner's biometrics link to an approved customer, then checks through the API that what the
// page sent is what the platform recorded. SQLite only: the page does not depend on the store engine.
func TestKYCPageInBrowser(t *testing.T) {
	requireChromium(t)
	en := newEnv(t, storetest.Engine{Name: "sqlite", DSN: storetest.SQLiteDSN}, envOptions{work: true})
	// Started after the API, so it is closed before the API stops.
	b := startKPBrowser(t)
	tok := en.token(en.a.test)

	// A MEI customer: identity, selfie and proof of address of the applicant, and the CCMEI.
	r := en.do("POST", "/api/v3/customers",
		`{"cpf":"529.982.247-25","cnpj":"12.340.001/0001-64","email":"cliente@example.com","phone":"+5511987654321"}`, bearer(tok)...)
	if r.status != http.StatusCreated {
		t.Fatalf("create customer: %d %s", r.status, r.body)
	}
	id := decode[wire.Customer](t, r).ID
	var c wire.Customer
	eventually(t, "customer "+id+" in pending_kyc", func() bool {
		c = kpCustomer(en, tok, id)
		return c.Status == "pending_kyc"
	})
	var types []string
	for _, req := range c.KYC {
		types = append(types, req.RequirementType)
	}
	if want := []string{"identity", "selfie", "proof_of_address", "company_document"}; !slices.Equal(types, want) {
		t.Fatalf("requirements %v, want %v", types, want)
	}
	applicant := c.KYC[0].Subject
	if applicant == nil || applicant.Name == "" {
		t.Fatalf("identity requirement without a named subject: %+v", c.KYC[0])
	}

	r = en.do("POST", "/api/v3/customers/"+id+"/biometrics", "{}", bearer(tok)...)
	if r.status != http.StatusOK {
		t.Fatalf("create biometrics session: %d %s", r.status, r.body)
	}
	sessionURL, _ := r.json(t)["session_url"].(string)
	code, ok := strings.CutPrefix(sessionURL, en.url+"/kyc/?code=")
	if !ok || !strings.HasPrefix(code, "dinie_bsc_test_") {
		t.Fatalf("session_url %q, want %s/kyc/?code=dinie_bsc_test_…", sessionURL, en.url)
	}

	dir := t.TempDir()
	rgFront := kpPNG(t, dir, "rg-frente.png", 640, 420)
	rgBack := kpPNG(t, dir, "rg-verso.png", 640, 420)
	selfie := kpPNG(t, dir, "selfie.png", 480, 640)
	tiny := kpPNG(t, dir, "miniatura.png", 120, 120)
	proof := kpWrite(t, dir, "comprovante.pdf", []byte(kpPDF))
	ccmei := kpWrite(t, dir, "ccmei.pdf", []byte(kpPDF))

	// Open the link: the page exchanges the code, drops it from the address and lists the requirements.
	b.do("open the session link", chromedp.Navigate(sessionURL))
	b.do("requirements render", chromedp.WaitVisible(chromedp.CSS(`li.req[data-requirement-type="company_document"]`)))
	if loc := kpRun(b, "read the address", chromedp.Location()); loc != en.url+"/kyc/" {
		t.Errorf("address after load %q, want %s/kyc/ (the code removed)", loc, en.url)
	}
	history := kpRun(b, "read the history", chromedp.NavigationEntries())
	for _, e := range history.Entries {
		if strings.Contains(e.URL, code) {
			t.Errorf("history entry %q keeps the code", e.URL)
		}
	}
	cards := kpRun(b, "read the requirements", chromedp.Evaluate[[]kpCard](kpCardsJS))
	if len(cards) != 4 {
		t.Fatalf("page shows %d requirements, want 4: %+v", len(cards), cards)
	}
	for i, card := range cards {
		if card.ID != c.KYC[i].RequirementID || card.State != "none" ||
			!strings.Contains(card.Text, c.KYC[i].Label) || !strings.Contains(card.Text, "Obrigatório") || !strings.Contains(card.Text, "Não enviado") {
			t.Errorf("card %d: %+v, want requirement %s, mandatory, not sent", i, card, c.KYC[i].RequirementID)
		}
	}
	if !strings.Contains(cards[0].Text, applicant.Name) {
		t.Errorf("identity card %q does not name the applicant %q", cards[0].Text, applicant.Name)
	}

	card := func(typ string) string { return `li.req[data-requirement-type="` + typ + `"]` }
	upload := func(typ, slot, file string) {
		t.Helper()
		b.do("upload "+typ+" "+slot, chromedp.SetUploadFiles(chromedp.CSS(card(typ)+` input[type="file"][data-attachment="`+slot+`"]`), []string{file}))
		b.do("wait for "+typ+" "+slot+" to be sent",
			chromedp.WaitVisible(chromedp.CSS(card(typ)+` .slot[data-attachment="`+slot+`"][data-submitted="true"]`)))
	}

	// Identity: an RG, front and back.
	b.do("choose RG", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.querySelector('li.req[data-requirement-type="identity"] select[data-role="choice"]');
		s.value = 'rg';
		s.dispatchEvent(new Event('change'));
	})()`))
	upload("identity", "front", rgFront)
	if state := kpRun(b, "identity state", chromedp.AttributeValue(chromedp.CSS(card("identity")), "data-state")); state.Value != "partial" {
		t.Errorf("identity with its front only is %q, want partial", state.Value)
	}
	upload("identity", "back", rgBack)

	// The selfie: the camera input; a picture the server refuses shows the problem's detail.
	selfieInput := chromedp.CSS(card("selfie") + ` input[type="file"][data-attachment="photo"]`)
	attrs := kpRun(b, "selfie input", chromedp.Attributes(selfieInput))
	if attrs["accept"] != "image/*" || attrs["capture"] != "user" {
		t.Errorf("selfie input accept=%q capture=%q, want image/* and user", attrs["accept"], attrs["capture"])
	}
	b.do("upload a tiny selfie", chromedp.SetUploadFiles(selfieInput, []string{tiny}))
	b.do("the refusal shows", chromedp.WaitVisible(chromedp.CSS(card("selfie")+` .error`)))
	if msg := kpRun(b, "read the refusal", chromedp.Text(chromedp.CSS(card("selfie")+` .error`))); !strings.Contains(msg, "too small") {
		t.Errorf("refused selfie shows %q, want the problem detail (too small)", msg)
	}
	upload("selfie", "photo", selfie)
	b.do("the refusal clears", chromedp.WaitNotPresent(chromedp.CSS(card("selfie")+` .error`)))

	upload("proof_of_address", "file", proof)
	upload("company_document", "file", ccmei)

	// The bank account.
	b.do("bank list", chromedp.WaitReady(chromedp.CSS(`#bank-id option[value="001"]`)))
	b.do("fill the bank account",
		chromedp.SetValue(chromedp.ID("bank-id"), "001"),
		chromedp.SetValue(chromedp.ID("bank-kind"), "checking"),
		chromedp.SendKeys(chromedp.ID("bank-branch"), "1234"),
		chromedp.SendKeys(chromedp.ID("bank-number"), "56789"),
		chromedp.SendKeys(chromedp.ID("bank-digit"), "0"),
		chromedp.Click(chromedp.ID("bank-save")),
		chromedp.WaitVisible(chromedp.ID("bank-saved")),
	)
	saved := kpRun(b, "read the saved account", chromedp.Text(chromedp.ID("bank-saved-text")))
	for _, want := range []string{"001", "Conta corrente", "Agência 1234", "Conta 56789-0"} {
		if !strings.Contains(saved, want) {
			t.Errorf("saved account shows %q, want %q in it", saved, want)
		}
	}

	// Every requirement is sent; send them to review and wait for the sandbox verifier's approval.
	cards = kpRun(b, "read the requirements", chromedp.Evaluate[[]kpCard](kpCardsJS))
	for _, card := range cards {
		if card.State != "sent" || !strings.Contains(card.Text, "Enviado") {
			t.Errorf("before review: %+v, want sent", card)
		}
	}
	b.do("send to review",
		chromedp.WaitEnabled(chromedp.ID("submit-review")),
		chromedp.Click(chromedp.ID("submit-review")),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-status="active"]`)),
	)
	if title := kpRun(b, "read the status", chromedp.Text(chromedp.ID("status-title"))); title != "Aprovado" {
		t.Errorf("status title %q, want Aprovado", title)
	}
	cards = kpRun(b, "read the requirements", chromedp.Evaluate[[]kpCard](kpCardsJS))
	for _, card := range cards {
		if card.State != "accepted" || !strings.Contains(card.Text, "Aceito") {
			t.Errorf("after approval: %+v, want accepted", card)
		}
	}
	stored := kpRun(b, "read storage", chromedp.Evaluate[int](`localStorage.length + sessionStorage.length + document.cookie.length`))
	if stored != 0 {
		t.Errorf("the page stored something in the browser (%d entries or cookie bytes); the token lives in memory only", stored)
	}
	violations := kpRun(b, "read CSP violations", chromedp.Evaluate[[]string](`window.__cspViolations || []`))
	for _, v := range violations {
		t.Errorf("Content-Security-Policy violation: %s", v)
	}

	// What the platform recorded.
	c = kpCustomer(en, tok, id)
	if c.Status != "active" {
		t.Errorf("customer status %s, want active", c.Status)
	}
	for _, req := range c.KYC {
		if req.Submitted == nil || req.Submitted.ReviewStatus != "accepted" {
			t.Errorf("requirement %s: submitted %+v, want accepted", req.RequirementID, req.Submitted)
		}
	}
	if s := c.KYC[0].Submitted; s == nil || s.EvidenceType != "rg" || len(s.Attachments) != 2 {
		t.Errorf("identity submitted %+v, want an RG with front and back", s)
	}
	r = en.do("GET", "/api/v3/customers/"+id+"/bank-account", "", bearer(tok)...)
	if r.status != http.StatusOK {
		t.Fatalf("GET bank-account: %d %s", r.status, r.body)
	}
	if a := decode[wire.BankAccount](t, r); a.BankID != "001" || a.Kind != "checking" || a.Branch != "1234" || a.Number != "56789" || a.Digit != "0" {
		t.Errorf("bank account %+v, want 001 checking 1234 56789-0", a)
	}

	// The link works once: opening it again shows the used-link error, and drops the code again.
	b.do("reopen the session link", chromedp.Navigate(sessionURL))
	b.do("used-link error", chromedp.WaitVisible(chromedp.ID("fatal")))
	if title := kpRun(b, "read the error", chromedp.Text(chromedp.ID("fatal-title"))); title != "Link inválido ou já utilizado" {
		t.Errorf("reopened link shows %q, want the used-link error", title)
	}
	if detail := kpRun(b, "read the error detail", chromedp.Text(chromedp.ID("fatal-detail"))); !strings.Contains(detail, "already used") {
		t.Errorf("reopened link detail %q, want the problem's detail", detail)
	}
	if loc := kpRun(b, "read the address", chromedp.Location()); strings.Contains(loc, code) {
		t.Errorf("address after reopening %q keeps the code", loc)
	}
	if vis := kpRun(b, "requirements hidden", chromedp.Evaluate[bool](`document.getElementById('docs').hidden`)); !vis {
		t.Error("the used link still shows the requirements")
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser: %s", p)
	}
	var api int
	for _, req := range b.requests {
		if req.referer != "" {
			t.Errorf("%s %s sent Referer %q; the page must send none", req.method, req.url, req.referer)
		}
		if strings.Contains(req.url, "/api/v3/") {
			api++
		}
		if strings.Contains(req.url, "access_token") || strings.Contains(req.url, "dinie_at_") {
			t.Errorf("%s %s carries the token in its address", req.method, req.url)
		}
	}
	if api == 0 {
		t.Error("recorded no API request from the page")
	}
}
