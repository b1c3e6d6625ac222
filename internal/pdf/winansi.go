package pdf

import "unicode/utf8"

// winAnsiHigh maps the characters of codes 0x80 to 0x9F of WinAnsiEncoding (Windows code page 1252),
// which differ from ISO 8859-1, to their codes. Codes 0xA0 to 0xFF are the same as U+00A0 to U+00FF.
var winAnsiHigh = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88,
	'‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E,
	'‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98,
	'™': 0x99, 'š': 0x9A, '›': 0x9B, 'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

// lookalikes are characters outside WinAnsiEncoding shown as the WinAnsi character that looks the same.
var lookalikes = map[rune]byte{
	'\u2010': '-',  // hyphen
	'\u2011': '-',  // non-breaking hyphen
	'\u2212': '-',  // minus sign
	'\u2007': 0xA0, // figure space
	'\u202F': 0xA0, // narrow no-break space
	'\t':     ' ',
}

// compositions lists, for each combining mark, the base letters it composes with and the precomposed
// WinAnsi letters they make, so that text in Unicode normal form D ("e" + U+0301) is shown as "é".
var compositions = map[rune][2]string{
	'\u0300': {"AEIOUaeiou", "ÀÈÌÒÙàèìòù"},
	'\u0301': {"AEIOUYaeiouy", "ÁÉÍÓÚÝáéíóúý"},
	'\u0302': {"AEIOUaeiou", "ÂÊÎÔÛâêîôû"},
	'\u0303': {"ANOano", "ÃÑÕãñõ"},
	'\u0308': {"AEIOUYaeiouy", "ÄËÏÖÜŸäëïöüÿ"},
	'\u030A': {"Aa", "Åå"},
	'\u030C': {"SZsz", "ŠŽšž"},
	'\u0327': {"Cc", "Çç"},
}

// compose returns the precomposed letter of base followed by the combining mark, if WinAnsi has one.
func compose(base, mark rune) (rune, bool) {
	c, ok := compositions[mark]
	if !ok {
		return 0, false
	}
	composed := []rune(c[1])
	i := 0
	for _, b := range c[0] {
		if b == base {
			return composed[i], true
		}
		i++
	}
	return 0, false
}

// winAnsiByte returns the WinAnsi code of r, or false.
func winAnsiByte(r rune) (byte, bool) {
	switch {
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xFF:
		return byte(r), true
	}
	if b, ok := winAnsiHigh[r]; ok {
		return b, true
	}
	b, ok := lookalikes[r]
	return b, ok
}

// WinAnsi encodes s in WinAnsiEncoding (Windows code page 1252), the encoding of the document's fonts.
// A letter followed by a combining accent is composed into the accented letter when WinAnsi has it;
// any other character WinAnsi lacks (including control characters and invalid UTF-8) becomes '?'.
// Line breaks are not characters here: callers split text at '\n' first.
func WinAnsi(s string) []byte {
	out := make([]byte, 0, len(s))
	var prev rune = -1 // the rune behind the last byte of out, while a mark may still compose with it
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			out, prev = append(out, '?'), -1
			continue
		}
		if prev >= 0 {
			if c, ok := compose(prev, r); ok {
				b, _ := winAnsiByte(c)
				out[len(out)-1], prev = b, -1
				continue
			}
		}
		if b, ok := winAnsiByte(r); ok {
			out, prev = append(out, b), r
		} else {
			out, prev = append(out, '?'), -1
		}
	}
	return out
}
