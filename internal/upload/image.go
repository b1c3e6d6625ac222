package upload

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/dinie-oss/dinie/internal/lending"
)

// How much memory checking an image may take. Decoding an image into a bitmap costs up to 8 bytes a
// pixel, and the header of a file of a few bytes can announce tens of megapixels: the memory a check
// uses must depend on neither.
//
// A PNG is never decoded: checkPNG follows its structure and inflates its pixel data into a counter,
// in a fixed amount of memory whatever the size. A JPEG is checked the same way by jpegChecker, which
// decodes the entropy-coded data of its scans without keeping any coefficient; a JPEG whose decoding
// by image/jpeg costs at most maxJPEGDecodeBytes is then also decoded in full, which checks the few
// things jpegChecker leaves out (the refinement scans of a progressive JPEG). At most maxDecodes such
// decodes run at once in the process, so that they take at most 32 MiB together.
const (
	// maxJPEGDecodeBytes is the most memory a full decode of a JPEG may take, as estimated by
	// jpegChecker.decodeCost: a 4:2:0 baseline JPEG of about 11 megapixels, a 4:4:4 or grayscale one of
	// about 5.5 or 16, a progressive 4:2:0 one of about 2.
	maxJPEGDecodeBytes = 16 << 20
	// maxDecodes is how many full decodes may run at once, process-wide.
	maxDecodes = 2
)

// decodeSlots holds a token for each full decode under way.
var decodeSlots = make(chan struct{}, maxDecodes)

// decodeBounded decodes the image in b with decode once fewer than maxDecodes decodes are under way,
// waiting for one to finish otherwise.
func decodeBounded(b []byte, decode func(io.Reader) (image.Image, error)) error {
	decodeSlots <- struct{}{}
	defer func() { <-decodeSlots }()
	_, err := decode(bytes.NewReader(b))
	return err
}

// damaged is the error for an image that cannot be read whole.
func damaged() error {
	return lending.FieldErrorf(lending.CodeInvalidFile, field, "the image is damaged or truncated")
}

// checkDimensions reads the size of the image in b from its header with config and checks it is
// neither too small to be legible nor so large as to be unreasonable.
func checkDimensions(b []byte, config func(io.Reader) (image.Config, error)) error {
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
	return nil
}

// inspectPNG checks that b is a PNG of a reasonable size whose every chunk and every row of pixels is
// whole.
func inspectPNG(b []byte) error {
	if err := checkDimensions(b, png.DecodeConfig); err != nil {
		return err
	}
	if err := checkPNG(b); err != nil {
		return damaged()
	}
	return nil
}

// inspectJPEG checks that b is a JPEG of a reasonable size and encoding whose scans hold the data of
// every block of the image.
func inspectJPEG(b []byte) error {
	if err := checkDimensions(b, jpeg.DecodeConfig); err != nil {
		return err
	}
	if n := jpegScans(b, MaxJPEGScans+1); n > MaxJPEGScans {
		return tooManyScans()
	}
	c := jpegChecker{b: b}
	if err := c.check(); errors.Is(err, errTooManyScans) {
		return tooManyScans()
	} else if err != nil {
		return damaged()
	}
	if c.decodeCost() <= maxJPEGDecodeBytes {
		if err := decodeBounded(b, jpeg.Decode); err != nil {
			return damaged()
		}
	}
	return nil
}

// tooManyScans is the error for a JPEG of more than MaxJPEGScans scans.
func tooManyScans() error {
	return lending.FieldErrorf(lending.CodeInvalidFile, field,
		"the image has an unusual encoding (more than %d scans); save it again as a standard JPEG", MaxJPEGScans)
}
