package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/dinie-oss/dinie/api"
)

// loadDoc decodes api.Spec the way New does: YAML → JSON-compatible values, numbers as json.Number.
func loadDoc(t *testing.T) map[string]any {
	t.Helper()
	var raw any
	if err := yaml.Unmarshal(api.Spec, &raw); err != nil {
		t.Fatalf("api/openapi.yaml does not parse: %v", err)
	}
	norm, err := jsonCompatible(raw)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(norm)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("document is a %T, want an object", doc)
	}
	return m
}

// docOp is one operation of the document with its JSON pointer.
type docOp struct {
	method, path, ptr string
	op                map[string]any
	item              map[string]any
}

func docOps(t *testing.T, doc map[string]any) []docOp {
	t.Helper()
	paths, _ := doc["paths"].(map[string]any)
	var out []docOp
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[p].(map[string]any)
		for _, m := range methods {
			if op, ok := item[m].(map[string]any); ok {
				out = append(out, docOp{method: m, path: p, ptr: "/paths/" + escapeToken(p) + "/" + m, op: op, item: item})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the document has no operations")
	}
	return out
}

// resolveIn follows a $ref chain in doc.
func resolveIn(t *testing.T, doc map[string]any, v any, ptr string) (map[string]any, string) {
	t.Helper()
	b := &builder{doc: doc}
	obj, p, err := b.resolve(v, ptr)
	if err != nil {
		t.Fatalf("#%s: %v", ptr, err)
	}
	return obj, p
}

func TestDocumentParsesAsOpenAPI31(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	var servers []string
	for _, s := range doc["servers"].([]any) {
		servers = append(servers, s.(map[string]any)["url"].(string))
	}
	if diff := cmp.Diff([]string{"/api/v3", "/v3"}, servers); diff != "" {
		t.Errorf("servers (-want +got):\n%s", diff)
	}
	if _, err := New(api.Spec); err != nil {
		t.Fatalf("New(api.Spec): %v", err)
	}
	v1, err1 := Default()
	v2, err2 := Default()
	if err1 != nil || err2 != nil || v1 != v2 {
		t.Errorf("Default() = %p, %v then %p, %v; want the same validator twice", v1, err1, v2, err2)
	}
}

func TestDocumentRefsResolve(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	var refs int
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				refs++
				ptr, ok := strings.CutPrefix(ref, "#")
				if !ok {
					t.Errorf("#%s: $ref %q is not local", at, ref)
				} else if _, err := lookup(doc, ptr); err != nil {
					t.Errorf("#%s: $ref %q does not resolve: %v", at, ref, err)
				}
			}
			for k, e := range x {
				walk(e, at+"/"+escapeToken(k))
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "")
	if refs == 0 {
		t.Error("found no $ref at all; the walk is broken")
	}
}

func TestDocumentResponseSchemasCompile(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	var n int
	for _, o := range docOps(t, doc) {
		resps, _ := o.op["responses"].(map[string]any)
		for _, status := range slices.Sorted(maps.Keys(resps)) {
			resp, rptr := resolveIn(t, doc, resps[status], o.ptr+"/responses/"+status)
			content, _ := resp["content"].(map[string]any)
			for _, mt := range slices.Sorted(maps.Keys(content)) {
				media, _ := content[mt].(map[string]any)
				if _, ok := media["schema"]; !ok {
					t.Errorf("%s %s %s %s: no schema", o.method, o.path, status, mt)
					continue
				}
				loc := docURL + "#" + encodePointer(rptr+"/content/"+escapeToken(mt)+"/schema")
				if _, err := c.Compile(loc); err != nil {
					t.Errorf("%s %s %s %s: %v", o.method, o.path, status, mt, err)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Error("compiled no response schema")
	}
}

// TestDocumentExamplesMatchSchemas checks every example of a media type against the media type's
// schema, so examples cannot drift from the shapes they illustrate.
func TestDocumentExamplesMatchSchemas(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	var n int
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			_, hasSchema := x["schema"]
			examples, _ := x["examples"].(map[string]any)
			if hasSchema && strings.Contains(at, "/content/") && len(examples) > 0 {
				sch, err := c.Compile(docURL + "#" + encodePointer(at+"/schema"))
				if err != nil {
					t.Errorf("#%s: %v", at, err)
					return
				}
				for name, ex := range examples {
					value := ex.(map[string]any)["value"]
					if err := sch.Validate(value); err != nil {
						t.Errorf("#%s example %q does not match its schema: %v", at, name, err)
					}
					n++
				}
			}
			for k, e := range x {
				walk(e, at+"/"+escapeToken(k))
			}
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "")
	if n == 0 {
		t.Error("checked no example")
	}
}

// TestDocumentConventions checks the rules every operation of the document follows.
func TestDocumentConventions(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	opIDs := map[string]string{}
	for _, o := range docOps(t, doc) {
		name := strings.ToUpper(o.method) + " " + o.path
		if id, _ := o.op["operationId"].(string); id == "" {
			t.Errorf("%s: no operationId", name)
		} else if prev, dup := opIDs[id]; dup {
			t.Errorf("%s: operationId %q already used by %s", name, id, prev)
		} else {
			opIDs[id] = name
		}
		if d, _ := o.op["description"].(string); d == "" {
			t.Errorf("%s: no description", name)
		}
		_, rootLevel := o.item["servers"]
		if ext, _ := o.op["x-extension"].(bool); rootLevel && !ext {
			t.Errorf("%s: served outside the API prefix but not marked x-extension", name)
		}

		resps, _ := o.op["responses"].(map[string]any)
		for _, want := range []string{"405", "500"} {
			if _, ok := resps[want]; !ok {
				t.Errorf("%s: no %s response", name, want)
			}
		}
		for _, status := range slices.Sorted(maps.Keys(resps)) {
			resp, _ := resolveIn(t, doc, resps[status], o.ptr+"/responses/"+status)
			where := name + " " + status
			headers, _ := resp["headers"].(map[string]any)
			for _, h := range []string{"X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
				if _, ok := headers[h]; !ok {
					t.Errorf("%s: header %s is not documented", where, h)
				}
			}
			if status == "429" {
				h, ok := headers["Retry-After"]
				if !ok {
					t.Errorf("%s: header Retry-After is not documented", where)
				} else if obj, _ := resolveIn(t, doc, h, ""); obj["required"] != true {
					t.Errorf("%s: header Retry-After is not required", where)
				}
			}
			if status[0] == '4' || status == "500" {
				content, _ := resp["content"].(map[string]any)
				if diff := cmp.Diff([]string{"application/problem+json"}, slices.Sorted(maps.Keys(content))); diff != "" {
					t.Errorf("%s: media types (-want +got):\n%s", where, diff)
				}
				schema, _ := json.Marshal(content["application/problem+json"])
				if !strings.Contains(string(schema), `"#/components/schemas/Problem"`) {
					t.Errorf("%s: the schema is not a Problem: %s", where, schema)
				}
			}
		}
	}
}

// TestProblemCatalogue checks the Problem schema: the eight type URLs, and a code enum without
// duplicates that the description's table lists exactly.
func TestProblemCatalogue(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	p, err := lookup(doc, "/components/schemas/Problem")
	if err != nil {
		t.Fatal(err)
	}
	problem := p.(map[string]any)
	props := problem["properties"].(map[string]any)

	var types []string
	for _, u := range props["type"].(map[string]any)["enum"].([]any) {
		types = append(types, u.(string))
	}
	wantTypes := []string{
		"https://docs.dinie.com/errors/invalid-request",
		"https://docs.dinie.com/errors/authentication-failed",
		"https://docs.dinie.com/errors/forbidden",
		"https://docs.dinie.com/errors/not-found",
		"https://docs.dinie.com/errors/conflict",
		"https://docs.dinie.com/errors/validation-failed",
		"https://docs.dinie.com/errors/rate-limit-exceeded",
		"https://docs.dinie.com/errors/internal",
	}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("Problem type enum (-want +got):\n%s", diff)
	}

	var codes []string
	seen := map[string]bool{}
	for _, c := range props["code"].(map[string]any)["enum"].([]any) {
		s := c.(string)
		if seen[s] {
			t.Errorf("code %q is listed twice", s)
		}
		seen[s] = true
		codes = append(codes, s)
	}
	var statuses []int
	for _, s := range props["status"].(map[string]any)["enum"].([]any) {
		n, _ := s.(json.Number).Int64()
		statuses = append(statuses, int(n))
	}

	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([0-9]{3}) \\|")
	var tableCodes []string
	for _, m := range row.FindAllStringSubmatch(problem["description"].(string), -1) {
		tableCodes = append(tableCodes, m[1])
		var st int
		fmt.Sscan(m[2], &st)
		if !slices.Contains(statuses, st) {
			t.Errorf("table row %s: status %d is not in the status enum %v", m[1], st, statuses)
		}
	}
	slices.Sort(codes)
	slices.Sort(tableCodes)
	if diff := cmp.Diff(codes, tableCodes); diff != "" {
		t.Errorf("codes of the description table (+) differ from the code enum (-):\n%s", diff)
	}
}
