package upload

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// formatError describes what is wrong with a damaged image.
type formatError string

func (e formatError) Error() string { return "upload: " + string(e) }

var (
	// errTruncated means the image ends before its end.
	errTruncated = formatError("truncated image")
	// errTrailingZlibData means data follows the end of a PNG's compressed pixel data in its last
	// IDAT chunk (image/png accepts some of those).
	errTrailingZlibData = formatError("data after the end of the compressed pixel data")
)

// The stages of a PNG, in the order its critical chunks must come (PNG, 5.6).
const (
	pngStart = iota
	pngSeenIHDR
	pngSeenPLTE
	pngSeenTRNS
	pngSeenIDAT
	pngSeenIEND
)

// The colour types of a PNG.
const (
	pngGray      = 0
	pngTrueColor = 2
	pngPaletted  = 3
	pngGrayAlpha = 4
	pngRGBA      = 6
)

// pngHeader is what checkPNG needs of an IHDR chunk.
type pngHeader struct {
	width, height int64
	depth         int // bits per sample
	colorType     int
	interlaced    bool
	bitsPerPixel  int64
}

// adam7 is the placement of the seven passes of an interlaced PNG: the spacing of their pixels and the
// position of their first pixel (PNG, 8.2).
var adam7 = [7]struct{ dx, dy, x0, y0 int64 }{
	{8, 8, 0, 0}, {8, 8, 4, 0}, {4, 8, 0, 4}, {4, 4, 2, 0}, {2, 4, 0, 2}, {2, 2, 1, 0}, {1, 2, 0, 1},
}

// checkPNG checks that b is a whole PNG without decoding it into a bitmap, in memory that does not
// depend on the image's size: the signature; the length and CRC-32 of every chunk up to IEND; a
// sensible IHDR; the order of the critical chunks; that the IDAT chunks hold a zlib stream that ends
// properly (its checksum verified) with the last byte of one of them; and that it inflates to exactly
// the rows the header announces, each starting with a valid filter type, counting the bytes without
// keeping them. It accepts what image/png accepts, except data after the end of the zlib stream in
// the same IDAT chunk (errTrailingZlibData); bytes after IEND are ignored, as image/png does.
func checkPNG(b []byte) error {
	if !bytes.HasPrefix(b, magicPNG) {
		return formatError("not a PNG file")
	}
	var hdr pngHeader
	stage := pngStart
	for pos := len(magicPNG); stage != pngSeenIEND; {
		typ, data, err := pngChunk(b, pos)
		if err != nil {
			return err
		}
		next := pos + 12 + len(data)
		switch string(typ) {
		case "IHDR":
			if stage != pngStart {
				return formatError("chunk out of order")
			}
			stage = pngSeenIHDR
			if hdr, err = parseIHDR(data); err != nil {
				return err
			}
		case "PLTE":
			if stage != pngSeenIHDR {
				return formatError("chunk out of order")
			}
			stage = pngSeenPLTE
			n := len(data) / 3
			if len(data)%3 != 0 || n == 0 || n > 256 || n > 1<<hdr.depth {
				return formatError("bad PLTE length")
			}
			if hdr.colorType != pngPaletted && hdr.colorType != pngTrueColor && hdr.colorType != pngRGBA {
				return formatError("PLTE for a colour type without a palette")
			}
		case "tRNS":
			switch {
			case hdr.colorType == pngPaletted && stage != pngSeenPLTE,
				hdr.colorType == pngTrueColor && stage != pngSeenIHDR && stage != pngSeenPLTE,
				hdr.colorType != pngPaletted && hdr.colorType != pngTrueColor && stage != pngSeenIHDR:
				return formatError("chunk out of order")
			}
			stage = pngSeenTRNS
			switch hdr.colorType {
			case pngGray:
				err = wantLength(data, 2)
			case pngTrueColor:
				err = wantLength(data, 6)
			case pngPaletted:
				if len(data) > 256 {
					err = formatError("bad tRNS length")
				}
			default:
				err = formatError("tRNS for a colour type with alpha")
			}
			if err != nil {
				return err
			}
		case "IDAT":
			if stage < pngSeenIHDR || stage > pngSeenIDAT || stage == pngSeenIHDR && hdr.colorType == pngPaletted {
				return formatError("chunk out of order")
			}
			if stage == pngSeenIDAT {
				// An IDAT chunk after the end of the pixel data, as image/png ignores.
				break
			}
			stage = pngSeenIDAT
			if next, err = checkPNGPixels(b, pos, hdr); err != nil {
				return err
			}
		case "IEND":
			if stage != pngSeenIDAT {
				return formatError("chunk out of order")
			}
			if len(data) != 0 {
				return formatError("bad IEND length")
			}
			stage = pngSeenIEND
		}
		pos = next
	}
	return nil
}

// pngChunk returns the type and data of the chunk of the PNG b that starts at pos, checking that it
// is whole and its CRC right.
func pngChunk(b []byte, pos int) (typ, data []byte, err error) {
	if len(b)-pos < 8 {
		return nil, nil, errTruncated
	}
	n := binary.BigEndian.Uint32(b[pos:])
	if n > 1<<31-1 {
		return nil, nil, formatError("bad chunk length")
	}
	if int64(len(b)-pos-12) < int64(n) {
		return nil, nil, errTruncated
	}
	end := pos + 8 + int(n)
	if crc32.ChecksumIEEE(b[pos+4:end]) != binary.BigEndian.Uint32(b[end:]) {
		return nil, nil, formatError("invalid chunk checksum")
	}
	return b[pos+4 : pos+8], b[pos+8 : end], nil
}

func wantLength(data []byte, n int) error {
	if len(data) != n {
		return formatError("bad chunk length")
	}
	return nil
}

// parseIHDR checks the data of an IHDR chunk as image/png does.
func parseIHDR(data []byte) (pngHeader, error) {
	if len(data) != 13 {
		return pngHeader{}, formatError("bad IHDR length")
	}
	w, h := binary.BigEndian.Uint32(data[0:]), binary.BigEndian.Uint32(data[4:])
	depth, ct := int(data[8]), int(data[9])
	switch {
	case data[10] != 0 || data[11] != 0:
		return pngHeader{}, formatError("unknown compression or filter method")
	case data[12] > 1:
		return pngHeader{}, formatError("unknown interlace method")
	case w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1:
		return pngHeader{}, formatError("bad dimensions")
	case uint64(w)*uint64(h) > 1<<40:
		// Far more than Inspect accepts; it keeps the sizes computed below from overflowing.
		return pngHeader{}, formatError("dimension overflow")
	}
	samples := 0 // per pixel
	switch {
	case ct == pngGray && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16):
		samples = 1
	case ct == pngPaletted && (depth == 1 || depth == 2 || depth == 4 || depth == 8):
		samples = 1
	case ct == pngGrayAlpha && (depth == 8 || depth == 16):
		samples = 2
	case ct == pngTrueColor && (depth == 8 || depth == 16):
		samples = 3
	case ct == pngRGBA && (depth == 8 || depth == 16):
		samples = 4
	default:
		return pngHeader{}, formatError("bad bit depth and colour type")
	}
	return pngHeader{
		width: int64(w), height: int64(h), depth: depth, colorType: ct,
		interlaced: data[12] == 1, bitsPerPixel: int64(samples * depth),
	}, nil
}

// checkPNGPixels checks the pixel data of the PNG b whose first IDAT chunk starts at pos: the IDAT
// chunks from there on hold a zlib stream that ends with the last byte of one of them and inflates
// to exactly the rows hdr announces. It returns the position of the chunk after the last IDAT chunk
// holding that stream.
func checkPNGPixels(b []byte, pos int, hdr pngHeader) (next int, err error) {
	_, data, _ := pngChunk(b, pos) // checked by the caller
	r := &idatReader{b: b, pos: pos + 8, end: pos + 8 + len(data)}
	zr, err := zlib.NewReader(r)
	if err != nil {
		return 0, formatError("bad zlib header")
	}
	defer func() { _ = zr.Close() }()
	rows := newPNGRows(hdr)
	var buf [4096]byte
	for stalls := 0; ; {
		n, err := zr.Read(buf[:])
		if err := rows.write(buf[:n]); err != nil {
			return 0, err
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, errTruncated
			}
			return 0, formatError("bad pixel data: " + err.Error())
		}
		if n == 0 {
			if stalls++; stalls == 100 {
				return 0, io.ErrNoProgress
			}
		}
	}
	if !rows.done() {
		return 0, formatError("not enough pixel data")
	}
	if r.pos != r.end {
		return 0, errTrailingZlibData
	}
	return r.end + 4, nil
}

// idatReader reads the data of consecutive IDAT chunks as one stream. It reads no further than it is
// asked to: zlib, given an io.ByteReader, reads exactly the bytes of its stream.
type idatReader struct {
	b []byte
	// pos and end bound the unread data of the current chunk.
	pos, end int
	err      error
}

// more moves to the next chunk if the current one is exhausted, and reports whether there is data to
// read.
func (r *idatReader) more() bool {
	for r.pos == r.end && r.err == nil {
		next := r.end + 4
		typ, data, err := pngChunk(r.b, next)
		switch {
		case err != nil:
			r.err = err
		case string(typ) != "IDAT":
			r.err = formatError("not enough pixel data")
		default:
			r.pos, r.end = next+8, next+8+len(data)
		}
	}
	return r.pos < r.end
}

func (r *idatReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !r.more() {
		return 0, r.err
	}
	n := copy(p, r.b[r.pos:r.end])
	r.pos += n
	return n, nil
}

func (r *idatReader) ReadByte() (byte, error) {
	if !r.more() {
		return 0, r.err
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

// pngRows follows the rows of inflated pixel data of a PNG, each a filter-type byte and the row's
// pixels, checking the filter types.
type pngRows struct {
	// passes are the sizes of the image, or of the non-empty passes of an interlaced image: the
	// number of rows and the bytes of each row, with its filter-type byte.
	passes [7]struct{ rows, size int64 }
	n      int // of passes
	// pass, row and off are where the next byte goes.
	pass     int
	row, off int64
}

func newPNGRows(hdr pngHeader) *pngRows {
	p := &pngRows{}
	add := func(w, h int64) {
		if w > 0 && h > 0 {
			p.passes[p.n].rows, p.passes[p.n].size = h, 1+(hdr.bitsPerPixel*w+7)/8
			p.n++
		}
	}
	if !hdr.interlaced {
		add(hdr.width, hdr.height)
		return p
	}
	for _, a := range adam7 {
		add((hdr.width-a.x0+a.dx-1)/a.dx, (hdr.height-a.y0+a.dy-1)/a.dy)
	}
	return p
}

// write takes the next inflated bytes.
func (p *pngRows) write(d []byte) error {
	for len(d) > 0 {
		if p.done() {
			return formatError("too much pixel data")
		}
		cur := p.passes[p.pass]
		if p.off == 0 && d[0] > 4 {
			return formatError("bad filter type")
		}
		k := min(int64(len(d)), cur.size-p.off)
		d, p.off = d[k:], p.off+k
		if p.off == cur.size {
			p.off, p.row = 0, p.row+1
			if p.row == cur.rows {
				p.row, p.pass = 0, p.pass+1
			}
		}
	}
	return nil
}

// done reports whether all the rows have been seen.
func (p *pngRows) done() bool { return p.pass == p.n }
