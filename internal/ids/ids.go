// Package ids mints the platform's identifiers and secrets.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// New returns prefix followed by 32 lowercase hex characters of fresh randomness (128 bits), the shape
// of every resource id on the wire, e.g. New("cust_") = "cust_550e8400e29b41d4a716446655440000".
func New(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	var out [32]byte
	hex.Encode(out[:], b[:])
	return prefix + string(out[:])
}

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Secret returns prefix followed by n characters drawn uniformly from [A-Za-z0-9] (about 5.95 bits each).
func Secret(prefix string, n int) string {
	var sb strings.Builder
	sb.Grow(len(prefix) + n)
	sb.WriteString(prefix)
	buf := make([]byte, n+n/2)
	for sb.Len() < len(prefix)+n {
		_, _ = rand.Read(buf)
		for _, c := range buf {
			// 62*4 = 248: reject the top values so every character is equally likely.
			if c >= 248 {
				continue
			}
			sb.WriteByte(alphanumeric[c%62])
			if sb.Len() == len(prefix)+n {
				break
			}
		}
	}
	return sb.String()
}

// HasHexSuffix reports whether id is prefix followed by exactly 32 lowercase hex characters.
func HasHexSuffix(id, prefix string) bool {
	if !strings.HasPrefix(id, prefix) || len(id) != len(prefix)+32 {
		return false
	}
	for _, c := range id[len(prefix):] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
