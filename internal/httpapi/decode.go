package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

// readBody reads the whole (size-limited) request body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyReadError(err)
	}
	return b, nil
}

// mediaType returns the request's media type, lower-cased, without parameters ("" when absent).
func mediaType(r *http.Request) (string, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", lending.Errorf(lending.CodeUnsupportedMediaType, "the Content-Type header %q cannot be parsed", ct)
	}
	return strings.ToLower(mt), nil
}

func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// decodeJSON decodes a JSON object body into dst. An empty body leaves dst as it is (the fields it
// requires are then reported missing by validation). Unknown fields are ignored, as the SDKs may send
// fields this version does not know. Errors: 415 for a body that is not JSON, 413 for one too large,
// 400 malformed_json for broken JSON or anything but one object, 422 invalid_field for a value of the
// wrong type.
func decodeJSON(r *http.Request, dst any) error {
	mt, err := mediaType(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if mt != "" && !isJSONMediaType(mt) {
		return lending.Errorf(lending.CodeUnsupportedMediaType, "send the body as application/json, not %s", mt)
	}
	return unmarshalObject(trimmed, dst)
}

func unmarshalObject(body []byte, dst any) error {
	if body[0] != '{' {
		return lending.Errorf(lending.CodeMalformedJSON, "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			field := te.Field
			if field == "" {
				field = "body"
			}
			return lending.FieldErrorf(lending.CodeInvalidField, field, "%s must be %s", field, jsonTypeName(te.Type.Kind().String()))
		}
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return lending.Errorf(lending.CodeMalformedJSON, "the request body is not valid JSON (at byte %d): %s", se.Offset, se.Error())
		}
		return lending.Errorf(lending.CodeMalformedJSON, "the request body is not valid JSON: %s", err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return lending.Errorf(lending.CodeMalformedJSON, "the request body has data after its JSON object")
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "of another type"
	}
	return "of another type"
}

// pageOf reads limit and starting_after (spec/README.md decision 7): limit defaults to 25 and must be an
// integer from 1 to 100.
func pageOf(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	p := store.Page{Limit: 25, StartingAfter: q.Get("starting_after")}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 1 || n > 100 {
			return p, lending.FieldErrorf(lending.CodeInvalidParameter, "limit", "limit must be an integer from 1 to 100")
		}
		p.Limit = n
	}
	return p, nil
}

// list is the envelope of every paginated list.
type list[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}

// writePage answers with one page of a list, each item in its wire shape.
func writePage[T, J any](w http.ResponseWriter, items []T, hasMore bool, toJSON func(T) J) {
	out := list[J]{Data: make([]J, len(items)), HasMore: hasMore}
	for i, it := range items {
		out.Data[i] = toJSON(it)
	}
	writeJSON(w, http.StatusOK, out)
}

// number is a JSON number field read exactly, as its literal text: money and rates never pass through a
// float. It takes any JSON value when decoding, so that its check below can name the field.
type number []byte

// UnmarshalJSON keeps the literal.
func (n *number) UnmarshalJSON(b []byte) error {
	*n = append((*n)[:0], b...)
	return nil
}

// literal returns the number's text, or CodeInvalidField on param when the value is not a JSON number (a
// string such as "12.5" included: the contract's amounts are numbers).
func (n number) literal(param string) (json.Number, error) {
	if len(n) == 0 || !(n[0] == '-' || (n[0] >= '0' && n[0] <= '9')) {
		return "", lending.FieldErrorf(lending.CodeInvalidField, param, "%s must be a JSON number", param)
	}
	return json.Number(n), nil
}

// amount reads the number as money in reais (lending.ParseAmount).
func (n number) amount(param string) (finmath.Cents, error) {
	lit, err := n.literal(param)
	if err != nil {
		return 0, err
	}
	return lending.ParseAmount(param, lit)
}
