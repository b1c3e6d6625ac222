package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
)

// spCNPJ is the sandbox LTDA with co-owners whose bureau profile gives a fixed offer: R$ 60,000.00 in
// 12 installments at 3.49 % a.m. (docs/sandbox.md).
const spCNPJ = "12.340.003/0006-68"

// spSummary is what the page shows of the contract (text content, non-breaking spaces as spaces).
type spSummary struct {
	Title        string `json:"title"`
	CCB          string `json:"ccb"`
	Requested    string `json:"requested"`
	Installments string `json:"installments"`
	FirstDue     string `json:"firstDue"`
	Rate         string `json:"rate"`
	CET          string `json:"cet"`
	Total        string `json:"total"`
	Hash         string `json:"hash"`
	HashState    string `json:"hashState"`
	Link         string `json:"link"`
	Object       string `json:"object"`
}

const spSummaryJS = `(() => {
  const t = id => (document.getElementById(id).textContent || '').replace(/\u00a0/g, ' ').trim();
  const obj = document.querySelector('#viewer object');
  return {title: document.title, ccb: t('ccb-number'), requested: t('sum-requested'), installments: t('sum-installments'),
    firstDue: t('sum-first-due'), rate: t('sum-rate'), cet: t('sum-cet'), total: t('sum-total'), hash: t('ccb-hash'),
    hashState: document.getElementById('ccb-hash-state').parentNode.dataset.state || '',
    link: document.getElementById('ccb-link').getAttribute('href') || '', object: obj ? obj.getAttribute('data') : ''};
})()`

// spSigner is a signer as the page lists it.
type spSigner struct {
	Signed string `json:"signed"`
	Text   string `json:"text"`
}

const spSignersJS = `[...document.querySelectorAll('#signers li.signer')].map(li => ({
  signed: li.dataset.signed, text: li.innerText.replace(/\u00a0/g, ' ')}))`

// spReais writes an amount the way the page does: R$ 1.234,56.
func spReais(t *testing.T, n json.Number) string {
	t.Helper()
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		t.Fatalf("amount %q: %v", n, err)
	}
	cents := int64(math.Round(f * 100))
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("R$ %s,%02d", b.String(), cents%100)
}

// spPercent writes a rate the way the page does: 3.49 → 3,49%.
func spPercent(n json.Number) string {
	whole, frac, _ := strings.Cut(string(n), ".")
	for len(frac) < 2 {
		frac += "0"
	}
	return whole + "," + frac + "%"
}

// spDate writes a YYYY-MM-DD date as dd/mm/aaaa.
func spDate(s string) string {
	if len(s) != 10 {
		return s
	}
	return s[8:10] + "/" + s[5:7] + "/" + s[0:4]
}

// brasilia is Brasília time: UTC−3 all year since 2019.
var brasilia = time.FixedZone("BRT", -3*3600)

// TestSigningPageInBrowser drives the hosted CCB signing page in headless Chromium: a partner's customer
// (an LTDA with co-owners) takes a loan, and each signer opens the signing_url, reads the terms and
// signs with their CPF; then it checks through the API and the store that the loan went on to its
// disbursement and that each signature recorded where it came from and the exact document signed.
// SQLite only: the page does not depend on the store engine.
func TestSigningPageInBrowser(t *testing.T) {
	requireChromium(t)
	en := newEnv(t, storetest.Engine{Name: "sqlite", DSN: storetest.SQLiteDSN}, envOptions{work: true})
	// Started after the API, so it is closed before the API stops.
	b := startKPBrowser(t)
	tok := en.token(en.a.test)
	scope := lending.Scope{PartnerID: en.a.id, Environment: lending.EnvTest}
	ctx := context.Background()

	// An active customer with a bank account and the bureau's fixed offer.
	c := en.createCustomer(tok, `{"cpf":"529.982.247-25","cnpj":"`+spCNPJ+`","email":"cliente@example.com","phone":"+5511987654321"}`)
	en.waitStatus(tok, c.ID, "pending_kyc")
	r := en.do("POST", "/api/v3/sandbox/customers/"+c.ID+"/kyc-decision", `{"decision":"approve"}`, bearer(tok)...)
	if r.status != http.StatusOK {
		t.Fatalf("approve KYC: %d %s", r.status, r.body)
	}
	r = en.do("POST", "/api/v3/customers/"+c.ID+"/bank-account",
		`{"bank_account":{"bank_id":"001","kind":"checking","branch":"1234","number":"56789","digit":"0"}}`, bearer(tok)...)
	if r.status != http.StatusOK && r.status != http.StatusCreated {
		t.Fatalf("bank account: %d %s", r.status, r.body)
	}
	o := en.offersOf(tok, c.ID, 1)[0]
	if o.Status != "available" || o.ApprovedAmount != "60000" || o.Installments == nil || *o.Installments != 12 {
		t.Fatalf("offer %+v, want the fixed R$ 60,000 in 12", o)
	}
	r = en.do("POST", "/api/v3/credit-offers/"+o.ID+"/simulations", `{"requested_amount":20000,"installment_count":12}`, bearer(tok)...)
	if r.status != http.StatusCreated {
		t.Fatalf("simulate: %d %s", r.status, r.body)
	}
	sim := decode[wire.Simulation](t, r)
	r = en.do("POST", "/api/v3/loans", fmt.Sprintf(`{"credit_offer_id":%q,"simulation_id":%q,"installment_count":%d,"installment_amount":%s,"first_due_date":%q}`,
		o.ID, sim.ID, sim.InstallmentCount, sim.InstallmentAmount, sim.FirstDueDate), bearer(tok)...)
	if r.status != http.StatusCreated {
		t.Fatalf("create loan: %d %s", r.status, r.body)
	}
	loan := decode[wire.Loan](t, r)
	if loan.Status != "awaiting_signatures" || loan.SigningURL == nil || loan.CCBNumber == nil {
		t.Fatalf("loan %+v, want awaiting_signatures with a signing_url and a ccb_number", loan)
	}
	signingURL := *loan.SigningURL
	token, ok := strings.CutPrefix(signingURL, en.url+"/sign/")
	if !ok || !regexp.MustCompile(`^[A-Za-z0-9]{40}$`).MatchString(token) {
		t.Fatalf("signing_url %q, want %s/sign/ and 40 alphanumerics", signingURL, en.url)
	}

	// The CCB as the API serves it: its header names its SHA-256, which is that of its bytes.
	r = en.do("GET", "/api/v3/loans/"+loan.ID+"/ccb", "", bearer(tok)...)
	if r.status != http.StatusOK {
		t.Fatalf("GET ccb: %d %s", r.status, r.body)
	}
	sum := sha256.Sum256(r.body)
	ccbHash := hex.EncodeToString(sum[:])
	if got := r.header.Get("X-Content-SHA256"); got != ccbHash {
		t.Errorf("X-Content-SHA256 %q, the body's SHA-256 is %s", got, ccbHash)
	}

	// The signers' CPFs come from KYC; the API and the page show them masked.
	stored, err := en.store.Loan(ctx, scope, loan.ID)
	if err != nil {
		t.Fatalf("store.Loan: %v", err)
	}
	signers := stored.Signers
	if len(signers) < 2 {
		t.Fatalf("signers %+v, want the applicant and the co-owners", signers)
	}
	if stored.CCBSHA256 != ccbHash {
		t.Errorf("stored CCB hash %s, the served CCB's is %s", stored.CCBSHA256, ccbHash)
	}

	// Open the link: the terms, the document and its fingerprint, the signers all pending.
	b.do("open the signing link", chromedp.Navigate(signingURL))
	b.do("the contract renders", chromedp.WaitVisible(chromedp.ID("contract")))
	b.do("the document is checked", chromedp.WaitVisible(chromedp.CSS(`.fingerprint[data-state="verified"]`)))
	s := kpRun(b, "read the summary", chromedp.Evaluate[spSummary](spSummaryJS))
	want := spSummary{
		Title:        "Assinatura da Cédula de Crédito Bancário · Dinie",
		CCB:          *loan.CCBNumber,
		Requested:    "R$ 20.000,00",
		Installments: "12 × " + spReais(t, sim.InstallmentAmount),
		FirstDue:     spDate(sim.FirstDueDate),
		Rate:         "3,49% a.m.",
		CET:          spPercent(sim.AnnualCETRate) + " a.a.",
		Total:        spReais(t, sim.TotalAmount),
		Hash:         ccbHash,
		HashState:    "verified",
		Link:         "/sign/" + token + "/ccb.pdf",
		Object:       "/sign/" + token + "/ccb.pdf",
	}
	if s != want {
		t.Errorf("summary\n got %+v\nwant %+v", s, want)
	}
	list := kpRun(b, "read the signers", chromedp.Evaluate[[]spSigner](spSignersJS))
	if len(list) != len(signers) {
		t.Fatalf("page lists %d signers, want %d: %+v", len(list), len(signers), list)
	}
	for i, sg := range signers {
		masked := "***." + string(sg.CPF)[3:6] + "." + string(sg.CPF)[6:9] + "-**"
		if l := list[i]; l.Signed != "false" || !strings.Contains(l.Text, sg.Name) || !strings.Contains(l.Text, masked) ||
			!strings.Contains(l.Text, "Pendente") || strings.Contains(l.Text, sg.CPF.Format()) {
			t.Errorf("signer %d: %+v, want %s, %s, Pendente", i, l, sg.Name, masked)
		}
	}

	errorText := func() string {
		return strings.ReplaceAll(kpRun(b, "read the error", chromedp.Text(chromedp.ID("sign-error"))), "\n", " ")
	}
	ensureTicked := func(want bool) {
		t.Helper()
		if kpRun(b, "read the checkbox", chromedp.Evaluate[bool](`document.getElementById('accept').checked`)) != want {
			b.do("toggle the checkbox", chromedp.Click(chromedp.ID("accept")))
		}
	}
	// typeCPF types cpf's digits key by key into the CPF field, which formats them as they come. Chromium's
	// PDF viewer takes the focus once, when it has loaded the document; the page gives it back at once,
	// but keys sent in that instant are lost, so a CPF that did not come out whole is typed again.
	typeCPF := func(cpf string) {
		t.Helper()
		want := lending.CPF(cpf).Format()
		var got string
		for range 3 {
			b.do("type the CPF "+cpf, chromedp.SetValue(chromedp.ID("cpf"), ""), chromedp.SendKeys(chromedp.ID("cpf"), cpf))
			if got = kpRun(b, "read the CPF", chromedp.Value(chromedp.ID("cpf"))); got == want {
				return
			}
			t.Logf("typed %s, the field shows %q: typing it again", cpf, got)
		}
		t.Fatalf("CPF typed as %s shows %q, want it formatted %s", cpf, got, want)
	}

	// A CPF whose check digits are wrong is refused on the page; a valid CPF that is not a signer's by
	// the server, whose detail the page shows.
	typeCPF("12345678900")
	ensureTicked(true)
	b.do("sign with a malformed CPF", chromedp.Click(chromedp.ID("sign-submit")), chromedp.WaitVisible(chromedp.ID("sign-error")))
	if msg := errorText(); !strings.Contains(msg, "CPF inválido") {
		t.Errorf("malformed CPF shows %q, want CPF inválido", msg)
	}
	typeCPF("11144477735")
	b.do("sign as a stranger",
		chromedp.Click(chromedp.ID("sign-submit")),
		chromedp.Poll[chromedp.Void](`document.getElementById('sign-error').textContent.includes('is not a signer')`))
	if msg := errorText(); !strings.Contains(msg, "não está entre as pessoas") || !strings.Contains(msg, "111.444.777-35 is not a signer") {
		t.Errorf("stranger's CPF shows %q, want the signer_not_found message and detail", msg)
	}
	if v := kpRun(b, "read aria-invalid", chromedp.AttributeValue(chromedp.ID("cpf"), "aria-invalid")); v.Value != "true" {
		t.Errorf("refused CPF: aria-invalid %q, want true", v.Value)
	}

	// Each signer signs in turn on this device, typing the CPF bare or with its dots and dash.
	for i, sg := range signers {
		if i%2 == 0 {
			typeCPF(string(sg.CPF))
		} else {
			typeCPF(sg.CPF.Format())
		}
		if i == 0 {
			// Without the agreement ticked, nothing is sent.
			ensureTicked(false)
			b.do("sign without agreeing", chromedp.Click(chromedp.ID("sign-submit")),
				chromedp.Poll[chromedp.Void](`document.getElementById('sign-error').textContent.includes('Li e concordo')`))
		}
		ensureTicked(true)
		b.do("sign as "+sg.Name, chromedp.Click(chromedp.ID("sign-submit")))
		if i < len(signers)-1 {
			b.do("the signature shows", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#signers li:nth-child(%d)[data-signed="true"]`, i+1))),
				chromedp.WaitVisible(chromedp.ID("sign-success")))
			if msg := kpRun(b, "read the confirmation", chromedp.Text(chromedp.ID("sign-success"))); msg != "Assinatura registrada para "+sg.Name+"." {
				t.Errorf("after %s signed: %q, want Assinatura registrada para %s.", sg.Name, msg, sg.Name)
			}
			if v := kpRun(b, "read the form", chromedp.Evaluate[string](`document.getElementById('cpf').value + '|' + document.getElementById('accept').checked`)); v != "|false" {
				t.Errorf("after a signature the form holds %q, want it cleared for the next signer", v)
			}
			if !kpRun(b, "read the error", chromedp.Evaluate[bool](`document.getElementById('sign-error').hidden`)) {
				t.Errorf("after a signature the error still shows: %q", errorText())
			}
		}
	}
	b.do("the final message shows", chromedp.WaitVisible(chromedp.ID("done")), chromedp.WaitNotVisible(chromedp.ID("sign")))
	if msg := kpRun(b, "read the final message", chromedp.Text(chromedp.ID("done-text"))); msg != "Todas as assinaturas foram coletadas. O valor será liberado por Pix." {
		t.Errorf("final message %q", msg)
	}
	if !kpRun(b, "read the document section", chromedp.Evaluate[bool](`document.getElementById('reading').hidden && !document.getElementById('signed-hint').hidden`)) {
		t.Error("once all have signed the page still offers the PDF, which the spent link no longer serves")
	}
	list = kpRun(b, "read the signers", chromedp.Evaluate[[]spSigner](spSignersJS))
	stored, err = en.store.Loan(ctx, scope, loan.ID)
	if err != nil {
		t.Fatalf("store.Loan: %v", err)
	}
	for i, sg := range stored.Signers {
		if sg.SignedAt == nil {
			t.Errorf("signer %s: not signed in the store", sg.Name)
			continue
		}
		if i < len(list) {
			at := "Assinado em " + sg.SignedAt.In(brasilia).Format("02/01/2006 15:04")
			if list[i].Signed != "true" || !strings.Contains(list[i].Text, at) {
				t.Errorf("signer %d after signing: %+v, want %q", i, list[i], at)
			}
		}
		if sg.IP == "" || (!strings.Contains(sg.UserAgent, "Chrome") && !strings.Contains(sg.UserAgent, "HeadlessChrome")) ||
			sg.DocumentSHA256 != ccbHash {
			t.Errorf("signer %s recorded ip=%q user_agent=%q document_sha256=%q, want an IP, Chrome and %s",
				sg.Name, sg.IP, sg.UserAgent, sg.DocumentSHA256, ccbHash)
		}
	}
	violations := kpRun(b, "read CSP violations", chromedp.Evaluate[[]string](`window.__cspViolations || []`))
	for _, v := range violations {
		t.Errorf("Content-Security-Policy violation: %s", v)
	}
	stores := kpRun(b, "read storage", chromedp.Evaluate[int](`localStorage.length + sessionStorage.length + document.cookie.length`))
	if stores != 0 {
		t.Errorf("the page stored something in the browser (%d entries or cookie bytes)", stores)
	}

	// The loan left awaiting_signatures: its link is gone, the money is on its way and then lands.
	r = en.do("GET", "/api/v3/loans/"+loan.ID, "", bearer(tok)...)
	if r.status != http.StatusOK {
		t.Fatalf("GET loan: %d %s", r.status, r.body)
	}
	if l := decode[wire.Loan](t, r); (l.Status != "processing" && l.Status != "active") || l.SigningURL != nil {
		t.Errorf("loan after the last signature: status %s, signing_url %v; want processing (or already active) and null", l.Status, l.SigningURL)
	}
	eventually(t, "loan "+loan.ID+" active", func() bool {
		r := en.do("GET", "/api/v3/loans/"+loan.ID, "", bearer(tok)...)
		return r.status == http.StatusOK && decode[wire.Loan](t, r).Status == "active"
	})
	r = en.do("GET", "/api/v3/loans/"+loan.ID+"/ccb", "", bearer(tok)...)
	if sum := sha256.Sum256(r.body); r.status != http.StatusOK || hex.EncodeToString(sum[:]) != ccbHash {
		t.Errorf("the CCB after signing: %d, SHA-256 %x; want the same document, %s", r.status, sum, ccbHash)
	}

	// Opening the link again: the signing session is over.
	b.do("reopen the signing link", chromedp.Navigate(signingURL))
	b.do("the link is over", chromedp.WaitVisible(chromedp.ID("fatal")))
	if title := kpRun(b, "read the error", chromedp.Text(chromedp.ID("fatal-title"))); title != "Link inválido ou expirado" {
		t.Errorf("reopened link shows %q, want Link inválido ou expirado", title)
	}
	if detail := kpRun(b, "read the error detail", chromedp.Text(chromedp.ID("fatal-detail"))); detail == "" {
		t.Error("reopened link shows no problem detail")
	}
	if hidden := kpRun(b, "form hidden", chromedp.Evaluate[bool](`document.getElementById('sign').hidden && document.getElementById('contract').hidden`)); !hidden {
		t.Error("the finished link still shows the contract or the form")
	}
	violations = kpRun(b, "read CSP violations", chromedp.Evaluate[[]string](`window.__cspViolations || []`))
	for _, v := range violations {
		t.Errorf("Content-Security-Policy violation: %s", v)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser: %s", p)
	}
	var posts, pdfs int
	for _, req := range b.requests {
		if req.referer != "" {
			t.Errorf("%s %s sent Referer %q; the page must send none", req.method, req.url, req.referer)
		}
		if (strings.HasPrefix(req.url, "http:") || strings.HasPrefix(req.url, "https:")) && !strings.HasPrefix(req.url, en.url+"/") {
			t.Errorf("%s %s: a request to another origin", req.method, req.url)
		}
		if req.method == "POST" && req.url == signingURL+"/signatures" {
			posts++
		}
		if req.url == signingURL+"/ccb.pdf" {
			pdfs++
		}
	}
	// The stranger's CPF and one per signer; the malformed CPF and the missing agreement were never sent.
	if posts != len(signers)+1 {
		t.Errorf("the page sent %d signatures, want %d", posts, len(signers)+1)
	}
	if pdfs == 0 {
		t.Error("the page never fetched the CCB")
	}
}
