package upload

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// maxStreamingAlloc is the most an image check that decodes no bitmap may allocate. checkPNG and
// jpegChecker take about 50 KiB (zlib's window and tables; the Huffman tables).
const maxStreamingAlloc = 1 << 20

// allocated returns the bytes f allocates. The test calling it must not be parallel.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// pngSpec is a chunk of a PNG made by pngFile.
type pngSpec struct {
	typ  string
	data []byte
}

// appendChunk appends a chunk with a correct CRC to b.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// ihdr returns the data of an IHDR chunk.
func ihdr(w, h uint32, depth, colorType, interlace byte) []byte {
	d := binary.BigEndian.AppendUint32(nil, w)
	d = binary.BigEndian.AppendUint32(d, h)
	return append(d, depth, colorType, 0, 0, interlace)
}

// pngFile assembles a PNG: the signature, the IHDR hdr, the chunks before, the zlib stream z in IDAT
// chunks of at most split bytes (one chunk if split is 0), the chunks after and an IEND.
func pngFile(hdr []byte, before []pngSpec, z []byte, split int, after []pngSpec) []byte {
	b := appendChunk(bytes.Clone(magicPNG), "IHDR", hdr)
	for _, c := range before {
		b = appendChunk(b, c.typ, c.data)
	}
	if split <= 0 {
		split = max(len(z), 1)
	}
	for i := 0; i == 0 || i < len(z); i += split {
		b = appendChunk(b, "IDAT", z[i:min(i+split, len(z))])
	}
	for _, c := range after {
		b = appendChunk(b, c.typ, c.data)
	}
	return appendChunk(b, "IEND", nil)
}

// deflate returns raw as a zlib stream.
func deflate(raw []byte) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	return z.Bytes()
}

// pngRaw returns the inflated pixel data of a w×h PNG image of bpp bits a pixel, interlaced (Adam7)
// or not: for each row of each pass, a filter type (all five in turn) and the row's pixels, whose
// value (all the samples of a pixel, big-endian) sample gives.
func pngRaw(w, h, bpp int, interlaced bool, sample func(x, y int) uint64) []byte {
	var out []byte
	pass := func(x0, y0, dx, dy int) {
		pw, ph := (w-x0+dx-1)/dx, (h-y0+dy-1)/dy
		if pw <= 0 || ph <= 0 {
			return
		}
		for j := range ph {
			out = append(out, byte(j%5))
			acc, n := 0, 0
			for i := range pw {
				v := sample(x0+i*dx, y0+j*dy)
				if bpp >= 8 {
					for k := bpp/8 - 1; k >= 0; k-- {
						out = append(out, byte(v>>(8*k)))
					}
					continue
				}
				acc, n = acc<<bpp|int(v)&(1<<bpp-1), n+bpp
				if n == 8 {
					out, acc, n = append(out, byte(acc)), 0, 0
				}
			}
			if n > 0 {
				out = append(out, byte(acc<<(8-n)))
			}
		}
	}
	if !interlaced {
		pass(0, 0, 1, 1)
		return out
	}
	// Adam7, written out here rather than taken from adam7 (image/png checks it independently).
	for _, p := range [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		pass(p[0], p[1], p[2], p[3])
	}
	return out
}

// pattern is a sample function for pngRaw: a gradient with a little noise.
func pattern(x, y int) uint64 {
	v := uint64(x*7+y*13) ^ uint64(x*y)>>3
	return v * 0x9e3779b97f4a7c15 >> 7 & 0x0f0f0f0f0f0f0f0f
}

// fixCRCs returns a copy of the PNG b with the CRC of each whole chunk recomputed, so that a change to
// a chunk's data is seen past the CRC check.
func fixCRCs(b []byte) []byte {
	b = bytes.Clone(b)
	for pos := len(magicPNG); len(b)-pos >= 12; {
		n := binary.BigEndian.Uint32(b[pos:])
		if uint64(len(b)-pos-12) < uint64(n) {
			break
		}
		end := pos + 8 + int(n)
		binary.BigEndian.PutUint32(b[end:], crc32.ChecksumIEEE(b[pos+4:end]))
		pos = end + 4
	}
	return b
}

// bombPNG is a 72-byte PNG whose header announces 7000×7000 16-bit RGBA pixels (49 megapixels,
// under MaxImagePixels), with ten bytes of pixel data: decoding it allocates 374 MiB.
func bombPNG() []byte {
	return pngFile(ihdr(7000, 7000, 16, pngRGBA, 0), nil, deflate(make([]byte, 10)), 0, nil)
}

// testdataJPEGs returns the JPEG files of testdata, by name, made by libjpeg-turbo 2.1's cjpeg from a
// 217×203 image: progressive ones in 4:2:0, 4:4:4 with restart markers, grayscale (with and without
// restart markers) and RGB; baseline ones in 4:1:1, 4:4:0 and with restart markers. Those named
// unsupported-* are valid JPEGs that image/jpeg does not decode: one in arithmetic coding, and a
// progressive 4:2:2 one with restart markers (image/jpeg counts the restart interval of a scan of one
// subsampled component in MCUs of the whole frame, not in blocks).
func testdataJPEGs(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob("testdata/*.jpg")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no testdata: %v", err)
	}
	m := make(map[string][]byte)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

// TestInspectMemoryIsBounded: checking an image allocates little, whatever size its header
// announces: a small file cannot make the server allocate a large bitmap, and a large valid image
// that is not decoded in full is checked in a small, fixed amount of memory too.
func TestInspectMemoryIsBounded(t *testing.T) {
	ycbcr := encodeJPEG(t, 200, 200)
	nrgba := image.NewNRGBA(image.Rect(0, 0, 3000, 3000))
	gray16 := image.NewGray16(image.Rect(0, 0, 3000, 3000))
	for i := range 2 * 3000 { // two rows of a pattern, repeated
		v := pattern(i%3000, i/3000)
		binary.BigEndian.PutUint32(nrgba.Pix[4*i:], uint32(v)|0x80)
		binary.BigEndian.PutUint16(gray16.Pix[2*i:], uint16(v))
	}
	for y := 2; y < 3000; y++ {
		copy(nrgba.Pix[y*nrgba.Stride:(y+1)*nrgba.Stride], nrgba.Pix[y%2*nrgba.Stride:])
		copy(gray16.Pix[y*gray16.Stride:(y+1)*gray16.Stride], gray16.Pix[y%2*gray16.Stride:])
	}
	// Encoding with filters chosen and compression takes seconds at this size.
	fastPNG := func(img image.Image, level png.CompressionLevel) []byte {
		var b bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: level}).Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	interlaced := pngFile(ihdr(3000, 3000, 8, pngTrueColor, 1), nil, deflate(pngRaw(3000, 3000, 24, true, pattern)), 1<<16, nil)
	tests := []struct {
		name     string
		b        []byte
		wantCode lending.Code // empty: accepted
	}{
		{"png 16-bit RGBA 7000x7000 header, 10 bytes of pixels", bombPNG(), lending.CodeInvalidFile},
		{"png 16-bit RGBA 7000x7000 header, garbage pixel data",
			pngFile(ihdr(7000, 7000, 16, pngRGBA, 0), nil, append([]byte{0x78, 0x9c}, bytes.Repeat([]byte{0xa5}, 200)...), 0, nil),
			lending.CodeInvalidFile},
		{"png 8-bit gray 7000x7000, 2000 rows of zeros", pngFile(ihdr(7000, 7000, 8, pngGray, 0), nil,
			deflate(make([]byte, 2000*7001)), 0, nil), lending.CodeInvalidFile},
		{"jpeg 4:2:0 claiming 7000x7000", withJPEGSize(t, ycbcr, 7000, 7000), lending.CodeInvalidFile},
		{"jpeg gray claiming 7000x7000", withJPEGSize(t, encodeJPEGImage(t, plainImage(200, 200)), 7000, 7000), lending.CodeInvalidFile},
		{"progressive jpeg claiming 7000x7000, missing its last scan", progressiveJPEG(7000, 7000, 2)[:60], lending.CodeInvalidFile},
		// A valid JPEG of a uniform 7000×7000 image in a few bytes: checked, not decoded.
		{"progressive jpeg 7000x7000", progressiveJPEG(7000, 7000, 2), ""},
		{"jpeg 4000x3000", encodeJPEG(t, 4000, 3000), ""},
		{"png 3000x3000 RGBA", fastPNG(nrgba, png.NoCompression), ""},
		{"png 3000x3000 16-bit gray", fastPNG(gray16, png.BestSpeed), ""},
		{"png 3000x3000 RGB interlaced", interlaced, ""},
		{"png 2000x2000 16-bit RGBA interlaced, its last pass missing", pngFile(ihdr(2000, 2000, 16, pngRGBA, 1), nil,
			deflate(make([]byte, 2000*(1+2000*8)/2)), 0, nil), lending.CodeInvalidFile},
	}
	for _, tt := range tests {
		var err error
		n := allocated(func() { _, err = Inspect(tt.b) })
		t.Logf("%s (%d bytes): %d KiB allocated, %v", tt.name, len(tt.b), n>>10, err)
		if code := errorCode(err); code != tt.wantCode {
			t.Errorf("%s: Inspect error %v, want code %q", tt.name, err, tt.wantCode)
		}
		if n > maxStreamingAlloc {
			t.Errorf("%s: Inspect allocated %d KiB, want at most %d", tt.name, n>>10, maxStreamingAlloc>>10)
		}
	}
}

// TestJPEGDecodeCost: decodeCost is close to what image/jpeg allocates to decode a JPEG, and less
// only by a small, fixed amount.
func TestJPEGDecodeCost(t *testing.T) {
	inputs := testdataJPEGs(t)
	inputs["go 4:2:0"] = encodeJPEG(t, 1001, 777)
	inputs["go gray"] = encodeJPEGImage(t, plainImage(1001, 777))
	for name, b := range inputs {
		if strings.HasPrefix(name, "unsupported-") {
			continue
		}
		c := jpegChecker{b: b}
		if err := c.check(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var err error
		n := allocated(func() { _, err = jpeg.Decode(bytes.NewReader(b)) })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cost := c.decodeCost()
		t.Logf("%s: decoding allocates %d bytes, estimated %d", name, n, cost)
		// Besides, the decoder's own state (Huffman tables, buffer) is about 15 KiB, and the allocator
		// rounds large allocations up to whole pages.
		if d := int64(n) - cost; d < 0 || d > cost/10+64<<10 {
			t.Errorf("%s: decoding allocates %d bytes, estimated %d", name, n, cost)
		}
	}
}

// TestDecodeBoundedLimitsConcurrency: at most maxDecodes full decodes run at once. Not parallel: it
// fills the process's decode slots.
func TestDecodeBoundedLimitsConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	release := make(chan struct{})
	decode := func(io.Reader) (image.Image, error) {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		running.Add(-1)
		return nil, nil
	}
	var wg sync.WaitGroup
	for range 3 * maxDecodes {
		wg.Go(func() { _ = decodeBounded(nil, decode) })
	}
	for running.Load() < maxDecodes {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // time for a decode over the limit to start, if it could
	if n := running.Load(); n != maxDecodes {
		t.Errorf("%d decodes running, want %d", n, maxDecodes)
	}
	close(release)
	wg.Wait()
	if p := peak.Load(); p != maxDecodes {
		t.Errorf("at most %d decodes ran at once, want %d", p, maxDecodes)
	}
}

func TestCheckPNG(t *testing.T) {
	t.Parallel()
	const w, h = 37, 23 // not a multiple of 8, so that interlaced passes have partial rows and columns
	raw := pngRaw(w, h, 24, false, pattern)
	z := deflate(raw)
	rgb := ihdr(w, h, 8, pngTrueColor, 0)
	ok := pngFile(rgb, nil, z, 0, nil)
	text := pngSpec{"tEXt", []byte("Comment\x00scanned")}
	plte := pngSpec{"PLTE", bytes.Repeat([]byte{1, 2, 3}, 16)}
	withAdler := func(z []byte, d byte) []byte { z = bytes.Clone(z); z[len(z)-1] ^= d; return z }
	// Cut the file just inside its IDAT chunk's data.
	idat := bytes.Index(ok, []byte("IDAT"))
	tests := []struct {
		name string
		b    []byte
		want error // nil: accepted; errAny: refused
	}{
		{"rgb", ok, nil},
		{"rgb in 7-byte IDAT chunks", pngFile(rgb, nil, z, 7, nil), nil},
		{"rgb with empty IDAT chunks", pngFile(rgb, []pngSpec{{"IDAT", nil}}, z, 0, []pngSpec{{"IDAT", nil}}), nil},
		{"rgb with an IDAT chunk after the pixel data", pngFile(rgb, nil, z, 0, []pngSpec{{"IDAT", []byte("junk")}}), nil},
		{"rgb with ancillary chunks", pngFile(rgb, []pngSpec{text}, z, 0, []pngSpec{text}), nil},
		{"rgb with a palette", pngFile(rgb, []pngSpec{plte}, z, 0, nil), nil},
		{"rgb with transparency", pngFile(rgb, []pngSpec{{"tRNS", make([]byte, 6)}}, z, 0, nil), nil},
		{"rgb with bytes after IEND", append(bytes.Clone(ok), "trailing"...), nil},
		{"1-bit gray", pngFile(ihdr(w, h, 1, pngGray, 0), nil, deflate(pngRaw(w, h, 1, false, pattern)), 0, nil), nil},
		{"2-bit palette", pngFile(ihdr(w, h, 2, pngPaletted, 0), []pngSpec{{"PLTE", make([]byte, 12)}},
			deflate(pngRaw(w, h, 2, false, pattern)), 0, nil), nil},
		{"4-bit palette with transparency", pngFile(ihdr(w, h, 4, pngPaletted, 0), []pngSpec{plte, {"tRNS", make([]byte, 16)}},
			deflate(pngRaw(w, h, 4, false, pattern)), 0, nil), nil},
		{"8-bit gray+alpha", pngFile(ihdr(w, h, 8, pngGrayAlpha, 0), nil, deflate(pngRaw(w, h, 16, false, pattern)), 0, nil), nil},
		{"16-bit RGBA", pngFile(ihdr(w, h, 16, pngRGBA, 0), nil, deflate(pngRaw(w, h, 64, false, pattern)), 0, nil), nil},

		{"interlaced rgb", pngFile(ihdr(w, h, 8, pngTrueColor, 1), nil, deflate(pngRaw(w, h, 24, true, pattern)), 0, nil), nil},
		{"interlaced 1-bit gray", pngFile(ihdr(w, h, 1, pngGray, 1), nil, deflate(pngRaw(w, h, 1, true, pattern)), 0, nil), nil},
		{"interlaced 4-bit palette", pngFile(ihdr(w, h, 4, pngPaletted, 1), []pngSpec{plte},
			deflate(pngRaw(w, h, 4, true, pattern)), 0, nil), nil},
		{"interlaced 16-bit gray+alpha", pngFile(ihdr(w, h, 16, pngGrayAlpha, 1), nil, deflate(pngRaw(w, h, 32, true, pattern)), 0, nil), nil},
		{"interlaced 1x1", pngFile(ihdr(1, 1, 8, pngGray, 1), nil, deflate(pngRaw(1, 1, 8, true, pattern)), 0, nil), nil},
		{"interlaced 3x2", pngFile(ihdr(3, 2, 16, pngRGBA, 1), nil, deflate(pngRaw(3, 2, 64, true, pattern)), 0, nil), nil},
		{"interlaced data for a non-interlaced image", pngFile(rgb, nil, deflate(pngRaw(w, h, 24, true, pattern)), 0, nil), errAny},
		{"non-interlaced data for an interlaced image", pngFile(ihdr(w, h, 8, pngTrueColor, 1), nil, z, 0, nil), errAny},

		{"IHDR CRC flipped", flip(ok, 8+8+13+3), errAny},
		{"IDAT CRC flipped", flip(ok, len(ok)-12-1), errAny},
		{"IEND CRC flipped", flip(ok, len(ok)-1), errAny},
		{"ancillary chunk CRC flipped", flip(pngFile(rgb, []pngSpec{text}, z, 0, nil), 8+25+12+len(text.data)-1), errAny},
		{"pixel byte flipped", flip(ok, idat+4+len(z)/2), errAny},
		{"truncated in the IDAT chunk", ok[:idat+4+len(z)/2], errTruncated},
		{"truncated after the IDAT chunk", ok[:len(ok)-12], errTruncated},
		{"IEND missing its CRC", ok[:len(ok)-4], errTruncated},
		{"zlib stream cut short", pngFile(rgb, nil, z[:len(z)-5], 0, nil), errAny},
		{"zlib stream missing its checksum", pngFile(rgb, nil, z[:len(z)-4], 0, nil), errAny},
		{"zlib checksum wrong", pngFile(rgb, nil, withAdler(z, 1), 0, nil), errAny},
		{"bytes after the zlib stream", pngFile(rgb, nil, append(bytes.Clone(z), 0), 0, nil), errTrailingZlibData},
		{"a second zlib stream after the first", pngFile(rgb, nil, append(bytes.Clone(z), z...), 0, nil), errTrailingZlibData},
		{"a row short", pngFile(rgb, nil, deflate(raw[:len(raw)-(1+3*w)]), 0, nil), errAny},
		{"a byte short", pngFile(rgb, nil, deflate(raw[:len(raw)-1]), 0, nil), errAny},
		{"a byte too many", pngFile(rgb, nil, deflate(append(bytes.Clone(raw), 0)), 0, nil), errAny},
		{"a row too many", pngFile(rgb, nil, deflate(append(bytes.Clone(raw), raw[:1+3*w]...)), 0, nil), errAny},
		{"no pixel data", pngFile(rgb, nil, deflate(nil), 0, nil), errAny},
		{"empty IDAT", pngFile(rgb, nil, nil, 0, nil), errAny},
		{"bad filter type", pngFile(rgb, nil, deflate(append([]byte{5}, raw[1:]...)), 0, nil), errAny},
		{"bad filter type in the last row", pngFile(rgb, nil, deflate(func() []byte {
			r := bytes.Clone(raw)
			r[len(r)-(1+3*w)] = 0xff
			return r
		}()), 0, nil), errAny},
		{"no zlib header", pngFile(rgb, nil, z[2:], 0, nil), errAny},
		{"an ancillary chunk between IDAT chunks", func() []byte {
			b := appendChunk(bytes.Clone(magicPNG), "IHDR", rgb)
			b = appendChunk(b, "IDAT", z[:len(z)/2])
			b = appendChunk(b, "tEXt", text.data)
			b = appendChunk(b, "IDAT", z[len(z)/2:])
			return appendChunk(b, "IEND", nil)
		}(), errAny},
		{"no IEND", ok[:len(ok)-12], errTruncated},
		{"IEND with data", append(appendChunk(nil, "IEND", []byte{0})[:0:0], ok[:len(ok)-12]...), errAny},
		{"no IHDR", append(bytes.Clone(magicPNG), ok[8+25:]...), errAny},
		{"two IHDRs", pngFile(rgb, []pngSpec{{"IHDR", rgb}}, z, 0, nil), errAny},
		{"palette image without PLTE", pngFile(ihdr(w, h, 4, pngPaletted, 0), nil, deflate(pngRaw(w, h, 4, false, pattern)), 0, nil), errAny},
		{"PLTE in a gray image", pngFile(ihdr(w, h, 8, pngGray, 0), []pngSpec{plte}, deflate(pngRaw(w, h, 8, false, pattern)), 0, nil), errAny},
		{"PLTE after IDAT", pngFile(rgb, nil, z, 0, []pngSpec{plte}), errAny},
		{"PLTE too long for the bit depth", pngFile(ihdr(w, h, 1, pngPaletted, 0), []pngSpec{{"PLTE", make([]byte, 9)}},
			deflate(pngRaw(w, h, 1, false, pattern)), 0, nil), errAny},
		{"tRNS in an RGBA image", pngFile(ihdr(w, h, 8, pngRGBA, 0), []pngSpec{{"tRNS", make([]byte, 6)}},
			deflate(pngRaw(w, h, 32, false, pattern)), 0, nil), errAny},
		{"tRNS of the wrong length", pngFile(rgb, []pngSpec{{"tRNS", make([]byte, 2)}}, z, 0, nil), errAny},
		{"bad bit depth", pngFile(ihdr(w, h, 4, pngTrueColor, 0), nil, z, 0, nil), errAny},
		{"zero width", pngFile(ihdr(0, h, 8, pngTrueColor, 0), nil, z, 0, nil), errAny},
		{"bad interlace method", pngFile(ihdr(w, h, 8, pngTrueColor, 2), nil, z, 0, nil), errAny},
		{"chunk length over 2^31", func() []byte {
			b := bytes.Clone(ok)
			binary.BigEndian.PutUint32(b[idat-4:], 1<<31)
			return b
		}(), errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkPNG(tt.b)
			switch {
			case tt.want == nil && err != nil, tt.want != nil && err == nil,
				tt.want != nil && tt.want != errAny && !errors.Is(err, tt.want):
				t.Errorf("checkPNG = %v, want %v", err, tt.want)
			}
			// image/png agrees, but for data after the zlib stream, which it accepts when it happens
			// to have read it ahead.
			if _, derr := png.Decode(bytes.NewReader(tt.b)); (derr == nil) != (err == nil) && !errors.Is(err, errTrailingZlibData) {
				t.Errorf("checkPNG = %v but image/png.Decode = %v", err, derr)
			}
		})
	}
}

// errorCode is the code of err, or "" for nil.
func errorCode(err error) lending.Code {
	if err == nil {
		return ""
	}
	return lending.ErrorCode(err)
}

// errAny stands for any error in tests.
var errAny = errors.New("any error")

func TestInspectPNGDamaged(t *testing.T) {
	t.Parallel()
	b := encodePNG(t, 300, 200)
	idat := bytes.Index(b, []byte("IDAT"))
	n := int(binary.BigEndian.Uint32(b[idat-4:]))
	for name, b := range map[string][]byte{
		"IDAT CRC flipped":        flip(b, idat+4+n),
		"truncated in IDAT":       b[:idat+4+n/2],
		"bytes after zlib stream": fixCRCs(append(append(bytes.Clone(b[:idat+4+n]), 0, 0, 0, 0, 0), b[idat+4+n:]...)),
	} {
		if name == "bytes after zlib stream" { // lengthen the IDAT chunk by the byte added
			binary.BigEndian.PutUint32(b[idat-4:], uint32(n+1))
			b = fixCRCs(append(b[:idat+4+n+1], b[idat+4+n+5:]...))
		}
		kind, err := Inspect(b)
		if kind != "" || lending.ErrorCode(err) != lending.CodeInvalidFile {
			t.Errorf("%s: Inspect = %q, %v; want invalid_file", name, kind, err)
		}
	}
}

func TestCheckJPEG(t *testing.T) {
	t.Parallel()
	inputs := testdataJPEGs(t)
	for name, b := range inputs {
		c := jpegChecker{b: b}
		err := c.check()
		if strings.HasPrefix(name, "unsupported-") {
			if err == nil {
				t.Errorf("%s: jpegChecker accepts a JPEG image/jpeg does not decode", name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if want := bytes.Contains([]byte(name), []byte("progressive")); c.skippedRefinement != want {
			t.Errorf("%s: skippedRefinement = %t, want %t", name, c.skippedRefinement, want)
		}
		if kind, err := Inspect(b); kind != KindJPEG || err != nil {
			t.Errorf("%s: Inspect = %q, %v", name, kind, err)
		}
	}
}

// TestCheckJPEGAgreesWithImageJPEG: jpegChecker accepts what image/jpeg decodes and refuses what it
// does not, but for damage in the refinement scans it skips, over truncated and damaged copies of a
// variety of JPEGs.
func TestCheckJPEGAgreesWithImageJPEG(t *testing.T) {
	t.Parallel()
	inputs := testdataJPEGs(t)
	inputs["go 4:2:0"] = encodeJPEG(t, 217, 203)
	inputs["go gray"] = encodeJPEGImage(t, plainImage(201, 203))
	inputs["progressive, EOB runs"] = progressiveJPEG(300, 200, 5)
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(len(in)), 1))
			for i := range 120 {
				b := in
				switch {
				case i < 40:
					b = in[:i*len(in)/40]
				case i > 40:
					b = bytes.Clone(in)
					for range 1 + r.IntN(3) {
						b[r.IntN(len(b))] ^= byte(1 << r.IntN(8))
					}
				}
				compareJPEG(t, b)
			}
		})
	}
}

// compareJPEG checks that jpegChecker and image/jpeg agree on b.
func compareJPEG(t *testing.T, b []byte) {
	t.Helper()
	cfg, derr := jpeg.DecodeConfig(bytes.NewReader(b))
	if derr == nil && cfg.Width*cfg.Height > 1<<20 {
		return // too costly to check, and to decode
	}
	c := jpegChecker{b: b}
	err := c.check()
	if errors.Is(err, errTooManyScans) {
		return // and image/jpeg could take seconds to decode it
	}
	if derr == nil {
		_, derr = jpeg.Decode(bytes.NewReader(b))
	}
	switch {
	case err == nil && derr != nil && !c.skippedRefinement:
		t.Fatalf("jpegChecker accepts a JPEG image/jpeg refuses (%v): %q", derr, b)
	case err != nil && derr == nil:
		t.Fatalf("jpegChecker refuses a JPEG image/jpeg decodes (%v): %q", err, b)
	}
}

// comparePNG checks that checkPNG and image/png agree on b.
func comparePNG(t *testing.T, b []byte) {
	t.Helper()
	var derr error
	if cfg, cerr := png.DecodeConfig(bytes.NewReader(b)); cerr != nil {
		derr = cerr
	} else if cfg.Width*cfg.Height > 1<<20 {
		return // too costly to decode, and to check
	} else {
		_, derr = png.Decode(bytes.NewReader(b))
	}
	err := checkPNG(b)
	switch {
	case err == nil && derr != nil:
		t.Fatalf("checkPNG accepts a PNG image/png refuses (%v): %q", derr, b)
	case err != nil && derr == nil && !errors.Is(err, errTrailingZlibData):
		t.Fatalf("checkPNG refuses a PNG image/png decodes (%v): %q", err, b)
	}
}

// pngSeeds are small PNGs of every colour type, interlaced or not.
func pngSeeds(tb testing.TB) [][]byte {
	plte := pngSpec{"PLTE", bytes.Repeat([]byte{9, 8, 7}, 5)}
	seeds := [][]byte{
		encodePNGImage(tb, plainImage(9, 7)),
		encodePNGImage(tb, testImage(5, 4)),
		pngFile(ihdr(5, 3, 16, pngRGBA, 0), nil, deflate(pngRaw(5, 3, 64, false, pattern)), 0, nil),
		pngFile(ihdr(9, 9, 8, pngTrueColor, 1), []pngSpec{{"tRNS", make([]byte, 6)}}, deflate(pngRaw(9, 9, 24, true, pattern)), 11, nil),
		pngFile(ihdr(10, 3, 1, pngGray, 1), nil, deflate(pngRaw(10, 3, 1, true, pattern)), 0, nil),
		pngFile(ihdr(6, 5, 4, pngPaletted, 1), []pngSpec{plte, {"tRNS", []byte{0, 1}}}, deflate(pngRaw(6, 5, 4, true, pattern)), 0, nil),
		pngFile(ihdr(4, 4, 8, pngGrayAlpha, 0), []pngSpec{{"tEXt", []byte("a\x00b")}}, deflate(pngRaw(4, 4, 16, false, pattern)), 5, nil),
	}
	return seeds
}

func TestCheckPNGAgreesWithImagePNG(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for _, in := range pngSeeds(t) {
		for i := range 1000 {
			b := in
			switch {
			case i < len(in):
				b = in[:i]
			default:
				b = bytes.Clone(in)
				for range 1 + r.IntN(3) {
					b[8+r.IntN(len(b)-8)] ^= byte(1 << r.IntN(8))
				}
				b = fixCRCs(b)
			}
			comparePNG(t, b)
		}
	}
}

// FuzzCheckPNG compares checkPNG with image/png on PNGs whose CRCs are made right, so that the fuzzer
// explores past them.
func FuzzCheckPNG(f *testing.F) {
	for _, b := range pngSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		comparePNG(t, fixCRCs(b))
	})
}

// FuzzCheckJPEG compares jpegChecker with image/jpeg. Besides the seeds added here, testdata/fuzz
// holds small progressive JPEGs made by cjpeg (4:2:0; 4:4:4 and grayscale with restart markers).
func FuzzCheckJPEG(f *testing.F) {
	// Small seeds keep the fuzzer fast (it minimizes every new interesting input).
	f.Add(encodeJPEGImage(f, plainImage(16, 9)))
	f.Add(encodeJPEG(f, 17, 17))
	f.Add(progressiveJPEG(24, 16, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		compareJPEG(t, b)
	})
}
