package openapitest

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// contractEventTypes are the 15 event types of contract.md §8.1, the only ones the server may send.
var contractEventTypes = []string{
	"customer.created",
	"customer.under_review",
	"customer.active",
	"customer.denied",
	"customer.kyc_updated",
	"credit_offer.available",
	"credit_offer.expired",
	"loan.created",
	"loan.signature_received",
	"loan.processing",
	"loan.active",
	"loan.payment_received",
	"loan.finished",
	"loan.cancelled",
	"loan.error",
}

// eventSchemaRefs returns the document's x-event-schemas map: event type → `#/components/schemas/…`.
func eventSchemaRefs(t *testing.T, doc map[string]any) map[string]string {
	t.Helper()
	raw, ok := doc["x-event-schemas"].(map[string]any)
	if !ok {
		t.Fatalf("x-event-schemas is a %T, want a map", doc["x-event-schemas"])
	}
	refs := map[string]string{}
	for typ, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("x-event-schemas[%q] is a %T, want a string", typ, v)
		}
		refs[typ] = s
	}
	return refs
}

// compileEventSchemas compiles the envelope schema of every event type, and the WebhookEvent
// schema (any envelope) under the key "".
func compileEventSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	doc := loadDoc(t)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]*jsonschema.Schema{}
	refs := eventSchemaRefs(t, doc)
	refs[""] = "#/components/schemas/WebhookEvent"
	for typ, ref := range refs {
		ptr, ok := strings.CutPrefix(ref, "#")
		if !ok {
			t.Fatalf("x-event-schemas[%q] = %q is not a local reference", typ, ref)
		}
		sch, err := c.Compile(docURL + "#" + encodePointer(ptr))
		if err != nil {
			t.Fatalf("event %q: %v", typ, err)
		}
		out[typ] = sch
	}
	return out
}

// decodeInstance turns JSON into a value the schemas validate (numbers as json.Number).
func decodeInstance(t *testing.T, js string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(js))
	if err != nil {
		t.Fatalf("invalid JSON %s: %v", js, err)
	}
	return v
}

func TestWebhookEventSchemaMap(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	refs := eventSchemaRefs(t, doc)
	want := slices.Sorted(slices.Values(contractEventTypes))
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(refs))); diff != "" {
		t.Fatalf("x-event-schemas types (-contract +document):\n%s", diff)
	}

	envelopeFields := []string{"api_version", "created_at", "data", "delivery_id", "id", "timestamp", "type"}
	name := regexp.MustCompile(`^#/components/schemas/WebhookEvent_[A-Z][A-Za-z]+$`)
	seen := map[string]string{}
	for _, typ := range contractEventTypes {
		ref := refs[typ]
		if !name.MatchString(ref) {
			t.Errorf("%s: x-event-schemas ref %q is not #/components/schemas/WebhookEvent_<Name>", typ, ref)
			continue
		}
		if prev, dup := seen[ref]; dup {
			t.Errorf("%s and %s share the schema %s; each type has its own", prev, typ, ref)
		}
		seen[ref] = typ
		v, err := lookup(doc, strings.TrimPrefix(ref, "#"))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		sch := v.(map[string]any)
		props, _ := sch["properties"].(map[string]any)
		typeProp, _ := props["type"].(map[string]any)
		if typeProp["const"] != typ {
			t.Errorf("%s: %s has type const %v", typ, ref, typeProp["const"])
		}
		apiVersion, _ := props["api_version"].(map[string]any)
		if apiVersion["const"] != "2026-03-01" {
			t.Errorf("%s: api_version const is %v, want 2026-03-01", typ, apiVersion["const"])
		}
		var required []string
		for _, r := range sch["required"].([]any) {
			required = append(required, r.(string))
		}
		if diff := cmp.Diff(envelopeFields, slices.Sorted(slices.Values(required))); diff != "" {
			t.Errorf("%s: required envelope fields (-want +got):\n%s", typ, diff)
		}
		if sch["additionalProperties"] != false {
			t.Errorf("%s: the envelope allows additional properties", typ)
		}
	}

	// The webhooks section has one POST per type, whose body is the same schema.
	hooks, _ := doc["webhooks"].(map[string]any)
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(hooks))); diff != "" {
		t.Errorf("webhooks section (-contract +document):\n%s", diff)
	}
	for _, typ := range contractEventTypes {
		item, _ := hooks[typ].(map[string]any)
		post, ok := item["post"].(map[string]any)
		if !ok {
			t.Errorf("webhooks[%s] has no post operation", typ)
			continue
		}
		body, _ := post["requestBody"].(map[string]any)
		content, _ := body["content"].(map[string]any)
		media, _ := content["application/json"].(map[string]any)
		schema, _ := media["schema"].(map[string]any)
		if schema["$ref"] != refs[typ] {
			t.Errorf("webhooks[%s] body schema = %v, want $ref %s", typ, schema["$ref"], refs[typ])
		}
		examples, _ := media["examples"].(map[string]any)
		if len(examples) == 0 {
			t.Errorf("webhooks[%s] has no example", typ)
		}
		var params []string
		for _, p := range post["parameters"].([]any) {
			params = append(params, p.(map[string]any)["$ref"].(string))
		}
		wantParams := []string{
			"#/components/parameters/WebhookIdHeader",
			"#/components/parameters/WebhookTimestampHeader",
			"#/components/parameters/WebhookSignatureHeader",
		}
		if diff := cmp.Diff(wantParams, params); diff != "" {
			t.Errorf("webhooks[%s] parameters (-want +got):\n%s", typ, diff)
		}
		if sec, ok := post["security"].([]any); !ok || len(sec) != 0 {
			t.Errorf("webhooks[%s]: security = %v, want [] (deliveries are authenticated by their signature)", typ, post["security"])
		}
	}

	// The type enum, and the discriminated union of every envelope, name the same 15 types.
	var enum []string
	for _, e := range mustLookup(t, doc, "/components/schemas/WebhookEventType/enum").([]any) {
		enum = append(enum, e.(string))
	}
	if diff := cmp.Diff(contractEventTypes, enum); diff != "" {
		t.Errorf("WebhookEventType enum (-contract +document):\n%s", diff)
	}
	mapping := map[string]string{}
	for k, v := range mustLookup(t, doc, "/components/schemas/WebhookEvent/discriminator/mapping").(map[string]any) {
		mapping[k] = v.(string)
	}
	if diff := cmp.Diff(refs, mapping); diff != "" {
		t.Errorf("WebhookEvent discriminator mapping differs from x-event-schemas (-x-event-schemas +mapping):\n%s", diff)
	}
	var oneOf []string
	for _, s := range mustLookup(t, doc, "/components/schemas/WebhookEvent/oneOf").([]any) {
		oneOf = append(oneOf, s.(map[string]any)["$ref"].(string))
	}
	if diff := cmp.Diff(slices.Sorted(maps.Values(refs)), slices.Sorted(slices.Values(oneOf))); diff != "" {
		t.Errorf("WebhookEvent oneOf differs from x-event-schemas (-x-event-schemas +oneOf):\n%s", diff)
	}
}

func mustLookup(t *testing.T, doc map[string]any, ptr string) any {
	t.Helper()
	v, err := lookup(doc, ptr)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// validIDs replaces the contract examples' placeholder ids, which do not match the id patterns.
var validIDs = strings.NewReplacer(
	"evt_test_123", "evt_65ae97ff8320554da7e148cd2a2f7a6a",
	"dlv_test_123", "dlv_a385707c102b9abbd68f88f30d51c1cb",
	"cust_test_123", "cust_1d186d41ec8b5b92252d8472d166cac7",
	"co_test_123", "co_2765af80c958d16f2355081584dac1ae",
	"ln_test_123", "ln_4f3211eab3c9afbded22cd4a7d703a27",
)

// envelope wraps the data of one event in a full envelope, with the placeholder ids made valid.
func envelope(typ, data string) string {
	return validIDs.Replace(`{"id":"evt_test_123","type":"` + typ + `","api_version":"2026-03-01",` +
		`"created_at":1775253600,"delivery_id":"dlv_test_123","timestamp":1775253600,"data":` + data + `}`)
}

// contractExamples are the example payloads of contract.md §8.1, verbatim but for the ids, plus one
// built from its field tables for each of the three types the contract shows no example of.
var contractExamples = map[string]string{
	// The contract shows this one with its whole envelope.
	"customer.created": validIDs.Replace(`{ "id": "evt_test_123", "type": "customer.created", "api_version": "2026-03-01",
  "created_at": 1775253600, "delivery_id": "dlv_test_123", "timestamp": 1775253600,
  "data": { "id": "cust_test_123", "external_id": null, "name": "Acme Pagamentos Ltda",
            "email": "ops@acme.test", "phone": "+5511999999999", "cpf": "123.456.789-00",
            "cnpj": "12.345.678/0001-90", "trading_name": "Acme", "status": "pending_kyc",
            "kyc": [ { "requirement_id": "identity_003XXXXXXXXXXXXXXX", "requirement_type": "identity",
                       "label": "Documento de identidade", "mandatory": true,
                       "subject": { "id": "003XXXXXXXXXXXXXXX", "name": "Joao Silva", "subject_type": "applicant" } } ] } }`),
	"customer.under_review":   envelope("customer.under_review", `{"id":"cust_test_123","external_id":"partner-ref-1","status":"under_review"}`),
	"customer.denied":         envelope("customer.denied", `{"id":"cust_test_123","external_id":null,"name":"Acme Pagamentos Ltda","email":"ops@acme.test","phone":"+5511999999999","cpf":"123.456.789-00","cnpj":"12.345.678/0001-90","status":"denied"}`),
	"credit_offer.available":  envelope("credit_offer.available", `{"id":"co_test_123","customer_id":"cust_test_123","external_id":"partner-ref-123","status":"available","approved_amount":50000,"min_amount":1000,"monthly_interest_rate":2.5,"installments":12,"due_date_rule":null,"valid_until":1775340000}`),
	"loan.created":            envelope("loan.created", `{"id":"ln_test_123","credit_offer_id":"co_test_123","customer_id":"cust_test_123","status":"awaiting_signatures","requested_amount":10000,"installment_count":12,"signing_url":"https://clicksign.test/sign/abc"}`),
	"loan.signature_received": envelope("loan.signature_received", `{"id":"ln_test_123","status":"awaiting_signatures","signer":{"name":"João Silva","cpf":"123.456.789-00","signed_at":1775253600},"signatures_received":1,"signatures_required":2}`),
	"loan.processing":         envelope("loan.processing", `{"id":"ln_test_123","credit_offer_id":"co_test_123","customer_id":"cust_test_123","status":"processing","ccb_number":"CCB-2026-0001","disbursement_method":"pix"}`),
	"loan.active":             envelope("loan.active", `{"id":"ln_test_123","status":"active","requested_amount":10000,"principal_amount":10250}`),
	"loan.payment_received":   envelope("loan.payment_received", `{"id":"ln_test_123","status":"active","payment":{"amount":875.5,"paid_at":1775253600,"installment_number":1}}`),
	"loan.finished":           envelope("loan.finished", `{"id":"ln_test_123","status":"finished"}`),
	"loan.cancelled":          envelope("loan.cancelled", `{"id":"ln_test_123","status":"cancelled"}`),
	"loan.error":              envelope("loan.error", `{"id":"ln_test_123","status":"error","error":{"code":"disbursement_failed","message":"Bank rejected the transfer."}}`),

	// Not among the contract's examples; built from the §8.1 and §6.15 tables.
	"customer.active": envelope("customer.active", `{"id":"cust_test_123","external_id":null,"status":"active"}`),
	"customer.kyc_updated": envelope("customer.kyc_updated", `{"id":"cust_test_123","external_id":"partner-ref-1","status":"pending_kyc","kyc":[`+
		`{"requirement_id":"identity_003XXXXXXXXXXXXXXX","requirement_type":"identity","label":"Documento de identidade","mandatory":true,`+
		`"subject":{"id":"003XXXXXXXXXXXXXXX","name":"Joao Silva","subject_type":"applicant"},`+
		`"submitted":{"evidence_type":"cnh","attachments":[{"attachment_type":"front","submitted":true},{"attachment_type":"back","submitted":false}],"review_status":"pending","review_reason":null}},`+
		`{"requirement_id":"selfie_003XXXXXXXXXXXXXXX","requirement_type":"selfie","label":"Selfie","mandatory":true,`+
		`"subject":{"id":"003XXXXXXXXXXXXXXX","name":"Joao Silva","subject_type":"applicant"},`+
		`"submitted":{"evidence_type":"selfie","attachments":[{"attachment_type":"photo","submitted":true}],"review_status":"accepted","review_reason":null}},`+
		`{"requirement_id":"proof_of_address_003XXXXXXXXXXXXXXX","requirement_type":"proof_of_address","label":"Comprovante de endereço","mandatory":true,`+
		`"subject":{"id":"003XXXXXXXXXXXXXXX","name":"Joao Silva","subject_type":"applicant"},`+
		`"submitted":{"evidence_type":"proof_of_address","attachments":[{"attachment_type":"file","submitted":true}],"review_status":"rejected","review_reason":"Older than 90 days."}},`+
		`{"requirement_id":"email_004YYYYYYYYYYYYYYY","requirement_type":"email","label":"Email do co-titular para assinatura da CCB","mandatory":false,`+
		`"subject":{"id":"004YYYYYYYYYYYYYYY","name":"Maria Souza","subject_type":"co_owner"}},`+
		`{"requirement_id":"company_document","requirement_type":"company_document","label":"Documento da empresa","mandatory":true,`+
		`"submitted":{"evidence_type":"ccmei","attachments":[{"attachment_type":"file","submitted":true}],"review_status":"pending","review_reason":null}},`+
		`{"requirement_id":"ei_mei_documents","requirement_type":"ei_mei_documents","label":"Documentos de EI/MEI","mandatory":true,`+
		`"submitted":{"evidence_type":"ei_mei","attachments":[{"attachment_type":"ei_registration_requirement","submitted":true},{"attachment_type":"ccmei","submitted":false}],"review_status":"pending","review_reason":null}},`+
		`{"requirement_id":"income_statement","requirement_type":"income_statement","label":"Declaração de faturamento","mandatory":true},`+
		`{"requirement_id":"articles_of_association","requirement_type":"articles_of_association","label":"Contrato social","mandatory":true},`+
		`{"requirement_id":"eireli_incorporation_statement","requirement_type":"eireli_incorporation_statement","label":"Ato constitutivo de EIRELI","mandatory":false}]}`),
	"credit_offer.expired": envelope("credit_offer.expired", `{"id":"co_test_123","customer_id":"cust_test_123","external_id":null,"status":"expired","approved_amount":50000,"min_amount":1000,"monthly_interest_rate":2.5,"installments":12,"valid_until":1775340000}`),
}

// TestWebhookContractExamples validates an example of every event type against its type's schema,
// and against the schema of any envelope.
func TestWebhookContractExamples(t *testing.T) {
	t.Parallel()
	schemas := compileEventSchemas(t)
	if diff := cmp.Diff(slices.Sorted(slices.Values(contractEventTypes)), slices.Sorted(maps.Keys(contractExamples))); diff != "" {
		t.Fatalf("examples cover (-want +got):\n%s", diff)
	}
	for _, typ := range contractEventTypes {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			inst := decodeInstance(t, contractExamples[typ])
			if got := inst.(map[string]any)["type"]; got != typ {
				t.Fatalf("the example's type is %v", got)
			}
			if err := schemas[typ].Validate(inst); err != nil {
				t.Errorf("the %s example does not match %s:\n%v", typ, typ, err)
			}
			if err := schemas[""].Validate(inst); err != nil {
				t.Errorf("the %s example does not match WebhookEvent:\n%v", typ, err)
			}
			// It matches no other type's envelope.
			for _, other := range contractEventTypes {
				if other != typ && schemas[other].Validate(inst) == nil {
					t.Errorf("the %s example also matches the %s schema", typ, other)
				}
			}
		})
	}
}

// TestWebhookDocumentExamples validates the example of each webhook in the document by its type
// (TestDocumentExamplesMatchSchemas checks them too, by the schema next to them; this checks that
// the schema is the one of the right type).
func TestWebhookDocumentExamples(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	schemas := compileEventSchemas(t)
	for _, typ := range contractEventTypes {
		examples := mustLookup(t, doc, "/webhooks/"+escapeToken(typ)+"/post/requestBody/content/application~1json/examples").(map[string]any)
		for name, ex := range examples {
			value := ex.(map[string]any)["value"]
			if got := value.(map[string]any)["type"]; got != typ {
				t.Errorf("webhooks[%s] example %q has type %v", typ, name, got)
			}
			if err := schemas[typ].Validate(value); err != nil {
				t.Errorf("webhooks[%s] example %q: %v", typ, name, err)
			}
		}
	}
}

// TestWebhookEventNegative checks that the event schemas reject what the SDKs would choke on, and
// accept the optional and nullable fields left out or null.
func TestWebhookEventNegative(t *testing.T) {
	t.Parallel()
	schemas := compileEventSchemas(t)
	set := func(path string, v any) func(map[string]any) {
		return func(m map[string]any) {
			keys := strings.Split(path, ".")
			var cur any = m
			for _, k := range keys[:len(keys)-1] {
				switch c := cur.(type) {
				case map[string]any:
					cur = c[k]
				case []any:
					var i int
					for _, ch := range k {
						i = i*10 + int(ch-'0')
					}
					cur = c[i]
				}
			}
			obj := cur.(map[string]any)
			last := keys[len(keys)-1]
			if v == deleteKey {
				delete(obj, last)
			} else {
				obj[last] = v
			}
		}
	}
	tests := []struct {
		name   string
		typ    string // the example to start from
		schema string // the schema to validate with; typ when empty
		change func(map[string]any)
		valid  bool
		where  string // a word the error names, when not valid
	}{
		// The envelope.
		{"unknown envelope field", "loan.finished", "", set("object", "event"), false, "object"},
		{"missing delivery_id", "loan.finished", "", set("delivery_id", deleteKey), false, "delivery_id"},
		{"placeholder event id", "loan.finished", "", set("id", "evt_test_123"), false, "/id"},
		{"delivery id without prefix", "loan.finished", "", set("delivery_id", "a385707c102b9abbd68f88f30d51c1cb"), false, "/delivery_id"},
		{"other api_version", "loan.finished", "", set("api_version", "2025-01-01"), false, "/api_version"},
		{"timestamp as ISO string", "loan.finished", "", set("timestamp", "2026-04-03T12:00:00Z"), false, "/timestamp"},
		{"created_at with a fraction", "loan.finished", "", set("created_at", json.Number("1775253600.5")), false, "/created_at"},
		{"unknown type", "loan.finished", "", set("type", "loan.disbursed"), false, "/type"},
		{"checked against another type", "loan.finished", "loan.cancelled", nil, false, "/type"},
		{"data missing", "loan.finished", "", set("data", deleteKey), false, "data"},

		// customer.created.
		{"customer.created without kyc", "customer.created", "", set("data.kyc", deleteKey), false, "kyc"},
		{"customer.created with status active", "customer.created", "", set("data.status", "active"), false, "/data/status"},
		{"customer.created with a null name", "customer.created", "", set("data.name", nil), false, "/data/name"},
		{"customer.created with a null trading_name", "customer.created", "", set("data.trading_name", nil), false, "/data/trading_name"},
		{"customer.created without external_id", "customer.created", "", set("data.external_id", deleteKey), false, "external_id"},
		{"customer.created with an unformatted cpf", "customer.created", "", set("data.cpf", "12345678900"), false, "/data/cpf"},
		{"customer.created with an unformatted cnpj", "customer.created", "", set("data.cnpj", "12345678000190"), false, "/data/cnpj"},
		{"customer.created without cnpj", "customer.created", "", set("data.cnpj", deleteKey), true, ""},
		{"customer.created with a null cnpj", "customer.created", "", set("data.cnpj", nil), true, ""},
		{"customer.created with an unknown data field", "customer.created", "", set("data.tax_id", "x"), false, "tax_id"},
		{"customer.created with created_at in data", "customer.created", "", set("data.created_at", json.Number("1775253600")), false, "created_at"},
		{"customer.created with a customer id of another prefix", "customer.created", "", set("data.id", "cus_1d186d41ec8b5b92252d8472d166cac7"), false, "/data/id"},

		// KYC requirements.
		{"person requirement without subject", "customer.created", "", set("data.kyc.0.subject", deleteKey), false, "/data/kyc/0"},
		{"company requirement with a subject", "customer.kyc_updated", "", set("data.kyc.4.subject",
			map[string]any{"id": "003XXXXXXXXXXXXXXX", "name": "Joao Silva", "subject_type": "applicant"}), false, "/data/kyc/4"},
		{"unknown requirement_type", "customer.created", "", set("data.kyc.0.requirement_type", "passport"), false, "/data/kyc/0"},
		{"unknown subject_type", "customer.created", "", set("data.kyc.0.subject.subject_type", "partner"), false, "/data/kyc/0"},
		{"identity with a passport", "customer.kyc_updated", "", set("data.kyc.0.submitted.evidence_type", "passport"), false, "/data/kyc/0"},
		{"identity with an RG", "customer.kyc_updated", "", set("data.kyc.0.submitted.evidence_type", "rg"), true, ""},
		{"RG as a single file", "customer.kyc_updated", "", func(m map[string]any) {
			set("data.kyc.0.submitted.evidence_type", "rg")(m)
			set("data.kyc.0.submitted.attachments.0.attachment_type", "file")(m)
		}, false, "/data/kyc/0"},
		{"digital CNH as a single file", "customer.kyc_updated", "", set("data.kyc.0.submitted.attachments",
			[]any{map[string]any{"attachment_type": "file", "submitted": true}}), true, ""},
		{"selfie with a front", "customer.kyc_updated", "", set("data.kyc.1.submitted.attachments.0.attachment_type", "front"), false, "/data/kyc/1"},
		{"submitted without review_reason", "customer.kyc_updated", "", set("data.kyc.0.submitted.review_reason", deleteKey), false, "/data/kyc/0"},
		{"submitted without attachments", "customer.kyc_updated", "", set("data.kyc.0.submitted.attachments", deleteKey), false, "/data/kyc/0"},
		{"unknown review_status", "customer.kyc_updated", "", set("data.kyc.0.submitted.review_status", "approved"), false, "/data/kyc/0"},
		{"company requirement_id of another kind", "customer.kyc_updated", "", set("data.kyc.4.requirement_id", "company_document_1"), false, "/data/kyc/4"},
		{"customer.kyc_updated with status denied", "customer.kyc_updated", "", set("data.status", "denied"), false, "/data/status"},

		// Statuses pinned by type.
		{"customer.under_review saying active", "customer.under_review", "", set("data.status", "active"), false, "/data/status"},
		{"customer.active saying under_review", "customer.active", "", set("data.status", "under_review"), false, "/data/status"},
		{"customer.denied saying active", "customer.denied", "", set("data.status", "active"), false, "/data/status"},
		{"credit_offer.expired saying available", "credit_offer.expired", "", set("data.status", "available"), false, "/data/status"},
		{"loan.cancelled saying finished", "loan.cancelled", "", set("data.status", "finished"), false, "/data/status"},
		{"loan.created saying processing", "loan.created", "", set("data.status", "processing"), false, "/data/status"},

		// Credit offers.
		{"credit offer with a range", "credit_offer.available", "", func(m map[string]any) {
			set("data.installments", deleteKey)(m)
			set("data.min_installments", json.Number("6"))(m)
			set("data.max_installments", json.Number("12"))(m)
		}, false, "installments"},
		{"credit offer without due_date_rule", "credit_offer.available", "", set("data.due_date_rule", deleteKey), true, ""},
		{"credit offer amount as a string", "credit_offer.available", "", set("data.approved_amount", "50000.00"), false, "/data/approved_amount"},
		{"credit offer valid_until as a date", "credit_offer.available", "", set("data.valid_until", "2026-05-01"), false, "/data/valid_until"},

		// Loans.
		{"loan.created with a null signing_url", "loan.created", "", set("data.signing_url", nil), false, "/data/signing_url"},
		{"loan.created without installment_count", "loan.created", "", set("data.installment_count", deleteKey), false, "installment_count"},
		{"signer without cpf", "loan.signature_received", "", set("data.signer.cpf", deleteKey), false, "cpf"},
		{"signature_received without signer", "loan.signature_received", "", set("data.signer", deleteKey), false, "signer"},
		{"loan.processing with a null ccb_number", "loan.processing", "", set("data.ccb_number", nil), false, "/data/ccb_number"},
		{"loan.active without principal_amount", "loan.active", "", set("data.principal_amount", deleteKey), false, "principal_amount"},
		{"payment amount as a string", "loan.payment_received", "", set("data.payment.amount", "875.50"), false, "/data/payment/amount"},
		{"payment without installment_number", "loan.payment_received", "", set("data.payment.installment_number", deleteKey), false, "installment_number"},
		{"loan.finished with an error", "loan.finished", "", set("data.error", map[string]any{"code": "x", "message": "y"}), false, "/data"},
		{"loan.error without error", "loan.error", "", set("data.error", deleteKey), false, "error"},
		{"loan.error error without message", "loan.error", "", set("data.error.message", deleteKey), false, "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := decodeInstance(t, contractExamples[tt.typ]).(map[string]any)
			if tt.change != nil {
				tt.change(inst)
			}
			schemaType := tt.schema
			if schemaType == "" {
				schemaType = tt.typ
			}
			err := schemas[schemaType].Validate(inst)
			switch {
			case tt.valid && err != nil:
				t.Fatalf("want valid, got:\n%v", err)
			case !tt.valid && err == nil:
				js, _ := json.Marshal(inst)
				t.Fatalf("want an error, the %s schema accepts %s", schemaType, js)
			case !tt.valid && !strings.Contains(err.Error(), tt.where):
				t.Fatalf("the error does not mention %q:\n%v", tt.where, err)
			}
			// Whatever the type's schema says, the union of all envelopes says the same.
			if tt.schema == "" {
				if uerr := schemas[""].Validate(inst); (uerr == nil) != (err == nil) {
					t.Errorf("WebhookEvent disagrees with the %s schema: %v vs %v", schemaType, uerr, err)
				}
			}
		})
	}
}

// deleteKey, given as the value to set, deletes the key instead.
var deleteKey = &struct{ name string }{"delete"}

const (
	endpoint = `{"id":"we_8364749eee838cdb06d58db7feeb2976","url":"https://partner.example.com/webhooks/dinie",` +
		`"events":["customer.active","loan.*"],"description":"","status":"active","created_at":1775253599,"updated_at":1775253599}`
	endpointWithSecret = `{"id":"we_8364749eee838cdb06d58db7feeb2976","url":"https://partner.example.com/webhooks/dinie",` +
		`"events":[],"description":"Production webhook","status":"active","secret":"whsec_pTNFeetimSG4xmU5D/avavvFFeBdA51Zlj8gQmK+Nqk=",` +
		`"created_at":1775253599,"updated_at":1775253599}`
	rotation = `{"id":"we_8364749eee838cdb06d58db7feeb2976","secret":"whsec_xUi8dz1xALwysR5JYh8FDgS8XR9XxxhspWLC982iQIQ=",` +
		`"previous_secret_expires_at":1775257199}`
	attemptOK      = `{"attempted_at":1775253600,"response_status":200,"duration_ms":184,"response_excerpt":"ok","error":null}`
	attemptTimeout = `{"attempted_at":1775253600,"response_status":null,"duration_ms":15000,"response_excerpt":"","error":"timeout"}`
	endpointPath   = "/api/v3/webhooks/endpoints/we_8364749eee838cdb06d58db7feeb2976"
	deliveryPath   = "/api/v3/webhooks/deliveries/dlv_a385707c102b9abbd68f88f30d51c1cb/resend"
	testEventsPath = "/api/v3/sandbox/webhooks/endpoints/we_8364749eee838cdb06d58db7feeb2976/test-events"
)

func delivery(status, attempts, next string) string {
	return `{"id":"dlv_a385707c102b9abbd68f88f30d51c1cb","event_id":"evt_65ae97ff8320554da7e148cd2a2f7a6a",` +
		`"event_type":"loan.created","status":"` + status + `","attempts":[` + attempts + `],"next_attempt_at":` + next +
		`,"created_at":1775253600}`
}

func TestValidateWebhookResponses(t *testing.T) {
	t.Parallel()
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	withEndpoint := func(field, value string) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(endpoint), &m); err != nil {
			t.Fatal(err)
		}
		if value == "" {
			delete(m, field)
		} else {
			m[field] = json.RawMessage(value)
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	long := strings.Repeat("é", 1024)
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		header  map[string]string
		body    string
		wantErr string
	}{
		// Endpoints.
		{"create", "POST", "/api/v3/webhooks/endpoints", 201, nil, endpointWithSecret, ""},
		{"create under /v3", "POST", "/v3/webhooks/endpoints", 201, nil, endpointWithSecret, ""},
		{"create replayed", "POST", "/api/v3/webhooks/endpoints", 201, map[string]string{"Idempotent-Replayed": "true"}, endpointWithSecret, ""},
		{"create without secret", "POST", "/api/v3/webhooks/endpoints", 201, nil, endpoint, "secret"},
		{"secret not base64", "POST", "/api/v3/webhooks/endpoints", 201, nil,
			strings.Replace(endpointWithSecret, "whsec_pTNF", "whsec_!TNF", 1), "secret"},
		{"secret without prefix", "POST", "/api/v3/webhooks/endpoints", 201, nil,
			strings.Replace(endpointWithSecret, "whsec_", "", 1), "secret"},
		{"create answered 200", "POST", "/api/v3/webhooks/endpoints", 200, nil, endpointWithSecret, "undocumented response"},
		{"invalid url", "POST", "/api/v3/webhooks/endpoints", 422, map[string]string{"Content-Type": problemCT},
			problem("validation-failed", 422, "invalid_url"), ""},
		{"invalid event filter", "POST", "/api/v3/webhooks/endpoints", 422, map[string]string{"Content-Type": problemCT},
			problem("validation-failed", 422, "invalid_event_filter"), ""},
		{"invalid url as 400", "POST", "/api/v3/webhooks/endpoints", 400, map[string]string{"Content-Type": problemCT},
			problem("validation-failed", 400, "invalid_url"), "type"},
		{"list", "GET", "/api/v3/webhooks/endpoints?limit=1", 200, nil, `{"data":[` + endpoint + `],"has_more":true}`, ""},
		{"list empty", "GET", "/api/v3/webhooks/endpoints", 200, nil, `{"data":[],"has_more":false}`, ""},
		{"list item with secret", "GET", "/api/v3/webhooks/endpoints", 200, nil, `{"data":[` + endpointWithSecret + `],"has_more":false}`, "secret"},
		{"list with object", "GET", "/api/v3/webhooks/endpoints", 200, nil, `{"object":"list","data":[],"has_more":false}`, "object"},
		{"get", "GET", endpointPath, 200, nil, endpoint, ""},
		{"get with null description", "GET", endpointPath, 200, nil, withEndpoint("description", "null"), "description"},
		{"get without description", "GET", endpointPath, 200, nil, withEndpoint("description", ""), "description"},
		{"get with unknown filter", "GET", endpointPath, 200, nil, withEndpoint("events", `["loan.disbursed"]`), "events"},
		{"get with every-event filter", "GET", endpointPath, 200, nil, withEndpoint("events", `["*","credit_offer.*"]`), ""},
		{"get with status paused", "GET", endpointPath, 200, nil, withEndpoint("status", `"paused"`), "status"},
		{"get with an id of another prefix", "GET", endpointPath, 200, nil, withEndpoint("id", `"wh_8364749eee838cdb06d58db7feeb2976"`), "id"},
		{"get with ISO created_at", "GET", endpointPath, 200, nil, withEndpoint("created_at", `"2026-04-03T12:00:00Z"`), "created_at"},
		{"get unknown", "GET", endpointPath, 404, map[string]string{"Content-Type": problemCT}, problem("not-found", 404, "webhook_endpoint_not_found"), ""},
		{"update", "PATCH", endpointPath, 200, nil, withEndpoint("status", `"disabled"`), ""},
		{"update unknown", "PATCH", endpointPath, 404, map[string]string{"Content-Type": problemCT}, problem("not-found", 404, "webhook_endpoint_not_found"), ""},
		{"update invalid url", "PATCH", endpointPath, 422, map[string]string{"Content-Type": problemCT}, problem("validation-failed", 422, "invalid_url"), ""},
		{"delete", "DELETE", endpointPath, 204, map[string]string{"Content-Type": ""}, "", ""},
		{"delete with body", "DELETE", endpointPath, 204, nil, "{}", "without a body"},
		{"delete unknown", "DELETE", endpointPath, 404, map[string]string{"Content-Type": problemCT}, problem("not-found", 404, "webhook_endpoint_not_found"), ""},
		{"put is not allowed", "PUT", endpointPath, 405, map[string]string{"Content-Type": problemCT, "Allow": "GET, PATCH, DELETE"},
			problem("invalid-request", 405, "method_not_allowed"), ""},
		{"rotate", "POST", endpointPath + "/rotate-secret", 200, nil, rotation, ""},
		{"rotate without expiry", "POST", endpointPath + "/rotate-secret", 200, nil,
			`{"id":"we_8364749eee838cdb06d58db7feeb2976","secret":"whsec_xUi8dz1xALwysR5JYh8FDgS8XR9XxxhspWLC982iQIQ="}`, "previous_secret_expires_at"},
		{"rotate with null expiry", "POST", endpointPath + "/rotate-secret", 200, nil,
			strings.Replace(rotation, "1775257199", "null", 1), "previous_secret_expires_at"},
		{"rotate answered 201", "POST", endpointPath + "/rotate-secret", 201, nil, rotation, "undocumented response"},
		{"rotate bad expire_current_in", "POST", endpointPath + "/rotate-secret", 422, map[string]string{"Content-Type": problemCT},
			problem("validation-failed", 422, "invalid_field"), ""},

		// Deliveries (extension).
		{"deliveries", "GET", endpointPath + "/deliveries?status=pending", 200, nil,
			`{"data":[` + delivery("pending", attemptTimeout+","+attemptOK, "1775253905") + `],"has_more":false}`, ""},
		{"delivery without attempts", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("pending", "", "1775253600") + `],"has_more":false}`, ""},
		{"delivery succeeded", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("succeeded", attemptOK, "null") + `],"has_more":true}`, ""},
		{"delivery without next_attempt_at", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + strings.Replace(delivery("failed", attemptOK, "null"), `"next_attempt_at":null,`, "", 1) + `],"has_more":false}`, "next_attempt_at"},
		{"delivery status retrying", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("retrying", attemptOK, "null") + `],"has_more":false}`, "status"},
		{"delivery of an unknown event type", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + strings.Replace(delivery("failed", attemptOK, "null"), "loan.created", "loan.signed", 1) + `],"has_more":false}`, "event_type"},
		{"excerpt of 1024 characters", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("failed", strings.Replace(attemptOK, `"ok"`, `"`+long+`"`, 1), "null") + `],"has_more":false}`, ""},
		{"excerpt of 1025 characters", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("failed", strings.Replace(attemptOK, `"ok"`, `"`+long+`x"`, 1), "null") + `],"has_more":false}`, "response_excerpt"},
		{"null excerpt", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("failed", strings.Replace(attemptOK, `"ok"`, "null", 1), "null") + `],"has_more":false}`, "response_excerpt"},
		{"attempt without error", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("failed", strings.Replace(attemptOK, `,"error":null`, "", 1), "null") + `],"has_more":false}`, "error"},
		{"attempt with a fractional duration", "GET", endpointPath + "/deliveries", 200, nil,
			`{"data":[` + delivery("failed", strings.Replace(attemptOK, "184", "184.5", 1), "null") + `],"has_more":false}`, "duration_ms"},
		{"deliveries of an unknown endpoint", "GET", endpointPath + "/deliveries", 404, map[string]string{"Content-Type": problemCT},
			problem("not-found", 404, "webhook_endpoint_not_found"), ""},
		{"bad status filter", "GET", endpointPath + "/deliveries?status=x", 422, map[string]string{"Content-Type": problemCT},
			problem("validation-failed", 422, "invalid_parameter"), ""},
		{"resend", "POST", deliveryPath, 202, nil, `{"delivery_id":"dlv_a385707c102b9abbd68f88f30d51c1cb"}`, ""},
		{"resend under /v3", "POST", strings.TrimPrefix(deliveryPath, "/api"), 202, nil, `{"delivery_id":"dlv_a385707c102b9abbd68f88f30d51c1cb"}`, ""},
		{"resend answered 200", "POST", deliveryPath, 200, nil, `{"delivery_id":"dlv_a385707c102b9abbd68f88f30d51c1cb"}`, "undocumented response"},
		{"resend with extra field", "POST", deliveryPath, 202, nil, `{"delivery_id":"dlv_a385707c102b9abbd68f88f30d51c1cb","status":"pending"}`, "status"},
		{"resend unknown", "POST", deliveryPath, 404, map[string]string{"Content-Type": problemCT}, problem("not-found", 404, "delivery_not_found"), ""},
		{"resend of a disabled endpoint", "POST", deliveryPath, 409, map[string]string{"Content-Type": problemCT}, problem("conflict", 409, "conflict"), ""},

		// Sandbox test events (extension).
		{"test event", "POST", testEventsPath, 202, nil,
			`{"delivery_id":"dlv_a385707c102b9abbd68f88f30d51c1cb","event_id":"evt_65ae97ff8320554da7e148cd2a2f7a6a"}`, ""},
		{"test event without event_id", "POST", testEventsPath, 202, nil, `{"delivery_id":"dlv_a385707c102b9abbd68f88f30d51c1cb"}`, "event_id"},
		{"test event with a live token", "POST", testEventsPath, 403, map[string]string{"Content-Type": problemCT}, problem("forbidden", 403, "sandbox_only"), ""},
		{"test event for an unknown endpoint", "POST", testEventsPath, 404, map[string]string{"Content-Type": problemCT},
			problem("not-found", 404, "webhook_endpoint_not_found"), ""},
		{"test event of an unknown type", "POST", testEventsPath, 422, map[string]string{"Content-Type": problemCT}, problem("validation-failed", 422, "invalid_field"), ""},
		{"test events outside the sandbox", "POST", endpointPath + "/test-events", 202, nil,
			`{"delivery_id":"dlv_a385707c102b9abbd68f88f30d51c1cb","event_id":"evt_65ae97ff8320554da7e148cd2a2f7a6a"}`, "undocumented response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := hdr(jsonCT)
			for k, val := range tt.header {
				if val == "" {
					h.Del(k)
				} else {
					h.Set(k, val)
				}
			}
			err := v.ValidateResponse(tt.method, tt.path, tt.status, h, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ValidateResponse(%s %s %d) = %v, want nil", tt.method, tt.path, tt.status, err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("ValidateResponse(%s %s %d) = nil, want an error containing %q", tt.method, tt.path, tt.status, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("ValidateResponse(%s %s %d) = %v, want an error containing %q", tt.method, tt.path, tt.status, err, tt.wantErr)
			}
		})
	}
}

// TestWebhookRoutes checks the webhook operations of the document: their ids (those of the contract
// for the contract's routes), the extension marks, and the idempotency headers on every write.
func TestWebhookRoutes(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	want := map[string]struct {
		id        string
		extension bool
		success   string
	}{
		"POST /webhooks/endpoints":                                           {"createWebhookEndpoint", false, "201"},
		"GET /webhooks/endpoints":                                            {"listWebhookEndpoints", false, "200"},
		"GET /webhooks/endpoints/{webhook_endpoint_id}":                      {"getWebhookEndpoint", false, "200"},
		"PATCH /webhooks/endpoints/{webhook_endpoint_id}":                    {"updateWebhookEndpoint", false, "200"},
		"DELETE /webhooks/endpoints/{webhook_endpoint_id}":                   {"deleteWebhookEndpoint", false, "204"},
		"POST /webhooks/endpoints/{webhook_endpoint_id}/rotate-secret":       {"rotateWebhookSecret", false, "200"},
		"GET /webhooks/endpoints/{webhook_endpoint_id}/deliveries":           {"listWebhookDeliveries", true, "200"},
		"POST /webhooks/deliveries/{delivery_id}/resend":                     {"resendWebhookDelivery", true, "202"},
		"POST /sandbox/webhooks/endpoints/{webhook_endpoint_id}/test-events": {"sendTestWebhookEvent", true, "202"},
	}
	got := map[string]bool{}
	for _, o := range docOps(t, doc) {
		name := strings.ToUpper(o.method) + " " + o.path
		w, ok := want[name]
		if !ok {
			continue
		}
		got[name] = true
		if id, _ := o.op["operationId"].(string); id != w.id {
			t.Errorf("%s: operationId %q, want %q", name, id, w.id)
		}
		if ext, _ := o.op["x-extension"].(bool); ext != w.extension {
			t.Errorf("%s: x-extension = %v, want %v", name, ext, w.extension)
		}
		resps, _ := o.op["responses"].(map[string]any)
		var statuses []string
		for s := range resps {
			if s[0] == '2' {
				statuses = append(statuses, s)
			}
		}
		if diff := cmp.Diff([]string{w.success}, statuses); diff != "" {
			t.Errorf("%s: success statuses (-want +got):\n%s", name, diff)
		}
		for _, s := range []string{"401", "429"} {
			if _, ok := resps[s]; !ok {
				t.Errorf("%s: no %s response", name, s)
			}
		}
		if strings.Contains(o.path, "{") {
			if _, ok := resps["404"]; !ok {
				t.Errorf("%s: no 404 response", name)
			}
		}
		if o.method != "get" {
			params, _ := json.Marshal(o.op["parameters"])
			for _, p := range []string{"XIdempotencyKey", "IdempotencyKey"} {
				if !bytes.Contains(params, []byte(`"#/components/parameters/`+p+`"`)) {
					t.Errorf("%s: parameter %s is not documented", name, p)
				}
			}
			success, _ := resolveIn(t, doc, resps[w.success], o.ptr+"/responses/"+w.success)
			if _, ok := success["headers"].(map[string]any)["Idempotent-Replayed"]; !ok {
				t.Errorf("%s %s: header Idempotent-Replayed is not documented", name, w.success)
			}
		}
		if strings.HasPrefix(o.path, "/sandbox/") {
			if _, ok := resps["403"]; !ok {
				t.Errorf("%s: no 403 response for a live token", name)
			}
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s is not in the document", name)
		}
	}
}

// TestProblemCatalogueWebhookCodes checks the rows of the codes the webhook routes use.
func TestProblemCatalogueWebhookCodes(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	description := mustLookup(t, doc, "/components/schemas/Problem/description").(string)
	var enum []string
	for _, c := range mustLookup(t, doc, "/components/schemas/Problem/properties/code/enum").([]any) {
		enum = append(enum, c.(string))
	}
	for code, status := range map[string]string{
		"webhook_endpoint_not_found": "404",
		"delivery_not_found":         "404",
		"invalid_url":                "422",
		"invalid_event_filter":       "422",
		"sandbox_only":               "403",
	} {
		if !slices.Contains(enum, code) {
			t.Errorf("code %s is not in the Problem code enum", code)
		}
		if !strings.Contains(description, "| `"+code+"` | "+status+" |") {
			t.Errorf("the Problem table has no row for %s with status %s", code, status)
		}
	}
}
