// Package pdf writes text documents (headings, paragraphs, ruled tables) as PDF 1.4 files, with no
// dependency outside the standard library.
//
// A [Document] is laid out as it is built: each call places its text on A4 portrait pages with 20 mm
// margins, wrapping lines by the widths of the standard fonts Helvetica and Helvetica-Bold and
// starting new pages as needed; [Document.Bytes] then writes the file, with "Página X de Y" in every
// footer. The fonts are not embedded (every PDF reader has the standard 14 fonts) and text is encoded
// in WinAnsiEncoding, so Portuguese (and any other Western European text) shows correctly; characters
// outside it become '?'.
//
// The output is deterministic: the same calls and creation time give the same bytes.
package pdf

import (
	"bytes"
	"strings"
)

// Align is the horizontal alignment of a table column.
type Align int

// Column alignments.
const (
	AlignLeft Align = iota
	AlignRight
	AlignCenter
)

// Page geometry and type sizes, in points (1/72 inch).
const (
	ptPerMM      = 72 / 25.4
	pageWidth    = 595.28 // A4, 210 mm
	pageHeight   = 841.89 // A4, 297 mm
	margin       = 20 * ptPerMM
	contentWidth = pageWidth - 2*margin
	bodyTop      = pageHeight - margin
	bodyBottom   = margin
	bodyHeight   = bodyTop - bodyBottom

	titleSize   = 15
	headingSize = 11.5
	bodySize    = 10
	tableSize   = 8.5
	footerSize  = 8

	// lineFactor is the line height as a multiple of the font size.
	lineFactor = 1.3
	// cellPad is the space between a table cell's rule and its text.
	cellPad = 3
	// ascent is how far below the top of its line box the baseline of a line sits, as a multiple of
	// the font size: half the extra leading, plus Helvetica's ascender (718/1000).
	ascent = (lineFactor-0.925)/2 + 0.718
	// maxWordSpacing bounds the extra space a justified line may put between words, as a multiple of
	// the font size; a line that would need more is left ragged.
	maxWordSpacing = 0.6
)

type font int

const (
	regular font = iota
	bold
)

// resource is the name of the font in the page resources.
func (f font) resource() string {
	if f == bold {
		return "/F2"
	}
	return "/F1"
}

// width returns the width, in points, of the WinAnsi text s at size.
func (f font) width(s []byte, size float64) float64 {
	table := &helveticaWidths
	if f == bold {
		table = &helveticaBoldWidths
	}
	units := 0
	for _, c := range s {
		if c < 32 {
			c = ' '
		}
		units += int(table[c-32])
	}
	return float64(units) * size / 1000
}

// Document is a text document being laid out. The zero value is not usable; call [New].
type Document struct {
	title string
	lang  string
	// pages holds each page's content stream, without the footer (which needs the page count).
	pages []*bytes.Buffer
	// y is the top of the free space on the last page, from the bottom of the page.
	y float64
}

// New returns an empty document with the given title (the /Title of its Info dictionary, and the
// left-hand text of every footer).
func New(title string) *Document {
	return &Document{title: title}
}

// SetLang sets the natural language of the document (a BCP 47 tag such as "pt-BR"), which screen
// readers and text extraction use.
func (d *Document) SetLang(tag string) { d.lang = tag }

// Pages returns the number of pages laid out so far (at least 1 once anything was added).
func (d *Document) Pages() int { return len(d.pages) }

func (d *Document) newPage() {
	d.pages = append(d.pages, new(bytes.Buffer))
	d.y = bodyTop
}

// current returns the content of the last page, starting the first page if there is none.
func (d *Document) current() *bytes.Buffer {
	if len(d.pages) == 0 {
		d.newPage()
	}
	return d.pages[len(d.pages)-1]
}

// atTop reports whether nothing was placed on the current page yet.
func (d *Document) atTop() bool { return len(d.pages) == 0 || d.y >= bodyTop }

// fits reports whether h points fit in the free space of the current page.
func (d *Document) fits(h float64) bool { return d.y-h >= bodyBottom-0.001 }

// need starts a new page unless h points fit on the current one (or it is empty).
func (d *Document) need(h float64) {
	d.current()
	if !d.fits(h) && !d.atTop() {
		d.newPage()
	}
}

// NeedSpace starts a new page unless mm millimetres of space are left on the current one, to keep a
// block that follows (a signature, say) in one piece.
func (d *Document) NeedSpace(mm float64) { d.need(mm * ptPerMM) }

// Spacer leaves mm millimetres of vertical space; at the end of a page it just ends the page.
func (d *Document) Spacer(mm float64) {
	d.current()
	d.y = max(d.y-mm*ptPerMM, bodyBottom)
}

// Title adds a title: large, bold and centred; each line of text ('\n' separated) is wrapped and
// centred on its own.
func (d *Document) Title(text string) {
	lh := titleSize * lineFactor
	lines := wrap(bold, titleSize, text, contentWidth)
	d.need(float64(len(lines))*lh + 2*bodySize*lineFactor)
	for _, l := range lines {
		d.need(lh)
		x := margin + (contentWidth-bold.width(l.text, titleSize))/2
		d.showText(bold, titleSize, x, d.y-ascent*titleSize, l.text, 0)
		d.y -= lh
	}
	d.y -= bodySize * 0.6
}

// Heading adds a section heading in bold, larger than the text. It is kept on the same page as at
// least the first two lines of what follows.
func (d *Document) Heading(text string) {
	lh := headingSize * lineFactor
	lines := wrap(bold, headingSize, text, contentWidth)
	if !d.atTop() {
		d.y -= headingSize * 0.4
	}
	d.need(float64(len(lines))*lh + 2*bodySize*lineFactor)
	for _, l := range lines {
		d.need(lh)
		d.showText(bold, headingSize, margin, d.y-ascent*headingSize, l.text, 0)
		d.y -= lh
	}
	d.y -= headingSize * 0.2
}

// Paragraph adds text wrapped to the page width and justified (the last line of the paragraph, and of
// each '\n'-separated line within it, is left aligned). It continues on a new page when needed.
func (d *Document) Paragraph(text string) {
	lh := bodySize * lineFactor
	for _, l := range wrap(regular, bodySize, text, contentWidth) {
		d.need(lh)
		tw := 0.0
		if !l.last {
			if spaces := bytes.Count(l.text, []byte{' '}); spaces > 0 {
				tw = (contentWidth - regular.width(l.text, bodySize)) / float64(spaces)
				if tw > maxWordSpacing*bodySize {
					tw = 0
				}
			}
		}
		d.showText(regular, bodySize, margin, d.y-ascent*bodySize, l.text, tw)
		d.y -= lh
	}
	d.y -= bodySize * 0.5
}

// showText places one line of WinAnsi text with its baseline at (x, y), with tw points of extra space
// after each space character.
func (d *Document) showText(f font, size, x, y float64, text []byte, tw float64) {
	writeText(d.current(), f, size, x, y, text, tw)
}

func writeText(b *bytes.Buffer, f font, size, x, y float64, text []byte, tw float64) {
	if len(text) == 0 {
		return
	}
	b.WriteString("BT ")
	b.WriteString(f.resource())
	b.WriteByte(' ')
	b.WriteString(num(size))
	b.WriteString(" Tf ")
	if tw != 0 {
		b.WriteString(num(tw))
		b.WriteString(" Tw ")
	}
	b.WriteString(num(x))
	b.WriteByte(' ')
	b.WriteString(num(y))
	b.WriteString(" Td ")
	writeString(b, text)
	b.WriteString(" Tj")
	if tw != 0 {
		b.WriteString(" 0 Tw")
	}
	b.WriteString(" ET\n")
}

// line is one laid-out line of text.
type line struct {
	text []byte
	// last marks the last line of a paragraph or of a '\n'-separated line, which is not justified.
	last bool
}

// wrap breaks text into lines no wider than width at size: at '\n', and at spaces between words
// (runs of spaces count as one); a word wider than a line is broken between characters.
func wrap(f font, size float64, text string, width float64) []line {
	var out []line
	space := f.width([]byte{' '}, size)
	for _, hard := range strings.Split(text, "\n") {
		words := fields(WinAnsi(strings.TrimSuffix(hard, "\r")))
		var cur []byte
		curWidth := 0.0
		for _, w := range words {
			ww := f.width(w, size)
			if len(cur) > 0 {
				if curWidth+space+ww <= width {
					cur = append(cur, ' ')
					cur = append(cur, w...)
					curWidth += space + ww
					continue
				}
				out = append(out, line{text: cur})
				cur, curWidth = nil, 0
			}
			for ww > width && len(w) > 1 {
				n, nw := 0, 0.0
				for n < len(w) {
					cw := f.width(w[n:n+1], size)
					if n > 0 && nw+cw > width {
						break
					}
					n, nw = n+1, nw+cw
				}
				out = append(out, line{text: w[:n:n]})
				w = w[n:]
				ww = f.width(w, size)
			}
			cur = append([]byte(nil), w...)
			curWidth = ww
		}
		out = append(out, line{text: cur, last: true})
	}
	return out
}

// fields splits WinAnsi text at runs of spaces (only byte 32: a no-break space does not break, and
// the bytes are not UTF-8, so bytes.Fields would misread them).
func fields(s []byte) [][]byte {
	var out [][]byte
	for _, w := range bytes.Split(s, []byte{' '}) {
		if len(w) > 0 {
			out = append(out, w)
		}
	}
	return out
}
