// Package upload inspects uploaded KYC documents: it tells what a file is from its content and checks
// that it is a whole, readable file of an accepted kind. It does no I/O.
package upload

import (
	"bytes"
	"mime"
	"net/http"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Kind is the media type of an accepted file.
type Kind string

// The kinds of file accepted.
const (
	KindPDF  Kind = "application/pdf"
	KindJPEG Kind = "image/jpeg"
	KindPNG  Kind = "image/png"
)

const (
	// MinImageSide is the smallest width and height, in pixels, of an image that can show a readable
	// document or face.
	MinImageSide = 200
	// MaxImagePixels is the largest image accepted, in pixels (50 megapixels), read from the header.
	// (Checking an image does not take memory in proportion to its pixels: see image.go.)
	MaxImagePixels = 50_000_000
	// MaxJPEGScans is the largest number of scans accepted in a JPEG. A progressive JPEG from a camera
	// or common encoder has about ten; each scan makes the decoder visit every block of the image, so a
	// small file with thousands of near-empty scans would otherwise take minutes to decode.
	MaxJPEGScans = 32
	// pdfTail is how near the end of a PDF its "%%EOF" marker must be.
	pdfTail = 1024
)

var (
	magicPDF  = []byte("%PDF-")
	magicJPEG = []byte{0xff, 0xd8, 0xff}
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
)

// field is the request field that errors are reported against.
const field = "file"

// Inspect determines what b is by its content (never by a name or a declared type) and checks it is a
// whole, readable file of an accepted kind: a PDF, JPEG or PNG. Errors are *lending.Error values
// about the field "file", with code lending.CodeInvalidFile for an empty, damaged, too small or too
// large file or a password-protected PDF, and lending.CodeUnsupportedFileType for any other kind of
// file. On error the Kind is empty. Inspect does not limit the size of b, but the memory it takes
// besides b is bounded whatever b holds: at most about 16 MiB for a JPEG it decodes in full (and at
// most two such decodes run at once), well under 1 MiB otherwise.
func Inspect(b []byte) (Kind, error) {
	var kind Kind
	var err error
	switch {
	case len(b) == 0:
		return "", lending.FieldErrorf(lending.CodeInvalidFile, field, "the file is empty")
	case bytes.HasPrefix(b, magicPDF):
		kind, err = KindPDF, inspectPDF(b)
	case bytes.HasPrefix(b, magicJPEG):
		kind, err = KindJPEG, inspectJPEG(b)
	case bytes.HasPrefix(b, magicPNG):
		kind, err = KindPNG, inspectPNG(b)
	default:
		return "", unsupported(b)
	}
	if err != nil {
		return "", err
	}
	return kind, nil
}

// unsupported returns the error for content that is none of the accepted kinds, naming what it
// appears to be when that is known.
func unsupported(b []byte) error {
	const accepted = "only PDF, JPEG or PNG files are accepted"
	detected := http.DetectContentType(b)
	if t, _, err := mime.ParseMediaType(detected); err == nil {
		detected = t
	}
	if detected == "application/octet-stream" {
		return lending.FieldErrorf(lending.CodeUnsupportedFileType, field,
			"the file type is not recognized; %s", accepted)
	}
	return lending.FieldErrorf(lending.CodeUnsupportedFileType, field,
		"the file appears to be %s; %s", detected, accepted)
}

// inspectPDF checks that b looks like a whole, unencrypted PDF: a version header at the start, an
// end-of-file marker at the end and at least one object. It does not parse the document.
func inspectPDF(b []byte) error {
	tail := b[max(0, len(b)-pdfTail):]
	if !(bytes.HasPrefix(b, []byte("%PDF-1.")) || bytes.HasPrefix(b, []byte("%PDF-2."))) ||
		!bytes.Contains(tail, []byte("%%EOF")) ||
		!bytes.Contains(b, []byte(" obj")) {
		return lending.FieldErrorf(lending.CodeInvalidFile, field, "the PDF is damaged or truncated")
	}
	if hasName(b, "/Encrypt") {
		return lending.FieldErrorf(lending.CodeInvalidFile, field, "password-protected PDFs cannot be reviewed")
	}
	return nil
}

// hasName reports whether b contains the PDF name token name (such as "/Encrypt") as a whole token:
// followed by the end of b, white space or a delimiter, not by more name characters.
func hasName(b []byte, name string) bool {
	for {
		i := bytes.Index(b, []byte(name))
		if i < 0 {
			return false
		}
		b = b[i+len(name):]
		if len(b) == 0 || isPDFDelimiter(b[0]) {
			return true
		}
	}
}

// isPDFDelimiter reports whether c ends a PDF name: white space or a delimiter character (ISO 32000,
// 7.2.2).
func isPDFDelimiter(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ', '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}
