package httpapi_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/wire"
)

// customerWire is a Customer as the API sends it.
type customerWire = wire.Customer

// Magic sandbox numbers (docs/sandbox.md).
var (
	// applicantCPF is an ordinary CPF: the sandbox verifier approves it.
	applicantCPF = "529.982.247-25"
	meiCNPJ      = providers.ExampleCNPJ(lending.LegalNatureMEI).Format()
	ltdaCNPJ     = providers.ExampleCNPJ(lending.LegalNatureLTDA).Format()
)

// cpfEnding returns a valid formatted CPF whose 9-digit base ends in suffix (a sandbox magic value).
func cpfEnding(suffix string) string {
	base := "123456" + suffix
	return lending.CPFWithCheckDigits(base[len(base)-9:]).Format()
}

// pngFile is a real 400x400 PNG, large enough for the server to read.
var pngFile = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 400))
	for y := range 400 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

// pdfFile is a small, whole PDF.
var pdfFile = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

func (en *env) createCustomer(tok, body string) customerWire {
	en.t.Helper()
	r := en.do("POST", "/api/v3/customers", body, bearer(tok)...)
	if r.status != http.StatusCreated {
		en.t.Fatalf("create customer %s: %d %s", body, r.status, r.body)
	}
	return decode[customerWire](en.t, r)
}

func (en *env) getCustomer(tok, id string) customerWire {
	en.t.Helper()
	r := en.do("GET", "/api/v3/customers/"+id, "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("get customer %s: %d %s", id, r.status, r.body)
	}
	return decode[customerWire](en.t, r)
}

// waitStatus waits until customer id has status.
func (en *env) waitStatus(tok, id, status string) customerWire {
	en.t.Helper()
	var c customerWire
	eventually(en.t, "customer "+id+" "+status, func() bool {
		c = en.getCustomer(tok, id)
		return c.Status == status
	})
	return c
}

// part is one multipart part: a text field, or a file when file is not nil.
type part struct {
	name, value string
	file        []byte
}

func multipartBody(parts ...part) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		if p.file != nil {
			w, _ := mw.CreateFormFile(p.name, "blob")
			_, _ = w.Write(p.file)
			continue
		}
		_ = mw.WriteField(p.name, p.value)
	}
	_ = mw.Close()
	return b.String(), mw.FormDataContentType()
}

// upload posts a multipart KYC upload to path (relative to the customer) with tok.
func (en *env) upload(tok, customerID, path string, parts ...part) response {
	en.t.Helper()
	body, ct := multipartBody(parts...)
	return en.do("POST", "/api/v3/customers/"+customerID+"/kyc-attachments"+path, body, append(bearer(tok), "Content-Type", ct)...)
}

// sessionToken opens a biometrics session for customer id and exchanges its code the way the hosted page
// does, returning the customer session token.
func (en *env) sessionToken(tok, id string) string {
	en.t.Helper()
	r := en.do("POST", "/api/v3/customers/"+id+"/biometrics", "{}", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("biometrics session for %s: %d %s", id, r.status, r.body)
	}
	var bs struct {
		SessionURL string `json:"session_url"`
	}
	_ = json.Unmarshal(r.body, &bs)
	u, err := url.Parse(bs.SessionURL)
	if err != nil || !strings.HasPrefix(bs.SessionURL, en.url+"/kyc/") {
		en.t.Fatalf("session_url %q does not lead to the hosted page", bs.SessionURL)
	}
	code := u.Query().Get("code")
	r = en.do("POST", "/kyc/exchange", `{"code":"`+code+`"}`)
	if r.status != http.StatusOK {
		en.t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	var g struct {
		AccessToken string `json:"access_token"`
		CustomerID  string `json:"customer_id"`
	}
	_ = json.Unmarshal(r.body, &g)
	if g.CustomerID != id {
		en.t.Fatalf("exchange gave customer %s, want %s", g.CustomerID, id)
	}
	return g.AccessToken
}

// submitAll uploads evidence for every requirement of c that is not accepted: identity as a physical
// CNH, selfies through the session token, e-mails by value, documents as PDF.
func (en *env) submitAll(tok, sessionTok string, c customerWire) {
	en.t.Helper()
	for _, req := range c.KYC {
		if req.Submitted != nil && req.Submitted.ReviewStatus == "accepted" {
			continue
		}
		var rs []response
		id := part{name: "requirement_id", value: req.RequirementID}
		switch req.RequirementType {
		case "identity":
			for _, slot := range []string{"front", "back"} {
				rs = append(rs, en.upload(tok, c.ID, "", part{name: "evidence_type", value: "cnh"}, id,
					part{name: "attachment_type", value: slot}, part{name: "file", file: pngFile}))
			}
		case "selfie":
			rs = append(rs, en.upload(sessionTok, c.ID, "/selfie", id, part{name: "file", file: pngFile}))
		case "email":
			rs = append(rs, en.upload(tok, c.ID, "", part{name: "evidence_type", value: "email"}, id,
				part{name: "attachment_type", value: "email"}, part{name: "value", value: "socio@empresa.com.br"}))
		default:
			ev := map[string]string{"proof_of_address": "proof_of_address", "company_document": "ccmei",
				"income_statement": "income_statement", "articles_of_association": "articles_of_association",
				"eireli_incorporation_statement": "eireli_incorporation_statement", "ei_mei_documents": "ei_mei"}[req.RequirementType]
			slot := "file"
			if ev == "ei_mei" {
				slot = "ei_registration_requirement"
			}
			rs = append(rs, en.upload(tok, c.ID, "", part{name: "evidence_type", value: ev}, id,
				part{name: "attachment_type", value: slot}, part{name: "file", file: pdfFile}))
		}
		for _, r := range rs {
			if r.status != http.StatusCreated {
				en.t.Fatalf("upload for %s: %d %s", req.RequirementID, r.status, r.body)
			}
		}
	}
}

// hook is one webhook a receiver got, decoded.
type hook struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	raw  received
}

// hooksFor returns the customer events rc got about customer id, in arrival order, after checking each
// against its schema.
func (en *env) hooksFor(t *testing.T, rc *receiver, id string) []hook {
	t.Helper()
	var out []hook
	seen := map[string]bool{}
	for _, g := range rc.on("/hook") {
		var h hook
		if err := json.Unmarshal(g.body, &h); err != nil {
			t.Fatalf("webhook body %q: %v", g.body, err)
		}
		var d struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(h.Data, &d)
		if d.ID != id || seen[g.header.Get("webhook-id")] {
			continue // another customer's, or a repeat: delivery is at least once
		}
		seen[g.header.Get("webhook-id")] = true
		if err := en.validator.ValidateEvent(h.Type, g.body); err != nil {
			t.Errorf("%s: %v\n%s", h.Type, err, g.body)
		}
		h.raw = g
		out = append(out, h)
	}
	return out
}

// waitHook waits until rc got an event of type typ about customer id and returns the last one.
func (en *env) waitHook(t *testing.T, rc *receiver, id, typ string) hook {
	t.Helper()
	var got hook
	eventually(t, typ+" for "+id, func() bool {
		for _, h := range en.hooksFor(t, rc, id) {
			if h.Type == typ {
				got = h
				return true
			}
		}
		return false
	})
	return got
}
