package httpapi_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// kycTarget is the in-process API with one MEI customer of its partner waiting for KYC evidence.
type kycTarget struct {
	ip *inProcess
	// path is the customer's kyc-attachments route.
	path             string
	identity, selfie string
}

func newKYCTarget(tb testing.TB) kycTarget {
	tb.Helper()
	ip := newInProcess(tb, storetest.SQLiteDSN(tb))
	ctx := context.Background()
	svc := ip.platform.Customers
	cr, err := svc.Store.CredentialByClientID(ctx, ip.cred.id)
	if err != nil {
		tb.Fatal(err)
	}
	c, _, err := svc.Register(ctx, cr.Scope(), lending.NewCustomerInput{
		CPF: applicantCPF, CNPJ: meiCNPJ, Email: "financeiro@empresa.com.br", Phone: "+5511987654321"})
	if err != nil {
		tb.Fatal(err)
	}
	w := &customers.EnrichWorker{Service: svc, Registry: providers.SandboxRegistry{}}
	if err := w.Work(ctx, &river.Job[jobs.EnrichCustomer]{Args: jobs.EnrichCustomer{CustomerID: c.ID}}); err != nil {
		tb.Fatal(err)
	}
	if c, err = svc.Store.Customer(ctx, cr.Scope(), c.ID); err != nil || c.Status != lending.CustomerPendingKYC {
		tb.Fatalf("customer after enrichment: %+v, %v", c, err)
	}
	kt := kycTarget{ip: ip, path: "/api/v3/customers/" + c.ID + "/kyc-attachments"}
	for _, r := range c.KYC {
		switch r.Type {
		case lending.ReqIdentity:
			kt.identity = r.ID
		case lending.ReqSelfie:
			kt.selfie = r.ID
		}
	}
	return kt
}

// post sends body with content type ct (none when "") to the customer's kyc-attachments route.
func (kt kycTarget) post(ct string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", kt.path, bytes.NewReader(body))
	r.Header["Authorization"] = []string{"Bearer " + kt.ip.token}
	if ct != "" {
		r.Header["Content-Type"] = []string{ct}
	}
	return kt.ip.serve(r)
}

// FuzzKYCUpload throws arbitrary content types and bodies at POST /customers/{id}/kyc-attachments for a
// customer waiting for KYC evidence: the answer is an upload (201) or a well-formed problem among the
// statuses the operation documents, never a 5xx or a panic.
func FuzzKYCUpload(f *testing.F) {
	kt := newKYCTarget(f)
	identity, selfie := kt.identity, kt.selfie

	png := smallPNG(200, 200)
	ev := func(v string) part { return part{name: "evidence_type", value: v} }
	req := func(v string) part { return part{name: "requirement_id", value: v} }
	slot := func(v string) part { return part{name: "attachment_type", value: v} }
	file := func(b []byte) part { return part{name: "file", file: b} }
	doc, docCT := multipartBody(ev("ccmei"), req("company_document"), slot("file"), file(pdfFile))
	front, frontCT := multipartBody(ev("cnh"), req(identity), slot("front"), file(png))
	digital, digitalCT := multipartBody(ev("cnh"), req(identity), slot("file"), file(pdfFile))
	email, emailCT := multipartBody(ev("email"), req("email_x"), slot("email"), part{name: "value", value: "socio@empresa.com.br"})
	self, selfCT := multipartBody(ev("selfie"), req(selfie), slot("photo"), file(png))
	huge, hugeCT := multipartBody(ev("cnh"), req(strings.Repeat("r", 8<<10)), slot("front"), file(png))
	dup, dupCT := multipartBody(ev("cnh"), ev("rg"), req(identity), slot("front"), file(png), file(png))
	both, bothCT := multipartBody(ev("cnh"), req(identity), slot("back"), part{name: "value", value: "x@y.com"}, file(png))
	for _, s := range []struct{ ct, body string }{
		{docCT, doc},
		{frontCT, front},
		{digitalCT, digital},
		{emailCT, email},
		{selfCT, self},
		{hugeCT, huge},
		{dupCT, dup},
		{bothCT, both},
		{docCT, doc[:len(doc)/2]}, // truncated inside the file
		{docCT, strings.TrimSuffix(doc, "--\r\n")},   // no closing boundary
		{"multipart/form-data; boundary=other", doc}, // a boundary the body does not use
		{"multipart/form-data; boundary=\"" + strings.TrimPrefix(docCT, "multipart/form-data; boundary=") + "\"", doc},
		{"multipart/form-data", doc}, // no boundary
		{"multipart/form-data; boundary=x; boundary=y", "--x\r\n\r\n--x--"},
		{"multipart/mixed; boundary=x", "--x--"},
		{"application/json", `{"evidence_type":"cnh"}`},
		{"", ""},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--x--\r\n"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"evidence_type\"\r\n\r\n\xff\xfe\r\n--x--\r\n"},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	// The valid seeds are uploads indeed, so the fuzzer starts from the whole path to the store.
	for _, s := range []struct{ ct, body string }{{docCT, doc}, {frontCT, front}, {digitalCT, digital}} {
		if rec := kt.post(s.ct, []byte(s.body)); rec.Code != 201 {
			f.Fatalf("seed upload: %d %s", rec.Code, rec.Body)
		}
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		rec := kt.post(ct, body)
		checkAnswer(t, rec)
		switch rec.Code {
		case 201, 400, 403, 409, 413, 415, 422:
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}

// bombPNG is a 72-byte PNG whose header announces 7000×7000 pixels of 16-bit RGBA (49 megapixels, under
// upload.MaxImagePixels), followed by a few bytes of pixel data.
func bombPNG() []byte {
	var b bytes.Buffer
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 7000)
	binary.BigEndian.PutUint32(ihdr[4:], 7000)
	ihdr[8], ihdr[9] = 16, 6 // bit depth 16, colour type RGBA
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 10))
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// TestKYCUploadMemoryIsBounded: a tiny upload must not make the server allocate hundreds of megabytes.
// A PNG header may announce up to upload.MaxImagePixels pixels, and decoding allocates the whole bitmap
// (8 bytes a pixel for 16-bit RGBA) before it finds that the pixel data is missing; a few such requests
// at once exhaust the server's memory. Not parallel: it measures the process's allocations.
func TestKYCUploadMemoryIsBounded(t *testing.T) {
	kt := newKYCTarget(t)
	bomb := bombPNG()
	body, ct := multipartBody(part{name: "evidence_type", value: "cnh"}, part{name: "requirement_id", value: kt.identity},
		part{name: "attachment_type", value: "front"}, part{name: "file", file: bomb})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := kt.post(ct, []byte(body))
	runtime.ReadMemStats(&after)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), `"invalid_file"`) {
		t.Errorf("a PNG without its pixels: %d %s, want 422 invalid_file", rec.Code, rec.Body)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("a %d-byte upload made the server allocate %d MiB; the image check must refuse an image whose header "+
			"announces far more pixels than its file can hold before decoding it", len(bomb), alloc>>20)
	}
}
