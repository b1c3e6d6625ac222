// Package upload inspects uploaded KYC documents: it tells what a file is from its content and checks
// that it is a whole, readable file of an accepted kind. It does no I/O.
package upload

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
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
	// MaxImagePixels is the largest image accepted, in pixels (50 megapixels), checked from the header
	// before decoding so that a small file cannot expand into an enormous bitmap.
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
// file. On error the Kind is empty. Inspect does not limit the size of b.
func Inspect(b []byte) (Kind, error) {
	var kind Kind
	var err error
	switch {
	case len(b) == 0:
		return "", lending.FieldErrorf(lending.CodeInvalidFile, field, "the file is empty")
	case bytes.HasPrefix(b, magicPDF):
		kind, err = KindPDF, inspectPDF(b)
	case bytes.HasPrefix(b, magicJPEG):
		kind, err = KindJPEG, inspectImage(b, jpeg.DecodeConfig, checkJPEGScans, jpeg.Decode)
	case bytes.HasPrefix(b, magicPNG):
		kind, err = KindPNG, inspectImage(b, png.DecodeConfig, nil, png.Decode)
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

// inspectImage checks that b is an image of a reasonable size that decodes completely. The size is
// read from the header first, and precheck (if not nil) is run, so that an image too costly to decode
// is refused before it is decoded.
func inspectImage(b []byte, config func(io.Reader) (image.Config, error), precheck func([]byte) error,
	decode func(io.Reader) (image.Image, error)) error {
	damaged := func() error {
		return lending.FieldErrorf(lending.CodeInvalidFile, field, "the image is damaged or truncated")
	}
	cfg, err := config(bytes.NewReader(b))
	if err != nil {
		return damaged()
	}
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w*h > MaxImagePixels {
		return lending.FieldErrorf(lending.CodeInvalidFile, field,
			"the image is too large (%d×%d pixels); at most %d megapixels are accepted", w, h, MaxImagePixels/1_000_000)
	}
	if w < MinImageSide || h < MinImageSide {
		return lending.FieldErrorf(lending.CodeInvalidFile, field,
			"the image is too small (%d×%d pixels) to show a document or face legibly; it must be at least %d×%d pixels",
			w, h, MinImageSide, MinImageSide)
	}
	if precheck != nil {
		if err := precheck(b); err != nil {
			return err
		}
	}
	if _, err := decode(bytes.NewReader(b)); err != nil {
		return damaged()
	}
	return nil
}

// checkJPEGScans refuses a JPEG with more than MaxJPEGScans scans (start-of-scan markers).
func checkJPEGScans(b []byte) error {
	if n := jpegScans(b, MaxJPEGScans+1); n > MaxJPEGScans {
		return lending.FieldErrorf(lending.CodeInvalidFile, field,
			"the image has an unusual encoding (more than %d scans); save it again as a standard JPEG", MaxJPEGScans)
	}
	return nil
}

// jpegScans counts the start-of-scan markers of the JPEG b, stopping at limit. It follows the
// segment structure (so markers inside metadata, such as an embedded thumbnail, are not counted) and
// stops at the end of the image or at anything malformed, which decoding reports.
func jpegScans(b []byte, limit int) int {
	const (
		markerSOS = 0xda
		markerEOI = 0xd9
	)
	n := 0
	i := 2 // after SOI
	for n < limit {
		// A marker: 0xff, any number of 0xff fill bytes, then the marker code.
		if i >= len(b) || b[i] != 0xff {
			return n
		}
		for i < len(b) && b[i] == 0xff {
			i++
		}
		if i >= len(b) {
			return n
		}
		m := b[i]
		i++
		switch {
		case m == markerEOI:
			return n
		case m == 0x01 || 0xd0 <= m && m <= 0xd8: // TEM, RSTn and SOI carry no segment
			continue
		}
		if i+2 > len(b) {
			return n
		}
		i += int(b[i])<<8 | int(b[i+1]) // the length counts itself, not the marker
		if m != markerSOS {
			continue
		}
		n++
		// Entropy-coded data follows, up to the next marker other than a restart marker; 0xff
		// bytes within it are followed by 0x00.
		for ; i+1 < len(b); i++ {
			if b[i] == 0xff && b[i+1] != 0 && !(0xd0 <= b[i+1] && b[i+1] <= 0xd7) {
				break
			}
		}
	}
	return n
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
