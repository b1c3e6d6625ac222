package pdf

import (
	"bytes"
	"compress/zlib"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/upload"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var created = time.Date(2026, time.March, 15, 10, 30, 0, 0, time.FixedZone("BRT", -3*60*60))

// portuguese is text with every accent and symbol the CCB uses.
const portuguese = "Cédula de Crédito Bancário: à vista, ação, coração, órgão, pôr, você, têm, útil, índice, " +
	"À, É, Ç, Ã, Õ, Ú, Í, Ó, Â, Ê, Ô — R$ 25.000,00 – art. 28, § 1º, I; 2ª via; “título executivo”."

// parsed is a PDF file taken apart by its cross-reference table.
type parsed struct {
	objects map[int]string // object number → the text between "N 0 obj\n" and "\nendobj"
	streams map[int]string // object number → the inflated stream data
	trailer string
}

// parse checks the file structure of b and returns its objects. It fails the test when the header,
// the cross-reference table, an object offset, a stream length, the trailer, startxref or %%EOF is
// wrong.
func parse(t *testing.T, b []byte) parsed {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n%")) {
		t.Fatalf("header: %q", b[:min(len(b), 20)])
	}
	second := b[len("%PDF-1.4\n%"):]
	if nl := bytes.IndexByte(second, '\n'); nl < 4 {
		t.Fatalf("no binary comment line")
	} else {
		for _, c := range second[:nl] {
			if c < 128 {
				t.Fatalf("binary comment line %q has a byte below 128", second[:nl])
			}
		}
	}
	if !bytes.HasSuffix(b, []byte("\n%%EOF\n")) {
		t.Fatalf("does not end with %%%%EOF: %q", b[max(0, len(b)-20):])
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no startxref at the end")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[xref:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the xref table: %q", xref, b[xref:min(len(b), xref+20)])
	}
	rest := string(b[xref+len("xref\n"):])
	var first, count int
	if _, err := fmt.Sscanf(rest, "%d %d\n", &first, &count); err != nil || first != 0 {
		t.Fatalf("xref subsection header: %v", err)
	}
	rest = rest[strings.IndexByte(rest, '\n')+1:]
	if !strings.HasPrefix(rest, "0000000000 65535 f \n") {
		t.Fatalf("xref entry 0: %q", rest[:20])
	}
	p := parsed{objects: map[int]string{}, streams: map[int]string{}}
	for n := 1; n < count; n++ {
		entry := rest[20*n : 20*n+20]
		if !regexp.MustCompile(`^\d{10} 00000 n \n$`).MatchString(entry) {
			t.Fatalf("xref entry %d: %q", n, entry)
		}
		off, _ := strconv.Atoi(entry[:10])
		head := fmt.Sprintf("%d 0 obj\n", n)
		if !bytes.HasPrefix(b[off:], []byte(head)) {
			t.Fatalf("xref entry %d: offset %d holds %q", n, off, b[off:min(len(b), off+20)])
		}
		body := b[off+len(head):]
		if lm := regexp.MustCompile(`^<< /Length (\d+) /Filter /FlateDecode >>\nstream\n`).FindSubmatch(body); lm != nil {
			length, _ := strconv.Atoi(string(lm[1]))
			data := body[len(lm[0]):]
			if !bytes.HasPrefix(data[length:], []byte("\nendstream\nendobj\n")) {
				t.Fatalf("object %d: /Length %d does not end at endstream", n, length)
			}
			z, err := zlib.NewReader(bytes.NewReader(data[:length]))
			if err != nil {
				t.Fatalf("object %d: %v", n, err)
			}
			inflated, err := io.ReadAll(z)
			if err != nil {
				t.Fatalf("object %d: %v", n, err)
			}
			p.streams[n] = string(inflated)
			p.objects[n] = string(lm[0])
			continue
		}
		end := bytes.Index(body, []byte("\nendobj\n"))
		if end < 0 {
			t.Fatalf("object %d has no endobj", n)
		}
		p.objects[n] = string(body[:end])
	}
	if !strings.HasPrefix(rest[20*count:], "trailer\n") {
		t.Fatalf("no trailer after the xref table")
	}
	p.trailer = rest[20*count:]
	tm := regexp.MustCompile(`^trailer\n<< /Size (\d+) /Root 1 0 R /Info 5 0 R /ID \[<([0-9a-f]{32})> <([0-9a-f]{32})>\] >>\n`).
		FindStringSubmatch(p.trailer)
	if tm == nil {
		t.Fatalf("trailer: %q", p.trailer)
	}
	if size, _ := strconv.Atoi(tm[1]); size != count {
		t.Fatalf("trailer /Size %d, xref has %d entries", size, count)
	}
	if tm[2] != tm[3] {
		t.Fatalf("/ID elements differ: %s %s", tm[2], tm[3])
	}
	return p
}

// pageContents returns the inflated content stream of every page, in page order.
func (p parsed) pageContents(t *testing.T) []string {
	t.Helper()
	kids := regexp.MustCompile(`/Kids \[([^\]]*)\] /Count (\d+)`).FindStringSubmatch(p.objects[objPages])
	if kids == nil {
		t.Fatalf("pages object: %q", p.objects[objPages])
	}
	var out []string
	for _, ref := range regexp.MustCompile(`(\d+) 0 R`).FindAllStringSubmatch(kids[1], -1) {
		n, _ := strconv.Atoi(ref[1])
		cm := regexp.MustCompile(`/Contents (\d+) 0 R`).FindStringSubmatch(p.objects[n])
		if !strings.HasPrefix(p.objects[n], "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] ") || cm == nil {
			t.Fatalf("page object %d: %q", n, p.objects[n])
		}
		c, _ := strconv.Atoi(cm[1])
		out = append(out, p.streams[c])
	}
	if count, _ := strconv.Atoi(kids[2]); count != len(out) {
		t.Fatalf("/Count %d, %d kids", count, len(out))
	}
	return out
}

// shown returns the strings a content stream shows, decoded from WinAnsi, one per text object.
func shown(content string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\) Tj`).FindAllStringSubmatch(content, -1) {
		s := regexp.MustCompile(`\\(.)`).ReplaceAllString(m[1], "$1")
		out = append(out, fromWinAnsi(s))
	}
	return out
}

// fromWinAnsi decodes WinAnsi bytes (inverting the encoder's tables).
func fromWinAnsi(s string) string {
	inv := map[byte]rune{}
	for r, b := range winAnsiHigh {
		inv[b] = r
	}
	var sb strings.Builder
	for i := range len(s) {
		if r, ok := inv[s[i]]; ok {
			sb.WriteRune(r)
		} else {
			sb.WriteRune(rune(s[i]))
		}
	}
	return sb.String()
}

func sampleDocument() *Document {
	d := New("Documento de teste — Cédula")
	d.SetLang("pt-BR")
	d.Title("Cédula de Crédito Bancário\nNº CCB-2026-000123")
	d.Heading("1. Promessa de pagamento")
	d.Paragraph(portuguese)
	d.Spacer(5)
	d.Table([]string{"Nº", "Vencimento", "Valor"}, [][]string{
		{"1", "15/04/2026", "R$ 1.234,56"},
		{"2", "15/05/2026", "R$ 1.234,50"},
	}, []Align{AlignCenter, AlignCenter, AlignRight})
	d.Paragraph("f(x) = a \\ b")
	return d
}

func TestStructure(t *testing.T) {
	t.Parallel()
	b, err := sampleDocument().Bytes(created)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, b)
	if got, want := p.objects[objCatalog], "<< /Type /Catalog /Pages 2 0 R /ViewerPreferences << /DisplayDocTitle true >> /Lang (pt-BR) >>"; got != want {
		t.Errorf("catalog = %q, want %q", got, want)
	}
	for n, base := range map[int]string{objFont: "Helvetica", objFontBold: "Helvetica-Bold"} {
		want := "<< /Type /Font /Subtype /Type1 /BaseFont /" + base + " /Encoding /WinAnsiEncoding >>"
		if p.objects[n] != want {
			t.Errorf("font object %d = %q, want %q", n, p.objects[n], want)
		}
	}
	// The title is UTF-16BE ("Documento de teste — Cédula"), the date keeps its UTC offset.
	wantInfo := "<< /Title " + textString("Documento de teste — Cédula") + " /Producer (dinie) /CreationDate (D:20260315103000-03'00') >>"
	if p.objects[objInfo] != wantInfo {
		t.Errorf("info = %q, want %q", p.objects[objInfo], wantInfo)
	}
	if !strings.HasPrefix(textString("Cé"), "<feff0043") {
		t.Errorf("textString(Cé) = %s", textString("Cé"))
	}
	pages := p.pageContents(t)
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	text := strings.Join(shown(pages[0]), "\n")
	for _, want := range []string{"Cédula de Crédito Bancário", "Nº CCB-2026-000123", "1. Promessa de pagamento",
		"R$ 1.234,56", "Vencimento", "Página 1 de 1", "f(x) = a \\ b", "“título executivo”."} {
		if !strings.Contains(text, want) {
			t.Errorf("page does not show %q; it shows:\n%s", want, text)
		}
	}
	if !strings.Contains(pages[0], `(f\(x\) = a \\ b) Tj`) {
		t.Errorf("parentheses and backslash not escaped in the content stream")
	}
	if kind, err := upload.Inspect(b); err != nil || kind != upload.KindPDF {
		t.Errorf("upload.Inspect = %q, %v; want application/pdf", kind, err)
	}
}

func TestPDFDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{created, "D:20260315103000-03'00'"},
		{created.UTC(), "D:20260315133000Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("IST", 5*3600+1800)), "D:20260102030405+05'30'"},
	} {
		if got := pdfDate(tc.t); got != tc.want {
			t.Errorf("pdfDate(%s) = %s, want %s", tc.t, got, tc.want)
		}
	}
}

func TestEmptyDocument(t *testing.T) {
	t.Parallel()
	d := New("vazio")
	b, err := d.Bytes(created)
	if err != nil {
		t.Fatal(err)
	}
	pages := parse(t, b).pageContents(t)
	if len(pages) != 1 || !strings.Contains(fromWinAnsi(pages[0]), "(Página 1 de 1)") {
		t.Errorf("empty document: %d pages, %q", len(pages), pages)
	}
	if d.Pages() != 0 {
		t.Errorf("Bytes added a page to the document")
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	d := sampleDocument()
	a, err := d.Bytes(created)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := d.Bytes(created)
	other, _ := sampleDocument().Bytes(created)
	if !bytes.Equal(a, again) || !bytes.Equal(a, other) {
		t.Fatalf("the same document gave different bytes")
	}
	id := func(b []byte) string {
		return regexp.MustCompile(`/ID \[<([0-9a-f]+)>`).FindStringSubmatch(string(b))[1]
	}
	later, _ := d.Bytes(created.Add(time.Second))
	changed := sampleDocument()
	changed.Paragraph("mais um parágrafo")
	c, _ := changed.Bytes(created)
	if id(later) == id(a) || id(c) == id(a) {
		t.Errorf("the /ID does not follow the content: %s %s %s", id(a), id(later), id(c))
	}
}

func TestPageBreaking(t *testing.T) {
	t.Parallel()
	d := New("Tabela longa")
	d.Heading("Cronograma")
	var rows [][]string
	for i := 1; i <= 200; i++ {
		rows = append(rows, []string{strconv.Itoa(i), "15/04/2026", "R$ 1.234,56", "R$ 99.999,99"})
	}
	d.Table([]string{"Nº", "Vencimento", "Valor", "Saldo devedor"}, rows, []Align{AlignCenter, AlignCenter, AlignRight, AlignRight})
	b, err := d.Bytes(created)
	if err != nil {
		t.Fatal(err)
	}
	pages := parse(t, b).pageContents(t)
	if len(pages) < 4 || len(pages) != d.Pages() {
		t.Fatalf("%d pages (Pages() = %d), want at least 4", len(pages), d.Pages())
	}
	var numbers []string
	for i, content := range pages {
		s := shown(content)
		if n := strings.Count(strings.Join(s, "\n")+"\n", "\nSaldo devedor\n"); n != 1 {
			t.Errorf("page %d shows the header %d times", i+1, n)
		}
		if want := fmt.Sprintf("Página %d de %d", i+1, len(pages)); s[len(s)-1] != want {
			t.Errorf("page %d footer %q, want %q", i+1, s[len(s)-1], want)
		}
		for _, line := range s {
			if _, err := strconv.Atoi(line); err == nil {
				numbers = append(numbers, line)
			}
		}
		// Nothing is drawn below the bottom margin except the footer.
		for _, m := range regexp.MustCompile(`([\d.]+) ([\d.]+) Td \((?:[^()\\]|\\.)*\) Tj`).FindAllStringSubmatch(content, -1) {
			y, _ := strconv.ParseFloat(m[2], 64)
			if y < bodyBottom && !strings.Contains(fromWinAnsi(m[0]), "Página") && !strings.Contains(m[0], "Tabela longa") {
				t.Errorf("page %d: text at y=%v, below the margin: %s", i+1, y, m[0])
			}
		}
	}
	want := make([]string, 200)
	for i := range want {
		want[i] = strconv.Itoa(i + 1)
	}
	if diff := cmp.Diff(want, numbers); diff != "" {
		t.Errorf("row numbers across pages (-want +got):\n%s", diff)
	}
}

func TestTallRowAndNarrowColumns(t *testing.T) {
	t.Parallel()
	d := New("Células longas")
	long := strings.Repeat("palavra ", 1200) // far taller than a page in a narrow column
	d.Table([]string{"A", "B", "C"}, [][]string{{"curta", long, strings.Repeat("x", 400)}}, nil)
	b, err := d.Bytes(created)
	if err != nil {
		t.Fatal(err)
	}
	pages := parse(t, b).pageContents(t)
	if len(pages) < 2 {
		t.Fatalf("%d pages; the row should be split", len(pages))
	}
	words, xs := 0, 0
	for _, c := range pages {
		for _, s := range shown(c) {
			words += strings.Count(s, "palavra")
			xs += strings.Count(s, "x")
		}
	}
	if words != 1200 || xs != 400 {
		t.Errorf("split row shows %d words and %d x, want 1200 and 400", words, xs)
	}
}

func TestColumnWidths(t *testing.T) {
	t.Parallel()
	enc := func(ss ...string) [][]byte {
		var out [][]byte
		for _, s := range ss {
			out = append(out, WinAnsi(s))
		}
		return out
	}
	sum := func(ws []float64) float64 {
		s := 0.0
		for _, w := range ws {
			s += w
		}
		return s
	}
	// Fits: widened in proportion to fill the page.
	ws := columnWidths(enc("a", "bb"), [][][]byte{enc("1", "2")}, 2)
	if d := sum(ws) - contentWidth; d > 0.001 || d < -0.001 {
		t.Errorf("widths %v sum to %v, want %v", ws, sum(ws), contentWidth)
	}
	// Too wide: the short column keeps its natural width, the long one takes the rest.
	ws = columnWidths(nil, [][][]byte{enc("curta", strings.Repeat("longa ", 200))}, 2)
	natural := regular.width(WinAnsi("curta"), tableSize) + 2*cellPad
	if ws[0] != natural || sum(ws)-contentWidth > 0.001 {
		t.Errorf("widths %v: want %v for the short column and a total of %v", ws, natural, contentWidth)
	}
}

func TestWinAnsi(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []byte
	}{
		{"á é í ó ú", []byte{0xE1, ' ', 0xE9, ' ', 0xED, ' ', 0xF3, ' ', 0xFA}},
		{"âêô ãõ ç", []byte{0xE2, 0xEA, 0xF4, ' ', 0xE3, 0xF5, ' ', 0xE7}},
		{"ÀÁÂÃÉÊÍÓÔÕÚÇ", []byte{0xC0, 0xC1, 0xC2, 0xC3, 0xC9, 0xCA, 0xCD, 0xD3, 0xD4, 0xD5, 0xDA, 0xC7}},
		{"R$ 1º 2ª § ° ½", []byte{'R', '$', ' ', '1', 0xBA, ' ', '2', 0xAA, ' ', 0xA7, ' ', 0xB0, ' ', 0xBD}},
		{"– — “” ‘’ … • € ™", []byte{0x96, ' ', 0x97, ' ', 0x93, 0x94, ' ', 0x91, 0x92, ' ', 0x85, ' ', 0x95, ' ', 0x80, ' ', 0x99}},
		{"ŠšŽžŒœŸƒ", []byte{0x8A, 0x9A, 0x8E, 0x9E, 0x8C, 0x9C, 0x9F, 0x83}},
		{"a\u00a0b", []byte{'a', 0xA0, 'b'}},
		// Decomposed accents (Unicode NFD) are composed.
		{"Ce\u0301dula Crédito Cre\u0301dito C\u0327A\u0303O", []byte("C\xe9dula Cr\xe9dito Cr\xe9dito \xc7\xc3O")},
		// Lookalikes.
		{"a\u2212b\u2010c\td", []byte("a-b-c d")},
		// Characters WinAnsi lacks.
		{"漢字 😀 ő Ł", []byte("?? ? ? ?")},
		{"x\u0301", []byte("x?")},
		{"\u0301", []byte("?")},
		{"\x01\r\xff", []byte("???")},
		{"()\\", []byte("()\\")},
	} {
		if got := WinAnsi(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("WinAnsi(%q) = % x, want % x", tc.in, got, tc.want)
		}
	}
	// Every character of WinAnsi round-trips.
	for c := 0x20; c <= 0xFF; c++ {
		if c == 0x7F || c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D {
			continue
		}
		r := rune(c)
		if c >= 0x80 && c <= 0x9F {
			r = []rune(fromWinAnsi(string([]byte{byte(c)})))[0]
			if r == rune(c) {
				t.Errorf("code %#x has no character in winAnsiHigh", c)
			}
		}
		if got := WinAnsi(string(r)); !bytes.Equal(got, []byte{byte(c)}) {
			t.Errorf("WinAnsi(%q) = % x, want %x", r, got, c)
		}
	}
}

func TestLiteral(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"abc":          "(abc)",
		"f(x)":         `(f\(x\))`,
		`a\b`:          `(a\\b)`,
		"(()":          `(\(\(\))`,
		"a\rb":         `(a\rb)`,
		"\xe9\x96\xff": "(\xe9\x96\xff)",
	} {
		if got := string(literal([]byte(in))); got != want {
			t.Errorf("literal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFontWidths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    font
		s    string
		want float64 // in units of 1/1000
	}{
		{regular, "W", 944}, {bold, "W", 944},
		{regular, "i", 222}, {bold, "i", 278},
		{regular, "@", 1015}, {bold, "@", 975},
		{regular, "'", 191}, {bold, "'", 238},
		{regular, "`", 333}, {bold, "`", 333},
		{regular, "ç", 500}, {bold, "ç", 556},
		{regular, "é", 556}, {regular, "Ç", 722},
		{regular, "—", 1000}, {regular, "–", 556},
		{regular, "“", 333}, {bold, "“", 500},
		{regular, "º", 365}, {regular, "ª", 370}, {regular, "§", 556},
		{regular, "€", 556}, {regular, "\u00a0", 278},
		{regular, "R$ 1", 722 + 556 + 278 + 556},
	} {
		if got := tc.f.width(WinAnsi(tc.s), 1000); got != tc.want {
			t.Errorf("width(%d, %q) = %v, want %v", tc.f, tc.s, got, tc.want)
		}
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	lines := wrap(regular, bodySize, portuguese+"\n\nsegunda   linha\n"+strings.Repeat("Z", 300), contentWidth)
	var texts []string
	for _, l := range lines {
		if w := regular.width(l.text, bodySize); w > contentWidth {
			t.Errorf("line %q is %v wide, more than %v", l.text, w, contentWidth)
		}
		texts = append(texts, fromWinAnsi(string(l.text)))
	}
	joined := strings.Join(texts, " ")
	for _, want := range []string{"Cédula de Crédito Bancário:", "“título executivo”.", "segunda linha"} {
		if !strings.Contains(joined, want) {
			t.Errorf("wrapped text lost %q:\n%s", want, strings.Join(texts, "\n"))
		}
	}
	if strings.Count(strings.Join(texts, ""), "Z") != 300 {
		t.Errorf("the long word lost characters")
	}
	// The hard line breaks end lines, and an empty line stays.
	var lasts []string
	for _, l := range lines {
		if l.last {
			lasts = append(lasts, fromWinAnsi(string(l.text)))
		}
	}
	if len(lasts) != 4 || lasts[1] != "" || lasts[2] != "segunda linha" {
		t.Errorf("last lines = %q", lasts)
	}
}

// dump returns the objects of b in order, with every stream inflated, and the trailer: a readable
// golden file.
func dump(t *testing.T, b []byte) string {
	t.Helper()
	p := parse(t, b)
	var sb strings.Builder
	for n := 1; n <= len(p.objects); n++ {
		fmt.Fprintf(&sb, "%d 0 obj\n", n)
		if s, ok := p.streams[n]; ok {
			sb.WriteString("<< (inflated, WinAnsi shown as UTF-8) >>\nstream\n" + fromWinAnsi(s) + "endstream\n")
		} else {
			sb.WriteString(p.objects[n] + "\n")
		}
		sb.WriteString("endobj\n")
	}
	sb.WriteString(p.trailer)
	return sb.String()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	b, err := sampleDocument().Bytes(created)
	if err != nil {
		t.Fatal(err)
	}
	got := dump(t, b)
	path := filepath.Join("testdata", "sample.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("sample document differs from %s (-want +got); if intended, rerun with -update:\n%s", path, diff)
	}
}

// TestPdftotext reads the file back with a real PDF reader (poppler's pdftotext), when installed.
func TestPdftotext(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not found (Debian: apt-get install poppler-utils); skipping the real-reader check, the structural tests still ran")
	}
	d := sampleDocument()
	var rows [][]string
	for i := 1; i <= 120; i++ {
		rows = append(rows, []string{strconv.Itoa(i), "Emissão nº " + strconv.Itoa(i)})
	}
	d.Table([]string{"Nº", "Descrição"}, rows, nil)
	b, err := d.Bytes(created)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := string(out)
	// Justified lines come back with single spaces; join the wrapped lines of the paragraph.
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{portuguese, "Cédula de Crédito Bancário", "Nº CCB-2026-000123", "f(x) = a \\ b",
		"Emissão nº 120", "Página 1 de " + strconv.Itoa(d.Pages())} {
		if !strings.Contains(flat, want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, text)
		}
	}
	info, err := exec.Command(filepath.Join(filepath.Dir(bin), "pdfinfo"), path).CombinedOutput()
	if err == nil && !strings.Contains(string(info), "Documento de teste — Cédula") {
		t.Errorf("pdfinfo does not show the title:\n%s", info)
	}
}

// FuzzDocument lays out arbitrary text as every kind of block and checks the file stays well formed.
func FuzzDocument(f *testing.F) {
	f.Add("Cédula (nº 1) \\ “teste”", 3)
	f.Add(strings.Repeat("palavra ", 200), 10)
	f.Add("\x00\r\n\t\xff漢😀e\u0301", 1)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, rows int) {
		if len(s) > 2000 {
			s = s[:2000]
		}
		rows = min(max(rows, 0), 40)
		d := New(s)
		d.Title(s)
		d.Heading(s)
		d.Paragraph(s)
		var body [][]string
		for i := range rows {
			body = append(body, strings.SplitN(s+strconv.Itoa(i), " ", 4))
		}
		headers := strings.Fields(s)
		d.Table(headers[:min(len(headers), 8)], body, []Align{AlignRight, AlignCenter})
		d.NeedSpace(float64(rows))
		d.Spacer(float64(rows))
		b, err := d.Bytes(created)
		if err != nil {
			t.Fatal(err)
		}
		parse(t, b).pageContents(t)
	})
}

// TestManyColumns checks a table of more columns than fit one character each stays within the page.
func TestManyColumns(t *testing.T) {
	t.Parallel()
	ws := columnWidths(nil, [][][]byte{bytes.Fields(bytes.Repeat([]byte("col "), 100))}, 100)
	total := 0.0
	for _, w := range ws {
		total += w
	}
	if total > contentWidth+0.001 {
		t.Errorf("100 columns are %v wide, more than the page's %v", total, contentWidth)
	}
}
