// Package banks is the directory of Brazilian banks and payment institutions
// served by GET /api/v3/banks.
//
// The data lives in banks.json, embedded at build time: one object per
// institution with its COMPE code ("id", three zero-padded digits) and its
// usual short name. The file is parsed and validated once, on first use.
package banks

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed banks.json
var banksJSON []byte

// idLen is the length of a COMPE code.
const idLen = 3

// Bank is one institution of the directory.
type Bank struct {
	// ID is the COMPE code, three zero-padded digits (e.g. "001").
	ID string `json:"id"`
	// Name is the institution's usual short name (e.g. "Banco do Brasil").
	Name string `json:"name"`
	// DisplayName is ID + " - " + Name (e.g. "001 - Banco do Brasil").
	DisplayName string `json:"display_name"`
}

// directory is the parsed, validated form of banks.json.
type directory struct {
	list []Bank          // sorted by ID
	byID map[string]Bank // keyed by the 3-digit ID
	body []byte          // {"data":[...]} response body
}

// load parses the embedded data once. The data is fixed at build time and
// guarded by the package tests, so a failure here is a programming error.
var load = sync.OnceValue(func() *directory {
	d, err := parse(banksJSON)
	if err != nil {
		panic("banks: embedded banks.json is invalid: " + err.Error())
	}
	return d
})

// All returns every bank, sorted by ID. The returned slice is a fresh copy
// that the caller may modify freely.
func All() []Bank {
	return slices.Clone(load().list)
}

// Lookup returns the bank with the given COMPE code. The code may be given
// with or without zero padding ("1", "01" and "001" are the same bank); see
// NormalizeID for the accepted forms. It reports false when the code is
// malformed or no bank has it.
func Lookup(id string) (Bank, bool) {
	norm, ok := NormalizeID(id)
	if !ok {
		return Bank{}, false
	}
	b, ok := load().byID[norm]
	return b, ok
}

// NormalizeID validates a COMPE code and zero-pads it to three digits:
// "1", "01" and "001" all become "001". It reports false for anything that
// is not one to three ASCII digits (empty strings, signs, spaces, non-ASCII
// digits, or more than three digits such as "0001").
func NormalizeID(id string) (string, bool) {
	if len(id) == 0 || len(id) > idLen {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return "", false
		}
	}
	return strings.Repeat("0", idLen-len(id)) + id, true
}

// JSON returns the GET /api/v3/banks response body, {"data":[...]}, where
// each element has the fields id, name and display_name in that order and
// the elements are sorted by id. The body is encoded once; each call returns
// a copy of it, so the caller may modify the result.
func JSON() []byte {
	return bytes.Clone(load().body)
}

// rawBank is the shape of one element of banks.json.
type rawBank struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// parse decodes and validates banks.json and builds the directory.
func parse(data []byte) (*directory, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw []rawBank
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode: unexpected data after the top-level array")
	}
	if len(raw) == 0 {
		return nil, errors.New("no banks")
	}

	d := &directory{
		list: make([]Bank, 0, len(raw)),
		byID: make(map[string]Bank, len(raw)),
	}
	for i, r := range raw {
		if err := validate(r); err != nil {
			return nil, fmt.Errorf("entry %d (%q): %w", i, r.ID, err)
		}
		if i > 0 && r.ID <= raw[i-1].ID {
			return nil, fmt.Errorf("entry %d (%q): ids must be unique and sorted, but it follows %q", i, r.ID, raw[i-1].ID)
		}
		b := Bank{ID: r.ID, Name: r.Name, DisplayName: r.ID + " - " + r.Name}
		d.list = append(d.list, b)
		d.byID[b.ID] = b
	}

	body, err := json.Marshal(struct {
		Data []Bank `json:"data"`
	}{d.list})
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	d.body = body
	return d, nil
}

// validate checks one entry of banks.json.
func validate(r rawBank) error {
	if norm, ok := NormalizeID(r.ID); !ok || norm != r.ID {
		return errors.New("id must be exactly 3 ASCII digits")
	}
	switch {
	case r.Name == "":
		return errors.New("empty name")
	case strings.ContainsRune(r.Name, utf8.RuneError):
		// encoding/json turns invalid UTF-8 into U+FFFD.
		return errors.New("name is not valid UTF-8")
	case strings.ContainsFunc(r.Name, unicode.IsControl):
		return errors.New("name has control characters")
	case strings.TrimSpace(r.Name) != r.Name:
		return errors.New("name has leading or trailing space")
	case strings.Contains(r.Name, "  "):
		return errors.New("name has consecutive spaces")
	}
	return nil
}
