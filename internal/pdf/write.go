package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
)

// Object numbers of the fixed objects; page i (from 0) is object firstPage+2i and its content stream
// the next one.
const (
	objCatalog = 1 + iota
	objPages
	objFont
	objFontBold
	objInfo
	firstPage
)

// Bytes returns the document as a PDF 1.4 file created at created (its /CreationDate, with created's
// UTC offset). Every page gets a footer with the title and "Página X de Y". A document with nothing in
// it has one blank page. Bytes does not change the document, so it may be called again.
func (d *Document) Bytes(created time.Time) ([]byte, error) {
	pages := d.pages
	if len(pages) == 0 {
		pages = []*bytes.Buffer{new(bytes.Buffer)}
	}
	n := len(pages)
	w := &writer{offsets: make([]int, firstPage+2*n)}
	w.buf.WriteString("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")

	catalog := fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /ViewerPreferences << /DisplayDocTitle true >>", objPages)
	if d.lang != "" {
		catalog += " /Lang " + string(literal(WinAnsi(d.lang)))
	}
	w.object(objCatalog, catalog+" >>")

	var kids bytes.Buffer
	for i := range n {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", firstPage+2*i)
	}
	w.object(objPages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), n))
	w.object(objFont, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	w.object(objFontBold, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	w.object(objInfo, fmt.Sprintf("<< /Title %s /Producer (dinie) /CreationDate (%s) >>", textString(d.title), pdfDate(created)))

	footerTitle := WinAnsi(d.title)
	for i, content := range pages {
		var stream bytes.Buffer
		stream.Write(content.Bytes())
		d.footer(&stream, footerTitle, i+1, n)
		z, err := w.deflate(stream.Bytes())
		if err != nil {
			return nil, fmt.Errorf("pdf: compress page %d: %w", i+1, err)
		}
		page := firstPage + 2*i
		w.object(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] "+
			"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> /ProcSet [/PDF /Text] >> /Contents %d 0 R >>",
			objPages, num(pageWidth), num(pageHeight), objFont, objFontBold, page+1))
		w.stream(page+1, z)
	}

	// The file identifier is a hash of everything before the cross-reference table, so that different
	// documents get different identifiers and the same document the same one.
	sum := sha256.Sum256(w.buf.Bytes())
	id := hex.EncodeToString(sum[:16])
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets))
	for _, off := range w.offsets[1:] {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets), objCatalog, objInfo, id, id, xref)
	return w.buf.Bytes(), nil
}

// footer writes the footer of page i of n: the title on the left (cut to fit), "Página i de n" on the
// right, in small grey type in the bottom margin.
func (d *Document) footer(b *bytes.Buffer, title []byte, i, n int) {
	y := bodyBottom / 2
	pageNo := WinAnsi(fmt.Sprintf("Página %d de %d", i, n))
	pw := regular.width(pageNo, footerSize)
	room := contentWidth - pw - 4*footerSize
	for len(title) > 0 && regular.width(title, footerSize) > room {
		title = title[:len(title)-1]
	}
	b.WriteString("0.35 g\n")
	writeText(b, regular, footerSize, margin, y, title, 0)
	writeText(b, regular, footerSize, margin+contentWidth-pw, y, pageNo, 0)
	b.WriteString("0 g\n")
}

// writer accumulates the file and the byte offset of each object.
type writer struct {
	buf     bytes.Buffer
	offsets []int
	z       *zlib.Writer
}

func (w *writer) object(n int, body string) {
	w.offsets[n] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (w *writer) stream(n int, data []byte) {
	w.offsets[n] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", n, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

// deflate compresses b with zlib, which is deterministic for a given input and level. One compressor
// serves every stream of the file (it is large to allocate).
func (w *writer) deflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	if w.z == nil {
		z, err := zlib.NewWriterLevel(&out, zlib.BestCompression)
		if err != nil {
			return nil, err
		}
		w.z = z
	} else {
		w.z.Reset(&out)
	}
	if _, err := w.z.Write(b); err != nil {
		return nil, err
	}
	if err := w.z.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// num formats a coordinate or size with at most 2 decimals and no trailing zeros.
func num(f float64) string {
	r := math.Round(f*100) / 100
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// writeString writes s as a PDF literal string.
func writeString(b *bytes.Buffer, s []byte) { b.Write(literal(s)) }

// literal returns s as a PDF literal string: in parentheses, with '(', ')' and '\' escaped, and
// carriage returns escaped so that readers do not turn them into line feeds.
func literal(s []byte) []byte {
	out := make([]byte, 0, len(s)+2)
	out = append(out, '(')
	for _, c := range s {
		switch c {
		case '(', ')', '\\':
			out = append(out, '\\', c)
		case '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, c)
		}
	}
	return append(out, ')')
}

// textString returns s as a PDF text string (for the Info dictionary): a literal string when s is
// printable ASCII, otherwise UTF-16BE with a byte order mark, in hexadecimal.
func textString(s string) string {
	ascii := true
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7E {
			ascii = false
			break
		}
	}
	if ascii {
		return string(literal([]byte(s)))
	}
	units := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(units))
	b[0], b[1] = 0xFE, 0xFF
	for _, u := range units {
		b = append(b, byte(u>>8), byte(u))
	}
	return "<" + hex.EncodeToString(b) + ">"
}

// pdfDate formats t as a PDF date, D:YYYYMMDDHHmmSS followed by its UTC offset (Z, or +HH'mm').
func pdfDate(t time.Time) string {
	s := "D:" + t.Format("20060102150405")
	_, off := t.Zone()
	if off == 0 {
		return s + "Z"
	}
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s%c%02d'%02d'", s, sign, off/3600, off/60%60)
}
