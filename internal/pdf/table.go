package pdf

// Table adds a ruled table across the page width. headers (bold, on a grey band) may be nil for a table
// without a header row; otherwise the header row is repeated at the top of every page the table
// continues on. Rows may have fewer cells than the widest row (the rest are empty). align gives each
// column's alignment; missing entries are AlignLeft. Columns get their natural width, widened in
// proportion to fill the page; when the natural widths do not fit, the widest columns are narrowed
// and their cells wrap. A row is moved whole to the next page when it does not fit, and split between
// lines only when it is taller than a page.
func (d *Document) Table(headers []string, rows [][]string, align []Align) {
	ncol := len(headers)
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	if ncol == 0 {
		return
	}
	enc := func(cells []string) [][]byte {
		out := make([][]byte, ncol)
		for i := range out {
			if i < len(cells) {
				out[i] = WinAnsi(cells[i])
			}
		}
		return out
	}
	var head [][]byte
	if headers != nil {
		head = enc(headers)
	}
	body := make([][][]byte, len(rows))
	for i, r := range rows {
		body[i] = enc(r)
	}
	t := &table{d: d, align: align, widths: columnWidths(head, body, ncol)}
	if head != nil {
		t.head = t.layout(bold, headers)
	}
	d.current()
	if !d.atTop() {
		d.y -= bodySize * 0.2
	}
	first := 1
	if len(rows) > 0 {
		first = t.layout(regular, rows[0]).count()
	}
	d.need(t.headHeight() + t.rowHeight(min(first, 3)))
	t.header()
	for _, r := range rows {
		t.row(t.layout(regular, r))
	}
	d.y -= bodySize * 0.5
}

// table is a table being placed.
type table struct {
	d      *Document
	align  []Align
	widths []float64
	// head is the laid-out header row (nil without headers).
	head cells
}

// cells are the wrapped lines of each cell of a row.
type cells struct {
	font font
	text [][]line
}

// count returns the number of lines of the row: those of its tallest cell, at least 1.
func (c cells) count() int {
	n := 1
	for _, l := range c.text {
		n = max(n, len(l))
	}
	return n
}

const tableLine = tableSize * lineFactor

// rowHeight is the height of a row of n lines.
func (t *table) rowHeight(n int) float64 { return float64(n)*tableLine + 2*cellPad }

// headHeight is the height of the header row, 0 without headers.
func (t *table) headHeight() float64 {
	if t.head.text == nil {
		return 0
	}
	return t.rowHeight(t.head.count())
}

func (t *table) layout(f font, row []string) cells {
	c := cells{font: f, text: make([][]line, len(t.widths))}
	for i := range t.widths {
		text := ""
		if i < len(row) {
			text = row[i]
		}
		c.text[i] = wrap(f, tableSize, text, t.widths[i]-2*cellPad)
	}
	return c
}

// header places the header row, if any, at the top of the free space.
func (t *table) header() {
	if t.head.text != nil {
		t.draw(t.head, 0, t.head.count(), true)
	}
}

// row places a row, on a new page (under the repeated header) when it does not fit, split between
// pages only when it is taller than a whole page.
func (t *table) row(c cells) {
	n := c.count()
	headH := t.headHeight()
	if !t.d.fits(t.rowHeight(n)) && t.rowHeight(n) <= bodyHeight-headH {
		t.d.newPage()
		t.header()
	}
	for start := 0; start < n; {
		fit := int((t.d.y - bodyBottom - 2*cellPad) / tableLine)
		if fit < 1 {
			if t.d.y >= bodyTop-headH { // a fresh page that the header fills: place a line anyway
				fit = 1
			} else {
				t.d.newPage()
				t.header()
				continue
			}
		}
		end := min(n, start+fit)
		t.draw(c, start, end, false)
		start = end
	}
}

// draw places lines [from, to) of row c at the top of the free space: the rules around each cell, a
// grey band under a header, and the text.
func (t *table) draw(c cells, from, to int, header bool) {
	b := t.d.current()
	h := t.rowHeight(to - from)
	top := t.d.y
	bottom := top - h
	if header {
		b.WriteString("0.9 g " + num(margin) + " " + num(bottom) + " " + num(contentWidth) + " " + num(h) + " re f 0 g\n")
	}
	b.WriteString("0.5 w 0.55 G " + num(margin) + " " + num(bottom) + " " + num(contentWidth) + " " + num(h) + " re")
	x := margin
	for _, w := range t.widths[:len(t.widths)-1] {
		x += w
		b.WriteString(" " + num(x) + " " + num(bottom) + " m " + num(x) + " " + num(top) + " l")
	}
	b.WriteString(" S 0 G\n")
	x = margin
	for i, w := range t.widths {
		ls := c.text[i]
		for k := from; k < to && k < len(ls); k++ {
			text := ls[k].text
			tx := x + cellPad
			switch t.alignOf(i) {
			case AlignRight:
				tx = x + w - cellPad - c.font.width(text, tableSize)
			case AlignCenter:
				tx = x + (w-c.font.width(text, tableSize))/2
			}
			y := top - cellPad - float64(k-from)*tableLine - ascent*tableSize
			writeText(b, c.font, tableSize, tx, y, text, 0)
		}
		x += w
	}
	t.d.y = bottom
}

func (t *table) alignOf(i int) Align {
	if i < len(t.align) {
		return t.align[i]
	}
	return AlignLeft
}

// columnWidths shares the page width between ncol columns. Each column's natural width is its widest
// cell on one line (headers in bold) plus padding. When they all fit, the slack is shared in proportion
// to the natural widths. Otherwise the columns narrower than an equal share keep their natural width
// and the others share what is left in proportion to their natural widths, repeatedly, so that no
// column gets more than it needs.
func columnWidths(head [][]byte, body [][][]byte, ncol int) []float64 {
	natural := make([]float64, ncol)
	// At least about one character, unless there are so many columns that even that does not fit.
	minimum := min(2*cellPad+tableSize, contentWidth/float64(ncol))
	for i := range natural {
		natural[i] = minimum
		if head != nil {
			natural[i] = max(natural[i], bold.width(head[i], tableSize)+2*cellPad)
		}
		for _, r := range body {
			natural[i] = max(natural[i], regular.width(r[i], tableSize)+2*cellPad)
		}
	}
	total := 0.0
	for _, w := range natural {
		total += w
	}
	out := make([]float64, ncol)
	if total <= contentWidth {
		for i, w := range natural {
			out[i] = w * contentWidth / total
		}
		return out
	}
	fixed := make([]bool, ncol)
	left, open := contentWidth, ncol
	for {
		share := left / float64(open)
		changed := false
		for i, w := range natural {
			if !fixed[i] && w <= share {
				fixed[i], out[i] = true, w
				left -= w
				open--
				changed = true
			}
		}
		if !changed || open == 0 {
			break
		}
	}
	rest := 0.0
	for i, w := range natural {
		if !fixed[i] {
			rest += w
		}
	}
	for i, w := range natural {
		if !fixed[i] {
			out[i] = max(w*left/rest, minimum)
		}
	}
	return out
}
