package upload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/lending"
)

// minimalPDF is a small, valid one-page PDF (with a correct cross-reference table).
const minimalPDF = `%PDF-1.7
1 0 obj
<< /Type /Catalog /Pages 2 0 R >>
endobj
2 0 obj
<< /Type /Pages /Kids [3 0 R] /Count 1 >>
endobj
3 0 obj
<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>
endobj
xref
0 4
0000000000 65535 f 
0000000009 00000 n 
0000000058 00000 n 
0000000115 00000 n 
trailer
<< /Size 4 /Root 1 0 R >>
startxref
186
%%EOF
`

// buildPDF returns a PDF of the given version holding objs as objects 1, 2, …, with a correct
// cross-reference table and extra entries in the trailer dictionary.
func buildPDF(version string, trailer string, objs ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n", version)
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, xref)
	return b.Bytes()
}

// pagesPDF returns a one-page PDF whose page has a content stream of about n bytes.
func pagesPDF(version, trailer string, n int) []byte {
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 720 Td ")
	for content.Len() < n {
		content.WriteString("(Comprovante de residencia - Rua das Flores, 123) Tj 0 -14 Td\n")
	}
	content.WriteString("ET")
	return buildPDF(version, trailer,
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()),
	)
}

// testImage returns a w×h image with a gradient and some noise, so encoders cannot shrink it to
// almost nothing.
func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(r.IntN(32)), 0xff})
		}
	}
	return img
}

// plainImage returns a w×h gray gradient, which encodes to a small file.
func plainImage(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{uint8((x + y) / 8)})
		}
	}
	return img
}

func encodePNG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	return encodePNGImage(tb, testImage(w, h))
}

func encodePNGImage(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	return encodeJPEGImage(tb, testImage(w, h))
}

func encodeJPEGImage(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, testImage(w, h), nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// withPNGSize returns a copy of a PNG whose header claims w×h pixels (with a correct header CRC).
func withPNGSize(tb testing.TB, b []byte, w, h uint32) []byte {
	tb.Helper()
	b = bytes.Clone(b)
	// Signature (8), then the IHDR chunk: length (4), type (4), width (4), height (4), …, CRC.
	if string(b[12:16]) != "IHDR" {
		tb.Fatal("no IHDR chunk")
	}
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	n := binary.BigEndian.Uint32(b[8:])
	binary.BigEndian.PutUint32(b[16+n:], crc32.ChecksumIEEE(b[12:16+n]))
	return b
}

// withJPEGSize returns a copy of a baseline JPEG whose frame header claims w×h pixels.
func withJPEGSize(tb testing.TB, b []byte, w, h uint16) []byte {
	tb.Helper()
	b = bytes.Clone(b)
	i := bytes.Index(b, []byte{0xff, 0xc0})
	if i < 0 {
		tb.Fatal("no SOF0 marker")
	}
	// Marker (2), length (2), precision (1), height (2), width (2).
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// progressiveJPEG returns a valid progressive grayscale JPEG of w×h pixels made of n AC scans, each
// of which skips every block with end-of-band runs: a file of a few bytes per scan, while decoding
// costs a pass over the whole image per scan.
func progressiveJPEG(w, h, n int) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xff, 0xd8})
	// DQT: table 0, all ones.
	b.Write([]byte{0xff, 0xdb, 0, 67, 0})
	b.Write(bytes.Repeat([]byte{1}, 64))
	// SOF2: 8-bit precision, h×w, one component (id 1, 1×1 sampling, table 0).
	b.Write([]byte{0xff, 0xc2, 0, 11, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0})
	// DHT: DC table 0 with one 1-bit code for symbol 0; AC table 0 with one 1-bit code for 0xe0, an
	// end-of-band run of 2^14 plus 14 extra bits.
	b.Write([]byte{0xff, 0xc4, 0, 20, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	b.Write([]byte{0xff, 0xc4, 0, 20, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe0})
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	runs := (blocks + 32766) / 32767
	// Each run is the code "0" and 14 one bits: 32767 blocks.
	var bits []byte
	for range runs {
		bits = append(bits, 0)
		for range 14 {
			bits = append(bits, 1)
		}
	}
	for len(bits)%8 != 0 {
		bits = append(bits, 1)
	}
	var ecs []byte
	for i := 0; i < len(bits); i += 8 {
		var c byte
		for j := range 8 {
			c = c<<1 | bits[i+j]
		}
		ecs = append(ecs, c)
		if c == 0xff {
			ecs = append(ecs, 0)
		}
	}
	for range n {
		// SOS: one component, tables 0/0, spectral selection 1–63, no successive approximation.
		b.Write([]byte{0xff, 0xda, 0, 8, 1, 1, 0x00, 1, 63, 0})
		b.Write(ecs)
	}
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// withStrayByte returns a copy of a JPEG with a byte that is not part of any segment after its first
// segment.
func withStrayByte(b []byte) []byte {
	i := 4 + int(binary.BigEndian.Uint16(b[4:]))
	return slices.Concat(b[:i], []byte{0}, b[i:])
}

// withAPP1 returns a copy of a JPEG with an APP1 (metadata) segment holding payload after its SOI.
func withAPP1(tb testing.TB, b, payload []byte) []byte {
	tb.Helper()
	out := append([]byte{}, b[:2]...)
	out = append(out, 0xff, 0xe1)
	out = binary.BigEndian.AppendUint16(out, uint16(2+len(payload)))
	out = append(out, payload...)
	return append(out, b[2:]...)
}

func TestInspect(t *testing.T) {
	t.Parallel()
	pngOK := encodePNG(t, 320, 240)
	jpegOK := encodeJPEG(t, 320, 240)
	pdf20 := pagesPDF("2.0", "", 2000)
	encrypted := buildPDF("1.6", "/Encrypt 5 0 R /ID [<00112233> <00112233>] ",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		"(padding)",
		"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <00> /U <00> >>",
	)
	random := make([]byte, 4096)
	rand.NewChaCha8([32]byte{1, 2}).Read(random)
	random[0] = 0x01 // not by chance a magic number

	const (
		invalid     = lending.CodeInvalidFile
		unsupported = lending.CodeUnsupportedFileType
	)
	tests := []struct {
		name       string
		b          []byte
		want       Kind
		wantCode   lending.Code // empty: no error
		wantDetail string       // a part of the error's detail
	}{
		{"png", pngOK, KindPNG, "", ""},
		{"jpeg", jpegOK, KindJPEG, "", ""},
		{"pdf", []byte(minimalPDF), KindPDF, "", ""},
		{"pdf 2.0 with content", pdf20, KindPDF, "", ""},
		{"pdf with trailing newlines", append([]byte(minimalPDF), bytes.Repeat([]byte("\r\n"), 400)...), KindPDF, "", ""},
		{"png exactly the minimum size", encodePNG(t, MinImageSide, MinImageSide), KindPNG, "", ""},
		{"png with trailing bytes", append(bytes.Clone(pngOK), "trailing"...), KindPNG, "", ""},
		{"progressive jpeg", progressiveJPEG(400, 300, 10), KindJPEG, "", ""},
		{"progressive jpeg with the most scans", progressiveJPEG(400, 300, MaxJPEGScans), KindJPEG, "", ""},
		{"jpeg with scan markers in metadata", withAPP1(t, jpegOK, bytes.Repeat([]byte{0xff, 0xda, 0, 8}, 2*MaxJPEGScans)), KindJPEG, "", ""},
		{"pdf mentioning /Encrypted in a name", pagesPDF("1.4", "/Encrypted true ", 100), KindPDF, "", ""},

		{"empty", []byte{}, "", invalid, "the file is empty"},
		{"nil", nil, "", invalid, "the file is empty"},

		{"png truncated to half", pngOK[:len(pngOK)/2], "", invalid, "the image is damaged or truncated"},
		{"png missing its last byte", pngOK[:len(pngOK)-1], "", invalid, "the image is damaged or truncated"},
		{"png header only", pngOK[:33], "", invalid, "the image is damaged or truncated"},
		{"png signature only", pngOK[:8], "", invalid, "the image is damaged or truncated"},
		{"png with a corrupted pixel", flip(pngOK, len(pngOK)/2), "", invalid, "the image is damaged or truncated"},
		{"jpeg truncated to half", jpegOK[:len(jpegOK)/2], "", invalid, "the image is damaged or truncated"},
		{"jpeg missing its end marker", jpegOK[:len(jpegOK)-2], "", invalid, "the image is damaged or truncated"},
		{"jpeg magic only", jpegOK[:3], "", invalid, "the image is damaged or truncated"},

		{"png too small", encodePNG(t, 100, 100), "", invalid, "too small (100×100 pixels)"},
		{"png too narrow", encodePNG(t, 199, 1000), "", invalid, "at least 200×200 pixels"},
		{"jpeg too short", encodeJPEG(t, 1000, 199), "", invalid, "too small (1000×199 pixels)"},
		{"png 1x1", encodePNG(t, 1, 1), "", invalid, "too small"},
		{"png claiming 10000x10000", withPNGSize(t, pngOK, 10_000, 10_000), "", invalid, "too large (10000×10000 pixels); at most 50 megapixels"},
		{"png claiming 100000x100000", withPNGSize(t, pngOK, 100_000, 100_000), "", invalid, "too large"},
		// image/png itself refuses a header whose pixel count overflows its arithmetic.
		{"png claiming 2^31x2^31", withPNGSize(t, pngOK, 1<<31-1, 1<<31-1), "", invalid, ""},
		{"jpeg claiming 65535x65535", withJPEGSize(t, jpegOK, 65535, 65535), "", invalid, "too large"},
		{"jpeg claiming 8000x6251", withJPEGSize(t, jpegOK, 8000, 6251), "", invalid, "too large"},
		{"progressive jpeg with too many scans", progressiveJPEG(400, 300, MaxJPEGScans+1), "", invalid, "unusual encoding (more than 32 scans)"},
		{"progressive jpeg bomb", progressiveJPEG(7000, 7000, 1000), "", invalid, "unusual encoding"},
		// A stray byte between segments, which decoders skip, hides the scans from jpegScans.
		{"progressive jpeg with too many scans behind a stray byte", withStrayByte(progressiveJPEG(400, 300, MaxJPEGScans+1)), "", invalid, "unusual encoding"},
		{"progressive jpeg with a stray byte", withStrayByte(progressiveJPEG(400, 300, 3)), KindJPEG, "", ""},
		{"jpeg claiming 8000x6250 but truncated", withJPEGSize(t, jpegOK, 8000, 6250), "", invalid, "damaged or truncated"},

		{"pdf truncated to half", []byte(minimalPDF[:len(minimalPDF)/2]), "", invalid, "the PDF is damaged or truncated"},
		{"pdf header only", []byte("%PDF-1.7\n"), "", invalid, "the PDF is damaged or truncated"},
		{"pdf magic only", []byte("%PDF-"), "", invalid, "the PDF is damaged or truncated"},
		{"pdf of an unknown version", []byte(strings.Replace(minimalPDF, "%PDF-1.7", "%PDF-3.0", 1)), "", invalid, "the PDF is damaged or truncated"},
		{"pdf without objects", []byte("%PDF-1.4\ntrailer\n<< >>\n%%EOF\n"), "", invalid, "the PDF is damaged or truncated"},
		{"pdf with %%EOF far from the end", append([]byte(minimalPDF), bytes.Repeat([]byte("x"), 1100)...), "", invalid, "the PDF is damaged or truncated"},
		{"pdf encrypted", encrypted, "", invalid, "password-protected PDFs cannot be reviewed"},
		{"pdf encrypted, direct dictionary", []byte(strings.Replace(minimalPDF, "/Root 1 0 R", "/Root 1 0 R /Encrypt<</Filter/Standard>>", 1)), "", invalid, "password-protected"},
		{"pdf encrypted and truncated", encrypted[:len(encrypted)-20], "", invalid, "the PDF is damaged or truncated"},

		{"gif", encodeGIF(t, 300, 300), "", unsupported, "the file appears to be image/gif; only PDF, JPEG or PNG files are accepted"},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00rest of a zip archive"), "", unsupported, "appears to be application/zip"},
		{"text", []byte("Nome: Maria da Silva\nCPF: 123.456.789-09\n"), "", unsupported, "appears to be text/plain; only"},
		{"html", []byte("<!DOCTYPE html><html><body>RG</body></html>"), "", unsupported, "appears to be text/html"},
		{"elf executable", append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 56)...), "", unsupported, "the file type is not recognized; only PDF, JPEG or PNG files are accepted"},
		{"windows executable", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 56)...), "", unsupported, "PDF, JPEG or PNG"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), "", unsupported, "appears to be image/webp"},
		{"random bytes", random, "", unsupported, "not recognized"},
		{"pdf after leading garbage", append([]byte("\x00\x00"), minimalPDF...), "", unsupported, "PDF, JPEG or PNG"},
		{"pdf magic in lower case", []byte(strings.ToLower(minimalPDF)), "", unsupported, "PDF, JPEG or PNG"},
		{"png signature damaged", flip(pngOK, 1), "", unsupported, "PDF, JPEG or PNG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Inspect(tt.b)
			if got != tt.want {
				t.Errorf("Inspect kind = %q, want %q", got, tt.want)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Errorf("Inspect error = %v, want nil", err)
				}
				return
			}
			if code := lending.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("Inspect error = %v (code %q), want code %q", err, code, tt.wantCode)
			}
			var le *lending.Error
			if !errors.As(err, &le) {
				t.Fatalf("Inspect error %T is not a *lending.Error", err)
			}
			if !strings.Contains(le.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", le.Detail, tt.wantDetail)
			}
			if len(le.Fields) != 1 || le.Fields[0].Param != "file" || le.Fields[0].Code != tt.wantCode {
				t.Errorf("fields = %+v, want one about %q with code %q", le.Fields, "file", tt.wantCode)
			}
		})
	}
}

// flip returns a copy of b with the bits of byte i inverted.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

func TestInspectDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	for _, b := range [][]byte{encodePNG(t, 200, 200), encodeJPEG(t, 200, 200), []byte(minimalPDF), []byte("text")} {
		orig := bytes.Clone(b)
		_, _ = Inspect(b)
		if !bytes.Equal(b, orig) {
			t.Errorf("Inspect modified its %d-byte input", len(b))
		}
	}
}

func FuzzInspect(f *testing.F) {
	// Small seeds keep the fuzzer fast (it minimizes every new interesting input).
	png := encodePNGImage(f, plainImage(200, 200))
	jpg := encodeJPEGImage(f, plainImage(200, 200))
	for _, b := range [][]byte{
		png,
		jpg,
		[]byte(minimalPDF),
		pagesPDF("2.0", "", 300),
		pagesPDF("1.5", "/Encrypt 9 0 R ", 300),
		encodePNGImage(f, plainImage(8, 8)),
		png[:len(png)/2],
		jpg[:len(jpg)/2],
		encodeGIF(f, 16, 16),
		progressiveJPEG(200, 200, 3),
		withPNGSize(f, png, 10_000, 10_000),
		withJPEGSize(f, jpg, 10_000, 10_000),
		// Headers announcing 49 megapixels, which are accepted, over a few bytes of pixels.
		bombPNG(),
		withJPEGSize(f, jpg, 7000, 7000),
		progressiveJPEG(7000, 7000, 2)[:60],
		// An interlaced PNG (image/png does not write them).
		pngFile(ihdr(200, 200, 1, pngGray, 1), nil, deflate(pngRaw(200, 200, 1, true, func(x, y int) uint64 { return uint64(x / 50 * y / 50) })), 0, nil),
		[]byte("plain text"),
		{},
	} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, err := Inspect(b)
		if err == nil {
			switch kind {
			case KindPDF, KindJPEG, KindPNG:
			default:
				t.Fatalf("Inspect = %q, nil; want an accepted kind", kind)
			}
			return
		}
		if kind != "" {
			t.Errorf("Inspect returned kind %q with error %v", kind, err)
		}
		switch code := lending.ErrorCode(err); code {
		case lending.CodeInvalidFile, lending.CodeUnsupportedFileType:
		default:
			t.Errorf("Inspect error %v has code %q", err, code)
		}
	})
}

func BenchmarkInspect(b *testing.B) {
	benchmarks := []struct {
		name string
		data []byte
		want Kind
	}{
		{"jpeg 2000x1500", encodeJPEG(b, 2000, 1500), KindJPEG},
		{"pdf 1MiB", pagesPDF("1.7", "", 1<<20), KindPDF},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.data)))
			b.ReportAllocs()
			for b.Loop() {
				if kind, err := Inspect(bm.data); kind != bm.want || err != nil {
					b.Fatalf("Inspect = %q, %v", kind, err)
				}
			}
		})
	}
}

func TestJPEGScans(t *testing.T) {
	t.Parallel()
	sos := []byte{0xff, 0xda, 0, 8, 1, 1, 0, 1, 63, 0}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	soi := []byte{0xff, 0xd8}
	eoi := []byte{0xff, 0xd9}
	tests := []struct {
		name  string
		b     []byte
		limit int
		want  int
	}{
		{"baseline", encodeJPEGImage(t, plainImage(16, 16)), 100, 1},
		{"progressive", progressiveJPEG(64, 64, 7), 100, 7},
		{"stops at the limit", progressiveJPEG(64, 64, 7), 3, 3},
		{"soi only", soi, 100, 0},
		{"two scans with data, stuffing and restart markers", cat(soi, sos, []byte{1, 0xff, 0, 2, 0xff, 0xd3, 3}, sos, []byte{4}, eoi), 100, 2},
		{"fill bytes before a marker", cat(soi, []byte{0xff, 0xff, 0xff}, sos, eoi), 100, 1},
		{"standalone markers", cat(soi, []byte{0xff, 0x01, 0xff, 0xd0}, sos, eoi), 100, 1},
		{"nothing counted after EOI", cat(soi, sos, eoi, sos, sos), 100, 1},
		{"garbage instead of a marker", cat(soi, []byte{0x12}, sos), 100, 0},
		{"ends inside fill bytes", cat(soi, sos, []byte{0xff, 0xff}), 100, 1},
		{"ends inside a length", cat(soi, []byte{0xff, 0xe1, 0}), 100, 0},
		{"length past the end", cat(soi, []byte{0xff, 0xe1, 0xff, 0xff}, sos), 100, 0},
		{"zero length", cat(soi, []byte{0xff, 0xe1, 0, 0}, sos), 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := jpegScans(tt.b, tt.limit); got != tt.want {
				t.Errorf("jpegScans = %d, want %d", got, tt.want)
			}
		})
	}
}
