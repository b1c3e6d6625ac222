// Package openapitest checks real HTTP responses against the OpenAPI document in api/openapi.yaml, so
// that tests of the server fail as soon as a response drifts from what the document promises.
//
// Wrap a test client's transport with [Transport] to check every response a test receives, or call
// [Validator.ValidateResponse] directly.
package openapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/dinie-oss/dinie/api"
)

// ErrUndocumented is wrapped by the errors of [Validator.ValidateResponse] when the document does not
// describe the response at all: an unknown path, an undocumented method, or an undocumented status.
var ErrUndocumented = errors.New("undocumented response")

// docURL names the whole OpenAPI document as a single resource of the JSON Schema compiler, so that
// `#/components/...` references inside response schemas resolve against it.
const docURL = "mem://openapi.json"

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Validator checks HTTP responses against api/openapi.yaml (or any OpenAPI 3.1 document given to
// [New]). It is safe for concurrent use: every schema is compiled once, by New.
type Validator struct {
	routes []*route
	// notFound is the shared 404 answer, the only valid one for a path no route serves.
	notFound *response
	// events are the envelope schemas of the webhook event types, from the document's top-level
	// `x-event-schemas` map (event type → `#/components/schemas/…`).
	events map[string]*jsonschema.Schema
}

// route is one path of the document, with the prefixes (from the servers that apply to it) under which
// it is served.
type route struct {
	template string
	prefixes []string // "" for the host root
	segs     []segment
	ops      map[string]*operation // by upper-case method
}

type segment struct {
	literal string // unused when param is true
	param   bool
}

type operation struct {
	method    string
	template  string
	responses map[string]*response // by status key: "200", "4XX", "default"
}

type response struct {
	content map[string]*jsonschema.Schema // by media type; a nil schema means "any body"
	headers []*header
}

type header struct {
	name     string
	required bool
	schema   *jsonschema.Schema // nil when the header has no schema
	kind     string             // JSON type the value is read as: integer, number, boolean or string
}

// New parses an OpenAPI 3.1 document (YAML or JSON), compiles the schema of every documented response
// body and response header with JSON Schema draft 2020-12, and returns a Validator for it. It returns an
// error if the document does not parse, is not OpenAPI 3.1, uses a `$ref` that does not resolve, or has
// a schema that does not compile.
func New(spec []byte) (*Validator, error) {
	var raw any
	if err := yaml.Unmarshal(spec, &raw); err != nil {
		return nil, fmt.Errorf("openapitest: parse document: %w", err)
	}
	norm, err := jsonCompatible(raw)
	if err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	js, err := json.Marshal(norm)
	if err != nil {
		return nil, fmt.Errorf("openapitest: convert document to JSON: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("openapitest: decode document: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("openapitest: the document is not an object")
	}
	if v, _ := root["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("openapitest: document is OpenAPI %q, want 3.1.x", v)
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	b := &builder{
		doc:       root,
		compiler:  c,
		schemas:   map[string]*jsonschema.Schema{},
		responses: map[string]*response{},
	}
	routes, err := b.routes()
	if err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	v := &Validator{routes: routes}
	if v.events, err = b.eventSchemas(); err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	// A path the document does not know can only be answered with its shared 404 problem.
	if obj, ptr, err := b.resolve(map[string]any{"$ref": "#/components/responses/NotFound"}, "/components/responses/NotFound"); err == nil {
		if v.notFound, err = b.response(obj, ptr); err != nil {
			return nil, fmt.Errorf("openapitest: NotFound response: %w", err)
		}
	}
	return v, nil
}

// eventSchemas compiles the schema each entry of the document's `x-event-schemas` map names. A document
// without the map has no event schemas.
func (b *builder) eventSchemas() (map[string]*jsonschema.Schema, error) {
	out := map[string]*jsonschema.Schema{}
	raw, ok := b.doc["x-event-schemas"]
	if !ok {
		return out, nil
	}
	refs, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("x-event-schemas is a %T, want a map of event type to schema reference", raw)
	}
	for _, typ := range slices.Sorted(maps.Keys(refs)) {
		ref, ok := refs[typ].(string)
		if !ok {
			return nil, fmt.Errorf("x-event-schemas[%q] is a %T, want a reference string", typ, refs[typ])
		}
		_, ptr, err := b.resolve(map[string]any{"$ref": ref}, "/x-event-schemas/"+escapeToken(typ))
		if err != nil {
			return nil, fmt.Errorf("x-event-schemas[%q]: %w", typ, err)
		}
		if out[typ], err = b.compile(ptr); err != nil {
			return nil, fmt.Errorf("x-event-schemas[%q]: %w", typ, err)
		}
	}
	return out, nil
}

// ErrUnknownEvent is wrapped by the error of [Validator.ValidateEvent] for an event type the
// document's `x-event-schemas` does not map.
var ErrUnknownEvent = errors.New("unknown event type")

// ValidateEvent checks the body of a webhook delivery (the whole envelope) of type eventType against
// the schema the document's `x-event-schemas` maps that type to. It returns an error wrapping
// [ErrUnknownEvent] for a type the map does not name, and an error when the body is not JSON or does
// not match the schema (whose `type` constant also catches a body of another type).
func (v *Validator) ValidateEvent(eventType string, body []byte) error {
	sch, ok := v.events[eventType]
	if !ok {
		return fmt.Errorf("%w: %q is not in x-event-schemas (known: %s)", ErrUnknownEvent, eventType,
			strings.Join(slices.Sorted(maps.Keys(v.events)), ", "))
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s event: the body is not valid JSON: %w", eventType, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s event: the body does not match its schema: %w", eventType, err)
	}
	return nil
}

// Default returns the Validator of api/openapi.yaml, built once per process.
func Default() (*Validator, error) { return defaultValidator() }

var defaultValidator = sync.OnceValues(func() (*Validator, error) { return New(api.Spec) })

// builder turns the decoded document into routes, compiling each schema once.
type builder struct {
	doc       map[string]any
	compiler  *jsonschema.Compiler
	schemas   map[string]*jsonschema.Schema // by JSON pointer
	responses map[string]*response          // by JSON pointer of the resolved response object
}

func (b *builder) routes() ([]*route, error) {
	prefixes, err := serverPrefixes(b.doc["servers"])
	if err != nil {
		return nil, fmt.Errorf("servers: %w", err)
	}
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	paths, _ := b.doc["paths"].(map[string]any)
	var out []*route
	for _, tmpl := range slices.Sorted(maps.Keys(paths)) {
		itemPtr := "/paths/" + escapeToken(tmpl)
		item, itemPtr, err := b.resolve(paths[tmpl], itemPtr)
		if err != nil {
			return nil, fmt.Errorf("path %s: %w", tmpl, err)
		}
		r := &route{template: tmpl, prefixes: prefixes, ops: map[string]*operation{}}
		if s, ok := item["servers"]; ok {
			if r.prefixes, err = serverPrefixes(s); err != nil {
				return nil, fmt.Errorf("path %s: servers: %w", tmpl, err)
			}
		}
		if r.segs, err = parseTemplate(tmpl); err != nil {
			return nil, err
		}
		for _, m := range methods {
			opv, ok := item[m]
			if !ok {
				continue
			}
			op, ok := opv.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s %s: operation is not an object", strings.ToUpper(m), tmpl)
			}
			if _, ok := op["servers"]; ok {
				return nil, fmt.Errorf("%s %s: operation-level servers are not supported", strings.ToUpper(m), tmpl)
			}
			o, err := b.operation(strings.ToUpper(m), tmpl, op, itemPtr+"/"+m)
			if err != nil {
				return nil, err
			}
			r.ops[o.method] = o
		}
		out = append(out, r)
	}
	return out, nil
}

func (b *builder) operation(method, tmpl string, op map[string]any, ptr string) (*operation, error) {
	o := &operation{method: method, template: tmpl, responses: map[string]*response{}}
	resps, _ := op["responses"].(map[string]any)
	if len(resps) == 0 {
		return nil, fmt.Errorf("%s %s: no responses", method, tmpl)
	}
	for _, status := range slices.Sorted(maps.Keys(resps)) {
		obj, rptr, err := b.resolve(resps[status], ptr+"/responses/"+escapeToken(status))
		if err != nil {
			return nil, fmt.Errorf("%s %s response %s: %w", method, tmpl, status, err)
		}
		if r, ok := b.responses[rptr]; ok {
			o.responses[status] = r
			continue
		}
		r, err := b.response(obj, rptr)
		if err != nil {
			return nil, fmt.Errorf("%s %s response %s: %w", method, tmpl, status, err)
		}
		b.responses[rptr] = r
		o.responses[status] = r
	}
	return o, nil
}

func (b *builder) response(obj map[string]any, ptr string) (*response, error) {
	r := &response{content: map[string]*jsonschema.Schema{}}
	content, _ := obj["content"].(map[string]any)
	for _, mt := range slices.Sorted(maps.Keys(content)) {
		media, _ := content[mt].(map[string]any)
		var sch *jsonschema.Schema
		if _, ok := media["schema"]; ok {
			var err error
			if sch, err = b.compile(ptr + "/content/" + escapeToken(mt) + "/schema"); err != nil {
				return nil, err
			}
		}
		r.content[mt] = sch
	}
	headers, _ := obj["headers"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		if strings.EqualFold(name, "Content-Type") {
			continue // OpenAPI ignores a Content-Type header definition
		}
		h, hptr, err := b.resolve(headers[name], ptr+"/headers/"+escapeToken(name))
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		hd := &header{name: name, kind: "string"}
		hd.required, _ = h["required"].(bool)
		if _, ok := h["schema"]; ok {
			if hd.schema, err = b.compile(hptr + "/schema"); err != nil {
				return nil, fmt.Errorf("header %s: %w", name, err)
			}
			if hd.kind, err = b.schemaKind(h["schema"], hptr+"/schema"); err != nil {
				return nil, fmt.Errorf("header %s: %w", name, err)
			}
		}
		r.headers = append(r.headers, hd)
	}
	return r, nil
}

// compile compiles the schema at the JSON pointer ptr of the document, once.
func (b *builder) compile(ptr string) (*jsonschema.Schema, error) {
	if s, ok := b.schemas[ptr]; ok {
		return s, nil
	}
	s, err := b.compiler.Compile(docURL + "#" + encodePointer(ptr))
	if err != nil {
		return nil, fmt.Errorf("compile schema #%s: %w", ptr, err)
	}
	b.schemas[ptr] = s
	return s, nil
}

// schemaKind returns the JSON type a header value is read as for the schema v: the schema's (first
// non-null) type, following `$ref`s; "string" when it names none.
func (b *builder) schemaKind(v any, ptr string) (string, error) {
	obj, _, err := b.resolve(v, ptr)
	if err != nil {
		return "", err
	}
	switch t := obj["type"].(type) {
	case string:
		return t, nil
	case []any:
		for _, x := range t {
			if s, _ := x.(string); s != "null" && s != "" {
				return s, nil
			}
		}
	}
	return "string", nil
}

// resolve follows the `$ref` chain of an object of the document (a path item, response, header or
// schema) and returns the object it ends at and its JSON pointer. Only local references are supported.
func (b *builder) resolve(v any, ptr string) (map[string]any, string, error) {
	for range 32 {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("#%s is not an object", ptr)
		}
		ref, ok := obj["$ref"].(string)
		if !ok {
			return obj, ptr, nil
		}
		if ptr, ok = strings.CutPrefix(ref, "#"); !ok {
			return nil, "", fmt.Errorf("$ref %q: only references inside the document are supported", ref)
		}
		var err error
		if ptr, err = url.PathUnescape(ptr); err != nil {
			return nil, "", fmt.Errorf("$ref %q: %w", ref, err)
		}
		if v, err = lookup(b.doc, ptr); err != nil {
			return nil, "", fmt.Errorf("$ref %q: %w", ref, err)
		}
	}
	return nil, "", fmt.Errorf("#%s: $ref chain too long", ptr)
}

// lookup returns the value at the JSON pointer ptr (RFC 6901, e.g. "/components/schemas/Problem")
// inside doc, a document decoded from JSON.
func lookup(doc any, ptr string) (any, error) {
	if ptr == "" {
		return doc, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("JSON pointer %q does not start with /", ptr)
	}
	v := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("JSON pointer %q: no key %q", ptr, tok)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("JSON pointer %q: no index %q", ptr, tok)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("JSON pointer %q: %q is inside a scalar", ptr, tok)
		}
	}
	return v, nil
}

// serverPrefixes returns the path of each server URL, without a trailing slash ("" for "/").
func serverPrefixes(v any) ([]string, error) {
	list, ok := v.([]any)
	if v != nil && !ok {
		return nil, errors.New("not a list")
	}
	var out []string
	for _, s := range list {
		obj, _ := s.(map[string]any)
		raw, _ := obj["url"].(string)
		if strings.Contains(raw, "{") {
			return nil, fmt.Errorf("server URL %q: variables are not supported", raw)
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("server URL %q: %w", raw, err)
		}
		out = append(out, strings.TrimSuffix(u.Path, "/"))
	}
	return out, nil
}

func parseTemplate(tmpl string) ([]segment, error) {
	if !strings.HasPrefix(tmpl, "/") {
		return nil, fmt.Errorf("path %q does not start with /", tmpl)
	}
	var segs []segment
	for _, s := range strings.Split(tmpl[1:], "/") {
		switch {
		case len(s) > 2 && strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") && !strings.ContainsAny(s[1:len(s)-1], "{}"):
			segs = append(segs, segment{param: true})
		case strings.ContainsAny(s, "{}"):
			return nil, fmt.Errorf("path %q: a template parameter must be a whole segment", tmpl)
		default:
			segs = append(segs, segment{literal: s})
		}
	}
	return segs, nil
}

// ValidateResponse checks one response against the document. method is the request method,
// requestPath the request's URL path (a query string is ignored), status, header and body those of the
// response.
//
// The path is matched with the servers that apply to each documented path: under /api/v3 or /v3 for
// the API, at the host root for the operational endpoints. A `{param}` matches one non-empty segment,
// and a literal segment wins over a parameter when two templates match. It returns an error wrapping
// [ErrUndocumented] when no path, operation or status of the document fits the response; otherwise an
// error when the Content-Type is not documented for the status, the body does not match the schema of
// its media type (JSON media types only), a body is present where none is documented (or missing where
// one is), or a required response header is missing or not of its schema's type.
//
// A HEAD request is checked as the GET operation of its path, without the body. A 405 answer to a
// method the path does not document is checked against the 405 response of the path's other
// operations.
func (v *Validator) ValidateResponse(method, requestPath string, status int, header http.Header, body []byte) error {
	method = strings.ToUpper(method)
	p, _, _ := strings.Cut(requestPath, "?")
	where := fmt.Sprintf("%s %s → %d", method, requestPath, status)

	r := v.match(p)
	if r == nil {
		if status == http.StatusNotFound && v.notFound != nil {
			// No route serves the path: the answer must be the document's shared 404 problem.
			var errs []error
			for _, h := range v.notFound.headers {
				if err := h.check(header); err != nil {
					errs = append(errs, err)
				}
			}
			if err := v.notFound.checkBody(header, body, method == http.MethodHead); err != nil {
				errs = append(errs, err)
			}
			if len(errs) > 0 {
				return fmt.Errorf("%s (checked as components/responses/NotFound): %w", where, errors.Join(errs...))
			}
			return nil
		}
		return fmt.Errorf("%w: %s: no path of the document matches %q", ErrUndocumented, where, p)
	}
	op, head := r.ops[method], false
	if op == nil && method == http.MethodHead {
		op, head = r.ops[http.MethodGet], true
	}
	if op == nil && status == http.StatusMethodNotAllowed {
		for _, m := range slices.Sorted(maps.Keys(r.ops)) {
			if _, ok := r.ops[m].responses["405"]; ok {
				op = r.ops[m]
				break
			}
		}
	}
	if op == nil {
		return fmt.Errorf("%w: %s: %s has no %s operation (documented: %s)",
			ErrUndocumented, where, r.template, method, strings.Join(slices.Sorted(maps.Keys(r.ops)), ", "))
	}
	resp := op.response(status)
	if resp == nil {
		return fmt.Errorf("%w: %s: %s %s documents statuses %s",
			ErrUndocumented, where, op.method, op.template, strings.Join(slices.Sorted(maps.Keys(op.responses)), ", "))
	}

	var errs []error
	for _, h := range resp.headers {
		if err := h.check(header); err != nil {
			errs = append(errs, err)
		}
	}
	if err := resp.checkBody(header, body, head); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s (documented by %s %s): %w", where, op.method, op.template, errors.Join(errs...))
	}
	return nil
}

// match returns the route that serves the request path p, or nil.
func (v *Validator) match(p string) *route {
	var best *route
	var bestParams []bool
	for _, r := range v.routes {
		for _, prefix := range r.prefixes {
			rest, ok := strings.CutPrefix(p, prefix)
			if !ok || !strings.HasPrefix(rest, "/") {
				continue
			}
			params, ok := r.matchSegments(strings.Split(rest[1:], "/"))
			if !ok {
				continue
			}
			if best == nil || moreLiteral(params, bestParams) {
				best, bestParams = r, params
			}
			break
		}
	}
	return best
}

// matchSegments reports whether the request segments fit the route's template, and which positions
// were matched by a parameter.
func (r *route) matchSegments(segs []string) ([]bool, bool) {
	if len(segs) != len(r.segs) {
		return nil, false
	}
	params := make([]bool, len(segs))
	for i, s := range r.segs {
		if s.param {
			if segs[i] == "" {
				return nil, false
			}
			params[i] = true
			continue
		}
		lit, err := url.PathUnescape(segs[i])
		if err != nil || lit != s.literal {
			return nil, false
		}
	}
	return params, true
}

// moreLiteral reports whether a match with parameters at positions a is more specific than one with
// parameters at positions b: at the first position where they differ, a has a literal segment.
func moreLiteral(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return !a[i]
		}
	}
	return false
}

// response returns the documented response for status: the exact code, else its range ("4XX"), else
// "default"; nil if none.
func (o *operation) response(status int) *response {
	for _, k := range []string{strconv.Itoa(status), fmt.Sprintf("%dXX", status/100), "default"} {
		if r, ok := o.responses[k]; ok {
			return r
		}
	}
	return nil
}

func (h *header) check(hdr http.Header) error {
	vals := hdr.Values(h.name)
	if len(vals) == 0 {
		if h.required {
			return fmt.Errorf("required header %s is missing", h.name)
		}
		return nil
	}
	if h.schema == nil {
		return nil
	}
	raw := strings.TrimSpace(vals[0])
	var inst any = raw
	switch h.kind {
	case "integer", "number":
		if _, err := strconv.ParseFloat(raw, 64); err == nil {
			inst = json.Number(raw)
		}
	case "boolean":
		if b, err := strconv.ParseBool(raw); err == nil {
			inst = b
		}
	}
	if err := h.schema.Validate(inst); err != nil {
		return fmt.Errorf("header %s: %q: %w", h.name, raw, err)
	}
	return nil
}

func (r *response) checkBody(hdr http.Header, body []byte, head bool) error {
	if len(r.content) == 0 {
		if len(body) > 0 {
			return fmt.Errorf("the response is documented without a body, but it has %d bytes", len(body))
		}
		return nil
	}
	if head {
		return nil // a HEAD response has no body to check
	}
	documented := strings.Join(slices.Sorted(maps.Keys(r.content)), ", ")
	ct := hdr.Get("Content-Type")
	if ct == "" {
		return fmt.Errorf("no Content-Type; documented: %s", documented)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", ct, err)
	}
	sch, ok := r.content[mt]
	if !ok {
		return fmt.Errorf("Content-Type %s is not documented; documented: %s", mt, documented)
	}
	if len(body) == 0 {
		return fmt.Errorf("the body is empty, but the response documents %s content", mt)
	}
	if sch == nil || !isJSON(mt) {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the %s body is not valid JSON: %w", mt, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("the %s body does not match its schema: %w", mt, err)
	}
	return nil
}

func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// escapeToken escapes one JSON pointer token (RFC 6901).
func escapeToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// encodePointer percent-encodes each token of a JSON pointer so it can be a URI fragment.
func encodePointer(ptr string) string {
	toks := strings.Split(ptr, "/")
	for i, t := range toks {
		toks[i] = url.PathEscape(t)
	}
	return strings.Join(toks, "/")
}

// jsonCompatible converts a value decoded from YAML into one encoding/json can marshal: mappings with
// non-string keys (e.g. an unquoted status code) get their keys formatted as strings.
func jsonCompatible(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks := fmt.Sprint(k)
			if _, dup := out[ks]; dup {
				return nil, fmt.Errorf("duplicate key %q", ks)
			}
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}

// Transport returns an http.RoundTripper that sends requests with base (http.DefaultTransport when
// nil) and checks every response against v. A response that does not match is reported with t.Errorf,
// naming the method, path, status and the problem, with an excerpt of the body; the test goes on. The
// body is read in full and restored, so the caller reads it as usual.
func Transport(t testing.TB, v *Validator, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{t: t, v: v, base: base}
}

type transport struct {
	t    testing.TB
	v    *Validator
	base http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		// Hand the caller what was read, then the same error; there is no whole body to check.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return resp, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := tr.v.ValidateResponse(req.Method, req.URL.EscapedPath(), resp.StatusCode, resp.Header, body); err != nil {
		// err names the method, path and status.
		tr.t.Errorf("openapitest: response does not match the OpenAPI document: %v\nbody (%d bytes): %s",
			err, len(body), excerpt(body, 1024))
	}
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// excerpt returns at most the first n bytes of body as text, invalid UTF-8 replaced.
func excerpt(body []byte, n int) string {
	more := ""
	if len(body) > n {
		body, more = body[:n], "…"
	}
	return strings.ToValidUTF8(string(body), "\uFFFD") + more
}
