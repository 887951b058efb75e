package jsonata

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Integer pictures: the XPath F&O 3.1 format-integer picture as jsonata-js
// 2.0.6 reads it, shared by $formatInteger, $parseInteger and the integer
// components of date/time pictures ([Y0001], [D1o], [MI] …).

// intKind is the primary format token's family.
type intKind uint8

const (
	intDecimal  intKind = iota // a decimal digit pattern: 0001, #,##0, ١
	intLetters                 // a, A: a … z, aa …
	intRoman                   // i, I
	intWords                   // w, W, Ww
	intSequence                // anything else: a numbering sequence jsonata-js does not support (D3130)
)

// letterCase is how words, letters and names are cased.
type letterCase uint8

const (
	caseLower letterCase = iota
	caseUpper
	caseTitle
)

// groupSep is a grouping separator of a decimal digit pattern: its
// character and the number of digit positions to its right.
type groupSep struct {
	pos int
	ch  string
}

// intPicture is an analysed integer picture.
type intPicture struct {
	kind    intKind
	cas     letterCase
	ordinal bool
	// decimal digit patterns
	zero      rune // the zero of the digit family (0x30, 0x660 …)
	mandatory int  // the number of digits that are always written
	optional  int  // the number of # signs
	regular   bool // the separators repeat at one interval: sep
	sep       groupSep
	seps      []groupSep // irregular separators, rightmost first
	// width is the exact digit count a date/time component is parsed with
	// (the n of [Y0001], [M01]); 0 when any count goes.
	width int
	token string // the picture, for the D3130 of a sequence
}

// decimalZeros are the zero digits of the Unicode decimal digit families
// jsonata-js recognises in a decimal digit pattern.
var decimalZeros = [...]rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

// digitZero returns the zero of r's decimal digit family, or -1.
func digitZero(r rune) rune {
	for _, z := range decimalZeros {
		if r >= z && r <= z+9 {
			return z
		}
	}
	return -1
}

// analyseIntPicture reads an integer picture: a primary format token and,
// after the last ';', a modifier whose leading 'o' asks for an ordinal.
func analyseIntPicture(picture string) (*intPicture, error) {
	f := &intPicture{kind: intDecimal, cas: caseLower, token: picture}
	primary := picture
	if semi := strings.LastIndexByte(picture, ';'); semi >= 0 {
		primary = picture[:semi]
		f.ordinal = strings.HasPrefix(picture[semi+1:], "o")
	}
	switch primary {
	case "A":
		f.kind, f.cas = intLetters, caseUpper
	case "a":
		f.kind = intLetters
	case "I":
		f.kind, f.cas = intRoman, caseUpper
	case "i":
		f.kind = intRoman
	case "W":
		f.kind, f.cas = intWords, caseUpper
	case "Ww":
		f.kind, f.cas = intWords, caseTitle
	case "w":
		f.kind = intWords
	default:
		if err := f.analyseDigits(primary); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// analyseDigits reads a decimal digit pattern from its right end, where the
// positions of grouping separators are counted from; a pattern without a
// mandatory digit is a numbering sequence.
func (f *intPicture) analyseDigits(primary string) error {
	runes := []rune(primary)
	zero := rune(-1)
	position := 0
	var seps []groupSep
	for i := len(runes) - 1; i >= 0; i-- {
		r := runes[i]
		if z := digitZero(r); z >= 0 {
			f.mandatory++
			position++
			if zero < 0 {
				zero = z
			} else if z != zero {
				return newError("D3131", 0, "", nil)
			}
			continue
		}
		if r == '#' {
			position++
			f.optional++
			continue
		}
		seps = append(seps, groupSep{pos: position, ch: string(r)})
	}
	if f.mandatory == 0 {
		f.kind = intSequence
		return nil
	}
	f.zero = zero
	if every := regularInterval(seps); every > 0 {
		f.regular = true
		f.sep = groupSep{pos: every, ch: seps[0].ch}
	} else {
		f.seps = seps
	}
	return nil
}

// regularInterval is the interval at which separators repeat when they are
// all the same character at every multiple of one interval, else 0.
func regularInterval(seps []groupSep) int {
	if len(seps) == 0 {
		return 0
	}
	for _, s := range seps[1:] {
		if s.ch != seps[0].ch {
			return 0
		}
	}
	positions := make([]int, len(seps))
	for i, s := range seps {
		positions[i] = s.pos
	}
	return regularPositions(positions)
}

// regularPositions is the greatest common divisor of positions when every
// multiple of it up to their count is among them, else 0.
func regularPositions(positions []int) int {
	if len(positions) == 0 {
		return 0
	}
	factor := positions[0]
	for _, p := range positions[1:] {
		factor = gcdInt(factor, p)
	}
	for k := 1; k <= len(positions); k++ {
		found := false
		for _, p := range positions {
			if p == k*factor {
				found = true
				break
			}
		}
		if !found {
			return 0
		}
	}
	return factor
}

func gcdInt(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// maxRomanValue bounds roman numerals: jsonata-js writes one 'm' per
// thousand (and runs out of stack far beyond this); a larger number is an
// error rather than megabytes of 'M'.
const maxRomanValue = 10_000_000

// formatInt writes value (already an integer, or NaN for a component of an
// invalid date) as the picture says.
func formatInt(value float64, f *intPicture) (string, error) {
	negative := value < 0
	value = math.Abs(value)
	var s string
	switch f.kind {
	case intLetters:
		a := 'a'
		if f.cas == caseUpper {
			a = 'A'
		}
		s = decimalToLetters(value, a)
	case intRoman:
		if value > maxRomanValue {
			return "", errorf("D3130", "The number %s is too large to write in roman numerals (at most %d)", jsNumberString(value), maxRomanValue)
		}
		s = decimalToRoman(int(value))
		if f.cas == caseUpper {
			s = strings.ToUpper(s)
		}
	case intWords:
		s = numberToWords(value, f.ordinal)
		switch f.cas {
		case caseUpper:
			s = strings.ToUpper(s)
		case caseLower:
			s = strings.ToLower(s)
		}
	case intDecimal:
		s = formatDecimalDigits(value, f)
	default:
		return "", newError("D3130", 0, "", f.token)
	}
	if negative {
		s = "-" + s
	}
	return s, nil
}

// formatDecimalDigits writes value with a decimal digit pattern: padded to
// the mandatory digits, in the pattern's digit family, grouped, and with an
// English ordinal suffix when asked.
func formatDecimalDigits(value float64, f *intPicture) string {
	digits := []rune(jsNumberString(value))
	if pad := f.mandatory - len(digits); pad > 0 {
		padded := make([]rune, pad, pad+len(digits))
		for i := range padded {
			padded[i] = '0'
		}
		digits = append(padded, digits...)
	}
	if f.zero != '0' {
		// jsonata-js shifts every character, digits or not, into the family
		for i, r := range digits {
			digits[i] = r + f.zero - '0'
		}
	}
	if f.regular {
		sep := []rune(f.sep.ch)
		for k := (len(digits) - 1) / f.sep.pos; k > 0; k-- {
			at := len(digits) - k*f.sep.pos
			digits = insertRunes(digits, at, sep)
		}
	} else {
		// leftmost separator first, so the right-hand positions still hold
		for i := len(f.seps) - 1; i >= 0; i-- {
			at := len(digits) - f.seps[i].pos
			if at < 0 {
				at = 0
			}
			digits = insertRunes(digits, at, []rune(f.seps[i].ch))
		}
	}
	s := string(digits)
	if f.ordinal {
		s += ordinalSuffix(digits)
	}
	return s
}

// ordinalSuffix is the English suffix for a number written as digits.
func ordinalSuffix(digits []rune) string {
	n := len(digits)
	if n == 0 {
		return "th"
	}
	if n > 1 && digits[n-2] == '1' {
		return "th"
	}
	switch digits[n-1] {
	case '1':
		return "st"
	case '2':
		return "nd"
	case '3':
		return "rd"
	}
	return "th"
}

// insertRunes inserts ins into s before index at.
func insertRunes(s []rune, at int, ins []rune) []rune {
	out := make([]rune, 0, len(s)+len(ins))
	out = append(out, s[:at]...)
	out = append(out, ins...)
	return append(out, s[at:]...)
}

// decimalToLetters writes value as spreadsheet column letters from a.
func decimalToLetters(value float64, a rune) string {
	var letters []uint16
	for value > 0 {
		letters = append(letters, uint16(int64(math.Mod(value-1, 26))+int64(a)))
		value = math.Floor((value - 1) / 26)
	}
	for i, j := 0, len(letters)-1; i < j; i, j = i+1, j-1 {
		letters[i], letters[j] = letters[j], letters[i]
	}
	return string(utf16.Decode(letters))
}

// lettersToDecimal reads spreadsheet column letters counted from a, code
// unit by code unit as jsonata-js does (other characters give odd values,
// as there).
func lettersToDecimal(letters string, a rune) float64 {
	units := utf16.Encode([]rune(letters))
	decimal := 0.0
	for i := range units {
		decimal += float64(int(units[len(units)-i-1])-int(a)+1) * math.Pow(26, float64(i))
	}
	return decimal
}

var romanNumerals = [...]struct {
	value   int
	numeral string
}{
	{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"},
	{50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"},
}

// decimalToRoman writes value in lower-case roman numerals ("" for 0).
func decimalToRoman(value int) string {
	var b strings.Builder
	for _, n := range romanNumerals {
		for value >= n.value {
			b.WriteString(n.numeral)
			value -= n.value
		}
	}
	return b.String()
}

// romanToDecimal reads upper-case roman numerals; any other character makes
// the value NaN, as in jsonata-js.
func romanToDecimal(roman string) float64 {
	decimal := 0
	highest := 1
	units := utf16.Encode([]rune(roman))
	for i := len(units) - 1; i >= 0; i-- {
		var v int
		switch units[i] {
		case 'M':
			v = 1000
		case 'D':
			v = 500
		case 'C':
			v = 100
		case 'L':
			v = 50
		case 'X':
			v = 10
		case 'V':
			v = 5
		case 'I':
			v = 1
		default:
			return math.NaN()
		}
		if v < highest {
			decimal -= v
		} else {
			highest = v
			decimal += v
		}
	}
	return float64(decimal)
}

// parseInt reads s with a (non-sequence) integer picture as $parseInteger
// does: without checking that s matches the picture, so text that does not
// gives NaN (jsonata-js's answer).
func parseInt(s string, f *intPicture) (float64, error) {
	switch f.kind {
	case intLetters:
		a := 'a'
		if f.cas == caseUpper {
			a = 'A'
		}
		return lettersToDecimal(s, a), nil
	case intRoman:
		if f.cas != caseUpper {
			s = strings.ToUpper(s)
		}
		return romanToDecimal(s), nil
	case intWords:
		return wordsToNumber(strings.ToLower(s)), nil
	case intDecimal:
		digits := s
		if f.ordinal {
			r := []rune(digits)
			if len(r) >= 2 {
				digits = string(r[:len(r)-2])
			} else {
				digits = ""
			}
		}
		if f.regular {
			// jsonata-js removes commas here whatever the separator is
			digits = strings.ReplaceAll(digits, ",", "")
		} else {
			for _, sep := range f.seps {
				digits = strings.ReplaceAll(digits, sep.ch, "")
			}
		}
		if f.zero != '0' {
			r := []rune(digits)
			for i := range r {
				r[i] = r[i] - f.zero + '0'
			}
			digits = string(r)
		}
		return jsParseInt(digits), nil
	}
	return 0, newError("D3130", 0, "", f.token)
}

// jsParseInt is JavaScript's parseInt(s) in base 10: leading white space,
// a sign, then as many digits as there are; NaN without a digit.
func jsParseInt(s string) float64 {
	s = strings.TrimLeftFunc(s, isJSSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s[:end], 64)
	if err != nil { // out of range: ParseFloat still gives ±Inf
		v = math.Inf(1)
	}
	if neg {
		v = -v
	}
	return v
}

// isJSSpace is JavaScript's \s: white space and line terminators (what
// String#trim removes and parseInt skips).
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}
