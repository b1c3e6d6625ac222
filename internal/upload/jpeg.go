package upload

import "errors"

// jpegScans counts the start-of-scan markers of the JPEG b, stopping at limit. It follows the
// segment structure (so markers inside metadata, such as an embedded thumbnail, are not counted) and
// stops at the end of the image or at anything malformed, which jpegChecker reports. It is a quick
// first count: it stops at bytes between segments too, which decoders skip, so jpegChecker counts the
// scans again as it decodes them.
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

// errTooManyScans means a JPEG has more than MaxJPEGScans scans.
var errTooManyScans = errors.New("upload: too many scans")

// errMissingFF00 means an 0xff byte in entropy-coded data is not followed by 0x00: a marker where data
// should be.
var errMissingFF00 = formatError("missing 0xff00 sequence")

// JPEG markers (ITU T.81, table B.1).
const (
	jpegSOF0  = 0xc0 // baseline sequential
	jpegSOF1  = 0xc1 // extended sequential
	jpegSOF2  = 0xc2 // progressive
	jpegDHT   = 0xc4
	jpegRST0  = 0xd0
	jpegRST7  = 0xd7
	jpegEOI   = 0xd9
	jpegSOS   = 0xda
	jpegDQT   = 0xdb
	jpegDRI   = 0xdd
	jpegAPP0  = 0xe0
	jpegAPP14 = 0xee
	jpegAPP15 = 0xef
	jpegCOM   = 0xfe
)

// jpegComponent is a component of a JPEG frame.
type jpegComponent struct {
	id   byte
	h, v int // sampling factors
}

// jpegHuffman is a Huffman table of a JPEG, for decoding as image/jpeg does.
type jpegHuffman struct {
	// n is the number of codes, 0 while the table is not defined.
	n int32
	// lut decodes a code of at most 8 bits from the next 8 bits: the value<<8 | 1 + the code's
	// length, or 0 when the code is longer.
	lut [256]uint16
	// vals are the values in the order of their codes.
	vals [256]byte
	// minCodes and maxCodes are the least and greatest codes of each length (-1 for none), and
	// valIndex the index in vals of the value of minCodes.
	minCodes, maxCodes, valIndex [16]int32
}

// jpegChecker checks a JPEG the way image/jpeg decodes it, accepting what image/jpeg accepts, but
// without allocating the image or the coefficients of its blocks: it follows the segments, keeps the
// frame header, restart interval and Huffman tables, and decodes the Huffman-coded data of every block
// of every scan, discarding the values. The memory it uses is fixed, whatever the size of the image.
//
// Unlike image/jpeg, it does not decode the AC refinement scans of a progressive JPEG: how many bits a
// block takes there depends on which of its coefficients earlier scans made non-zero, and keeping
// that (a bit a coefficient, 8 bytes a block) would take memory in proportion to the image again. It
// skips their data as image/jpeg skips anything between segments, sets skippedRefinement, and resets
// the end-of-band run after them (image/jpeg carries a run left over at the end of a scan into the
// next, which no encoder leaves). It also refuses a JPEG with more than MaxJPEGScans scans
// (errTooManyScans).
type jpegChecker struct {
	b   []byte
	pos int // of the next byte of b
	// acc holds nbits bits of entropy-coded data not yet used, in its low bits. unread is the number
	// of bytes of b (2 for a stuffed 0xff 0x00) that the last read of entropy-coded data took, which a
	// scan gives back at its end if none of its bits were used, as image/jpeg does.
	acc    uint32
	nbits  int32
	unread int

	width, height int
	nComp         int // in the frame; 0 before the frame header
	comp          [4]jpegComponent
	baseline      bool
	progressive   bool
	// jfif, adobe and adobeTransform tell the colour model, as in image/jpeg.
	jfif           bool
	adobe          bool
	adobeTransform byte
	ri             int // restart interval, in MCUs
	huff           [2][4]jpegHuffman
	eobRun         uint16
	scans          int
	// sawScan is whether a scan header was read.
	sawScan bool
	// skippedRefinement is whether the data of an AC refinement scan was skipped, not checked.
	skippedRefinement bool
}

// check checks the JPEG c.b from its start of image to its end of image. Anything after that is
// ignored.
func (c *jpegChecker) check() error {
	if len(c.b) < 2 || c.b[0] != 0xff || c.b[1] != 0xd8 {
		return formatError("missing SOI marker")
	}
	c.pos = 2
	for {
		t, err := c.read(2)
		if err != nil {
			return err
		}
		// Like image/jpeg (and libjpeg), skip anything that is not a marker between segments.
		t0, marker := t[0], t[1]
		for t0 != 0xff {
			t0 = marker
			if marker, err = c.readByte(); err != nil {
				return err
			}
		}
		if marker == 0 { // 0xff 0x00 is not a marker either
			continue
		}
		for marker == 0xff { // fill bytes
			if marker, err = c.readByte(); err != nil {
				return err
			}
		}
		if marker == jpegEOI {
			break
		}
		if jpegRST0 <= marker && marker <= jpegRST7 {
			continue // a stray restart marker, as image/jpeg ignores
		}
		t, err = c.read(2)
		if err != nil {
			return err
		}
		n := int(t[0])<<8 | int(t[1]) - 2
		if n < 0 {
			return formatError("short segment length")
		}
		switch marker {
		case jpegSOF0, jpegSOF1, jpegSOF2:
			c.baseline = marker == jpegSOF0
			c.progressive = marker == jpegSOF2
			err = c.sof(n)
		case jpegDHT:
			err = c.dht(n)
		case jpegDQT:
			err = c.dqt(n)
		case jpegSOS:
			err = c.sos(n)
		case jpegDRI:
			err = c.dri(n)
		case jpegAPP0:
			err = c.app(n, 5, func(d []byte) { c.jfif = string(d) == "JFIF\x00" })
		case jpegAPP14:
			err = c.app(n, 12, func(d []byte) {
				if string(d[:5]) == "Adobe" {
					c.adobe, c.adobeTransform = true, d[11]
				}
			})
		default:
			if jpegAPP0 <= marker && marker <= jpegAPP15 || marker == jpegCOM {
				_, err = c.read(n)
			} else {
				err = formatError("unknown or unsupported marker")
			}
		}
		if err != nil {
			return err
		}
	}
	if !c.sawScan {
		return formatError("missing SOS marker")
	}
	if c.nComp == 4 && !c.adobe {
		return formatError("4-component JPEG without Adobe metadata")
	}
	return nil
}

// read returns the next n bytes of c.b.
func (c *jpegChecker) read(n int) ([]byte, error) {
	c.unread = 0
	if len(c.b)-c.pos < n {
		return nil, errTruncated
	}
	c.pos += n
	return c.b[c.pos-n : c.pos], nil
}

// readByte returns the next byte of c.b.
func (c *jpegChecker) readByte() (byte, error) {
	d, err := c.read(1)
	if err != nil {
		return 0, err
	}
	return d[0], nil
}

// app reads an APPn segment of n bytes, passing its first m bytes, if it has that many, to f.
func (c *jpegChecker) app(n, m int, f func([]byte)) error {
	d, err := c.read(n)
	if err == nil && n >= m {
		f(d[:m])
	}
	return err
}

// sof reads a frame header of n bytes (T.81, B.2.2), as image/jpeg does.
func (c *jpegChecker) sof(n int) error {
	if c.nComp != 0 {
		return formatError("multiple SOF markers")
	}
	switch n {
	case 6 + 3*1, 6 + 3*3, 6 + 3*4:
		c.nComp = (n - 6) / 3
	default:
		return formatError("unsupported number of components")
	}
	d, err := c.read(n)
	if err != nil {
		return err
	}
	if d[0] != 8 {
		return formatError("unsupported precision")
	}
	c.height, c.width = int(d[1])<<8|int(d[2]), int(d[3])<<8|int(d[4])
	if int(d[5]) != c.nComp {
		return formatError("SOF has wrong length")
	}
	for i := range c.nComp {
		id, hv, tq := d[6+3*i], d[7+3*i], d[8+3*i]
		for j := range i {
			if c.comp[j].id == id {
				return formatError("repeated component identifier")
			}
		}
		if tq > 3 {
			return formatError("bad Tq value")
		}
		h, v := int(hv>>4), int(hv&0x0f)
		if h < 1 || 4 < h || v < 1 || 4 < v || h == 3 || v == 3 {
			return formatError("unsupported sampling factors")
		}
		// The sampling factors image/jpeg supports.
		bad := false
		switch c.nComp {
		case 1:
			h, v = 1, 1 // the ratio to the largest factors is what counts: 1
		case 3:
			switch i {
			case 0:
				bad = v == 4
			case 1:
				bad = c.comp[0].h%h != 0 || c.comp[0].v%v != 0
			case 2:
				bad = c.comp[1].h != h || c.comp[1].v != v
			}
		case 4:
			switch i {
			case 0:
				bad = hv != 0x11 && hv != 0x22
			case 1, 2:
				bad = hv != 0x11
			case 3:
				bad = c.comp[0].h != h || c.comp[0].v != v
			}
		}
		if bad {
			return formatError("unsupported sampling factors")
		}
		c.comp[i] = jpegComponent{id: id, h: h, v: v}
	}
	return nil
}

// dht reads Huffman tables from a segment of n bytes (T.81, B.2.4.2), as image/jpeg does.
func (c *jpegChecker) dht(n int) error {
	for n > 0 {
		if n < 17 {
			return formatError("DHT has wrong length")
		}
		d, err := c.read(17)
		if err != nil {
			return err
		}
		tc, th := d[0]>>4, d[0]&0x0f
		if tc > 1 {
			return formatError("bad Tc value")
		}
		if th > 3 || c.baseline && th > 1 {
			return formatError("bad Th value")
		}
		h := &c.huff[tc][th]
		var counts [16]int32
		h.n = 0
		for i := range counts {
			counts[i] = int32(d[1+i])
			h.n += counts[i]
		}
		if h.n == 0 || h.n > 256 {
			return formatError("bad Huffman table length")
		}
		if n -= int(h.n) + 17; n < 0 {
			return formatError("DHT has wrong length")
		}
		vals, err := c.read(int(h.n))
		if err != nil {
			return err
		}
		copy(h.vals[:], vals)
		// The look-up table for codes of up to 8 bits, built exactly as image/jpeg builds it (which
		// matters for a table with more codes of a length than fit).
		clear(h.lut[:])
		var x, code uint32
		for i := range uint32(8) {
			code <<= 1
			for range counts[i] {
				base := uint8(code << (7 - i))
				v := uint16(h.vals[x])<<8 | uint16(2+i)
				for k := range uint8(1 << (7 - i)) {
					h.lut[base|k] = v
				}
				code++
				x++
			}
		}
		var next, index int32
		for i, k := range counts {
			if k == 0 {
				h.minCodes[i], h.maxCodes[i], h.valIndex[i] = -1, -1, -1
			} else {
				h.minCodes[i], h.maxCodes[i], h.valIndex[i] = next, next+k-1, index
				next += k
				index += k
			}
			next <<= 1
		}
	}
	return nil
}

// dqt reads quantization tables from a segment of n bytes (T.81, B.2.4.1), as image/jpeg does.
func (c *jpegChecker) dqt(n int) error {
loop:
	for n > 0 {
		n--
		x, err := c.readByte()
		if err != nil {
			return err
		}
		if x&0x0f > 3 {
			return formatError("bad Tq value")
		}
		size := 0
		switch x >> 4 {
		case 0:
			size = 64
		case 1:
			size = 128
		default:
			return formatError("bad Pq value")
		}
		if n < size {
			break loop
		}
		n -= size
		if _, err := c.read(size); err != nil {
			return err
		}
	}
	if n != 0 {
		return formatError("DQT has wrong length")
	}
	return nil
}

// dri reads a restart interval segment of n bytes.
func (c *jpegChecker) dri(n int) error {
	if n != 2 {
		return formatError("DRI has wrong length")
	}
	d, err := c.read(2)
	if err != nil {
		return err
	}
	c.ri = int(d[0])<<8 | int(d[1])
	return nil
}

// sos reads a scan header of n bytes (T.81, B.2.3) and checks the scan's entropy-coded data: that it
// holds every block of the scan, decoding it as image/jpeg does.
func (c *jpegChecker) sos(n int) error {
	if c.nComp == 0 {
		return formatError("missing SOF marker")
	}
	if n < 6 || 4+2*c.nComp < n || n%2 != 0 {
		return formatError("SOS has wrong length")
	}
	d, err := c.read(n)
	if err != nil {
		return err
	}
	ns := int(d[0])
	if n != 4+2*ns {
		return formatError("SOS length inconsistent with number of components")
	}
	var (
		index  [4]int  // of each of the scan's components in c.comp
		td, ta [4]byte // their DC and AC tables
	)
	totalHV := 0
	for i := range ns {
		index[i] = -1
		for j := range c.nComp {
			if c.comp[j].id == d[1+2*i] {
				index[i] = j
			}
		}
		if index[i] < 0 {
			return formatError("unknown component selector")
		}
		for j := range i {
			if index[j] == index[i] {
				return formatError("repeated component selector")
			}
		}
		totalHV += c.comp[index[i]].h * c.comp[index[i]].v
		td[i], ta[i] = d[2+2*i]>>4, d[2+2*i]&0x0f
		if td[i] > 3 || c.baseline && td[i] > 1 || ta[i] > 3 || c.baseline && ta[i] > 1 {
			return formatError("bad table selector")
		}
	}
	if c.nComp > 1 && totalHV > 10 {
		return formatError("total sampling factors too large")
	}
	// The spectral selection and successive approximation: fixed for a sequential JPEG.
	ss, se, ah := 0, 63, 0
	if c.progressive {
		ss, se, ah = int(d[1+2*ns]), int(d[2+2*ns]), int(d[3+2*ns]>>4)
		al := int(d[3+2*ns] & 0x0f)
		if ss == 0 && se != 0 || ss > se || se >= 64 {
			return formatError("bad spectral selection bounds")
		}
		if ss != 0 && ns != 1 {
			return formatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return formatError("bad successive approximation values")
		}
	}
	if c.scans++; c.scans > MaxJPEGScans {
		return errTooManyScans
	}
	c.sawScan = true
	if ah != 0 && ss != 0 {
		// An AC refinement scan: its data is skipped by the caller, as data between segments.
		c.skippedRefinement = true
		c.eobRun = 0
		return nil
	}

	// The blocks in the order image/jpeg visits them; see its processSOS.
	h0, v0 := c.comp[0].h, c.comp[0].v
	mxx := (c.width + 8*h0 - 1) / (8 * h0)
	myy := (c.height + 8*v0 - 1) / (8 * v0)
	c.acc, c.nbits = 0, 0
	mcu, expectedRST, blockCount := 0, byte(jpegRST0), 0
	for range myy {
		for range mxx {
			for i := range ns {
				comp := c.comp[index[i]]
				for range comp.h * comp.v {
					if ns == 1 {
						// Not interleaved: no data for the blocks of an MCU outside the image.
						q := mxx * comp.h
						bx, by := blockCount%q, blockCount/q
						blockCount++
						if bx*8 >= c.width || by*8 >= c.height {
							continue
						}
					}
					if err := c.block(&c.huff[0][td[i]], &c.huff[1][ta[i]], ss, se, ah); err != nil {
						return err
					}
				}
			}
			mcu++
			if c.ri > 0 && mcu%c.ri == 0 && mcu < mxx*myy {
				if err := c.restart(expectedRST); err != nil {
					return err
				}
				if expectedRST++; expectedRST > jpegRST7 {
					expectedRST = jpegRST0
				}
				c.acc, c.nbits, c.eobRun = 0, 0, 0
			}
		}
	}
	c.giveBack()
	return nil
}

// block decodes the data of a block in a scan with the given tables, spectral selection ss to se
// and successive approximation high bit ah, but for AC refinement, as image/jpeg does.
func (c *jpegChecker) block(dc, ac *jpegHuffman, ss, se, ah int) error {
	if ah != 0 { // DC refinement: one bit
		_, err := c.bits(1)
		return err
	}
	zig := ss
	if zig == 0 {
		zig++
		t, err := c.decodeHuffman(dc)
		if err != nil {
			return err
		}
		if t > 16 {
			return formatError("excessive DC component")
		}
		if _, err := c.bits(int32(t)); err != nil {
			return err
		}
	}
	if zig <= se && c.eobRun > 0 {
		c.eobRun--
		return nil
	}
	for ; zig <= se; zig++ {
		v, err := c.decodeHuffman(ac)
		if err != nil {
			return err
		}
		run, size := v>>4, v&0x0f
		if size != 0 {
			if zig += int(run); zig > se {
				break
			}
			if _, err := c.bits(int32(size)); err != nil {
				return err
			}
			continue
		}
		if run == 0x0f { // sixteen zeros
			zig += 0x0f
			continue
		}
		// An end of band, or of 2^run + more bands.
		more, err := c.bits(int32(run))
		if err != nil {
			return err
		}
		c.eobRun = uint16(1)<<run | uint16(more) - 1
		break
	}
	return nil
}

// restart reads the restart marker expected after an interval of MCUs, resynchronizing on it as
// image/jpeg does when something else comes first.
func (c *jpegChecker) restart(expected byte) error {
	c.giveBack()
	d, err := c.read(2)
	if err != nil {
		return err
	}
	t0, t1 := d[0], d[1]
	for t0 != 0xff || t1 != expected {
		switch {
		case t0 == 0xff && t1 == 0xff:
			t1, err = c.readByte()
		case t0 == 0xff && t1 != 0:
			return formatError("bad RST marker")
		case t1 == 0xff:
			t0 = 0xff
			t1, err = c.readByte()
		default:
			if d, err = c.read(2); err == nil {
				t0, t1 = d[0], d[1]
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// giveBack ends the entropy-coded data where image/jpeg would: it gives back the last byte read if
// none of its bits were used.
func (c *jpegChecker) giveBack() {
	if c.unread != 0 && c.nbits >= 8 {
		c.pos -= c.unread
		c.nbits -= 8
	}
	c.unread = 0
}

// readStuffed reads a byte of entropy-coded data, in which 0xff is stuffed as 0xff 0x00. It leaves
// c.pos unchanged on error.
func (c *jpegChecker) readStuffed() (byte, error) {
	c.unread = 0
	switch {
	case c.pos >= len(c.b):
		return 0, errTruncated
	case c.b[c.pos] != 0xff:
		c.pos, c.unread = c.pos+1, 1
		return c.b[c.pos-1], nil
	case c.pos+1 >= len(c.b):
		return 0, errTruncated
	case c.b[c.pos+1] != 0:
		return 0, errMissingFF00
	}
	c.pos, c.unread = c.pos+2, 2
	return 0xff, nil
}

// fill reads entropy-coded data until at least n bits are available.
func (c *jpegChecker) fill(n int32) error {
	for c.nbits < n {
		x, err := c.readStuffed()
		if err != nil {
			return err
		}
		c.acc, c.nbits = c.acc<<8|uint32(x), c.nbits+8
	}
	return nil
}

// bits returns the next n bits of entropy-coded data.
func (c *jpegChecker) bits(n int32) (uint32, error) {
	if err := c.fill(n); err != nil {
		return 0, err
	}
	c.nbits -= n
	return c.acc >> uint32(c.nbits) & (1<<uint32(n) - 1), nil
}

// decodeHuffman decodes the next value of entropy-coded data with h as image/jpeg does: by the
// look-up table when 8 bits are available and the code is short, bit by bit otherwise.
func (c *jpegChecker) decodeHuffman(h *jpegHuffman) (byte, error) {
	if h.n == 0 {
		return 0, formatError("uninitialized Huffman table")
	}
	if c.fill(8) == nil {
		if v := h.lut[c.acc>>uint32(c.nbits-8)&0xff]; v != 0 {
			c.nbits -= int32(v&0xff) - 1
			return byte(v >> 8), nil
		}
	}
	code := int32(0)
	for i := range 16 {
		b, err := c.bits(1)
		if err != nil {
			return 0, err
		}
		code |= int32(b)
		if code <= h.maxCodes[i] {
			return h.vals[h.valIndex[i]+code-h.minCodes[i]], nil
		}
		code <<= 1
	}
	return 0, formatError("bad Huffman code")
}

// decodeCost estimates the memory image/jpeg takes to decode the JPEG c checked: the planes of the
// image (padded to whole MCUs), the coefficients of every block for a progressive JPEG, and an RGBA or
// CMYK copy of the image for one that is not in YCbCr.
func (c *jpegChecker) decodeCost() int64 {
	w, h := int64(c.width), int64(c.height)
	h0, v0 := int64(c.comp[0].h), int64(c.comp[0].v)
	mcus := (w + 8*h0 - 1) / (8 * h0) * ((h + 8*v0 - 1) / (8 * v0))
	var blocks int64
	for _, comp := range c.comp[:c.nComp] {
		blocks += mcus * int64(comp.h*comp.v)
	}
	cost := 64 * blocks
	if c.progressive {
		cost += 64 * 4 * blocks // a [64]int32 a block
	}
	if c.nComp == 4 || c.nComp == 3 && c.isRGB() {
		cost += 4 * w * h
	}
	return cost
}

// isRGB reports whether a 3-component JPEG is in RGB rather than YCbCr, as image/jpeg decides.
func (c *jpegChecker) isRGB() bool {
	if c.jfif {
		return false
	}
	if c.adobe && c.adobeTransform == 0 {
		return true
	}
	return c.comp[0].id == 'R' && c.comp[1].id == 'G' && c.comp[2].id == 'B'
}
