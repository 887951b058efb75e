package jsonata

import (
	"math"
	"strings"
)

// $formatNumber: the XPath F&O 3.1 format-number picture (§4.7) as
// jsonata-js 2.0.6 implements it, quirks included (they are what its users
// see). Strings are handled as runes where jsonata-js uses UTF-16 code
// units; the two agree outside the supplementary planes.

// numberFormatProps are the decimal format properties, as rune strings.
type numberFormatProps struct {
	decimalSep, groupingSep, exponentSep, minusSign, percent, perMille, zeroDigit, digit, patternSep []rune
	family                                                                                           []rune // the ten digits from zeroDigit
}

// subPicture is one sub-picture split into its parts (F&O 4.7.3).
type subPicture struct {
	picture, prefix, suffix, active, mantissa, integer, fraction []rune
	exponent                                                     []rune
	hasExponent                                                  bool
}

// numberPicture is an analysed sub-picture (F&O 4.7.4).
type numberPicture struct {
	integerGroups   []int
	regularGrouping int
	minInteger      int
	scaling         int
	prefix, suffix  []rune
	fractionGroups  []int
	minFraction     int
	maxFraction     int
	minExponent     int
	picture         []rune
}

func fnFormatNumber(_ *Call, args []any) (any, error) {
	value, ok := args[0].(float64)
	if !ok {
		return Undefined, nil
	}
	picture, _ := args[1].(string)
	props, err := numberProps(args[2])
	if err != nil {
		return nil, err
	}
	return formatNumber(value, []rune(picture), props)
}

// numberProps are the default properties overridden by the options object.
func numberProps(options any) (*numberFormatProps, error) {
	p := &numberFormatProps{
		decimalSep: []rune{'.'}, groupingSep: []rune{','}, exponentSep: []rune{'e'},
		minusSign: []rune{'-'}, percent: []rune{'%'}, perMille: []rune{'\u2030'},
		zeroDigit: []rune{'0'}, digit: []rune{'#'}, patternSep: []rune{';'},
	}
	if o, ok := options.(*Object); ok {
		for _, k := range o.Keys() {
			v, _ := o.Get(k)
			s, ok := v.(string)
			if !ok {
				return nil, errorf("T0410", "The option %q of function formatNumber must be a string", k)
			}
			r := []rune(s)
			switch k {
			case "decimal-separator":
				p.decimalSep = r
			case "grouping-separator":
				p.groupingSep = r
			case "exponent-separator":
				p.exponentSep = r
			case "minus-sign":
				p.minusSign = r
			case "percent":
				p.percent = r
			case "per-mille":
				p.perMille = r
			case "zero-digit":
				p.zeroDigit = r
			case "digit":
				p.digit = r
			case "pattern-separator":
				p.patternSep = r
			}
		}
	}
	if len(p.zeroDigit) > 0 {
		p.family = make([]rune, 10)
		for i := range p.family {
			p.family[i] = p.zeroDigit[0] + rune(i)
		}
	}
	return p, nil
}

// isOne reports whether the property is exactly the character r (a
// property of several characters never equals one character).
func isOne(prop []rune, r rune) bool { return len(prop) == 1 && prop[0] == r }

func (p *numberFormatProps) inFamily(r rune) bool {
	return len(p.family) > 0 && r >= p.family[0] && r <= p.family[9]
}

func (p *numberFormatProps) isDigitOrOptional(r rune) bool {
	return p.inFamily(r) || isOne(p.digit, r)
}

// isActive reports whether r is an active character of the picture.
func (p *numberFormatProps) isActive(r rune) bool {
	return p.inFamily(r) || isOne(p.decimalSep, r) || isOne(p.exponentSep, r) ||
		isOne(p.groupingSep, r) || isOne(p.digit, r) || isOne(p.patternSep, r)
}

// runeIndex is the index of needle in s at or after from, or -1 (an empty
// needle is found at from, as in JavaScript).
func runeIndex(s, needle []rune, from int) int {
	if from < 0 {
		from = 0
	}
	for i := from; i+len(needle) <= len(s); i++ {
		if runesEqual(s[i:i+len(needle)], needle) {
			return i
		}
	}
	if len(needle) == 0 && from <= len(s) {
		return from
	}
	return -1
}

func runeLastIndex(s, needle []rune) int {
	for i := len(s) - len(needle); i >= 0; i-- {
		if runesEqual(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

func runesEqual(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// runeSplit is JavaScript's split by a string separator.
func runeSplit(s, sep []rune) [][]rune {
	if len(sep) == 0 {
		out := make([][]rune, len(s))
		for i := range s {
			out[i] = s[i : i+1]
		}
		return out
	}
	var out [][]rune
	start := 0
	for {
		i := runeIndex(s, sep, start)
		if i < 0 {
			return append(out, s[start:])
		}
		out = append(out, s[start:i])
		start = i + len(sep)
	}
}

// sub is JavaScript's substring(from, to) (arguments clamped and ordered).
func sub(s []rune, from, to int) []rune {
	from = max(0, min(from, len(s)))
	to = max(0, min(to, len(s)))
	if from > to {
		from, to = to, from
	}
	return s[from:to]
}

func formatNumber(value float64, picture []rune, p *numberFormatProps) (any, error) {
	subs := runeSplit(picture, p.patternSep)
	if len(subs) > 2 {
		return nil, newError("D3080", 0, "", nil)
	}
	parts := make([]*subPicture, len(subs))
	for i, s := range subs {
		sp, err := p.split(s)
		if err != nil {
			return nil, err
		}
		parts[i] = sp
	}
	for _, sp := range parts {
		if err := p.validate(sp); err != nil {
			return nil, err
		}
	}
	pics := make([]*numberPicture, 0, 2)
	for _, sp := range parts {
		pics = append(pics, p.analyse(sp))
	}
	if len(pics) == 1 {
		neg := *pics[0]
		neg.prefix = append(append([]rune{}, p.minusSign...), neg.prefix...)
		pics = append(pics, &neg)
	}
	pic := pics[0]
	if value < 0 {
		pic = pics[1]
	}
	// bullet 3: percent and per-mille scale the number
	adjusted := value
	if runeIndex(pic.picture, p.percent, 0) >= 0 {
		adjusted = value * 100
	} else if runeIndex(pic.picture, p.perMille, 0) >= 0 {
		adjusted = value * 1000
	}
	// bullet 5: the mantissa and exponent
	mantissa := adjusted
	hasExponent := pic.minExponent != 0
	exponent := 0
	if hasExponent && adjusted != 0 && !math.IsInf(adjusted, 0) && !math.IsNaN(adjusted) {
		// jsonata-js loops forever on zero and on a negative number here;
		// the magnitude is scaled instead, and zero keeps exponent 0
		maxMantissa := math.Pow(10, float64(pic.scaling))
		minMantissa := math.Pow(10, float64(pic.scaling-1))
		sign := 1.0
		if mantissa < 0 {
			sign, mantissa = -1, -mantissa
		}
		for mantissa < minMantissa {
			mantissa *= 10
			exponent--
		}
		for mantissa > maxMantissa {
			mantissa /= 10
			exponent++
		}
		mantissa *= sign
	}
	// bullet 6
	rounded := roundHalfEven(mantissa, pic.maxFraction)
	// bullet 7
	str := p.digitsOf(math.Abs(rounded), pic.maxFraction)
	if dot := runeIndex(str, []rune{'.'}, 0); dot < 0 {
		str = append(str, p.decimalSep...)
	} else {
		str = append(append(append([]rune{}, str[:dot]...), p.decimalSep...), str[dot+1:]...)
	}
	if len(p.zeroDigit) == 1 {
		z := p.zeroDigit[0]
		for len(str) > 0 && str[0] == z {
			str = str[1:]
		}
		for len(str) > 0 && str[len(str)-1] == z {
			str = str[:len(str)-1]
		}
	}
	// bullets 8 and 9: pad to the minimum sizes
	dec := runeIndex(str, p.decimalSep, 0)
	padLeft := pic.minInteger - dec
	padRight := pic.minFraction - (len(str) - dec - 1)
	if padLeft > 0 {
		str = append(repeatRunes(p.zeroDigit, padLeft), str...)
	}
	if padRight > 0 {
		str = append(str, repeatRunes(p.zeroDigit, padRight)...)
	}
	// bullet 10: grouping in the integer part
	dec = runeIndex(str, p.decimalSep, 0)
	if pic.regularGrouping > 0 {
		groups := (dec - 1) / pic.regularGrouping
		for g := 1; g <= groups; g++ {
			at := dec - g*pic.regularGrouping
			str = insertRunes(str, clampIndex(at, len(str)), p.groupingSep)
		}
	} else {
		for _, pos := range pic.integerGroups {
			str = insertRunes(str, clampIndex(dec-pos, len(str)), p.groupingSep)
			dec++
		}
	}
	// bullet 11: grouping in the fractional part
	dec = runeIndex(str, p.decimalSep, 0)
	for _, pos := range pic.fractionGroups {
		str = insertRunes(str, clampIndex(pos+dec+1, len(str)), p.groupingSep)
	}
	// bullet 12: no decimal separator without a fraction
	dec = runeIndex(str, p.decimalSep, 0)
	if runeIndex(pic.picture, p.decimalSep, 0) < 0 || dec == len(str)-1 {
		if len(str) > 0 {
			str = str[:len(str)-1]
		}
	}
	// bullet 13: the exponent
	if hasExponent {
		exp := p.digitsOf(math.Abs(float64(exponent)), 0)
		if pad := pic.minExponent - len(exp); pad > 0 {
			exp = append(repeatRunes(p.zeroDigit, pad), exp...)
		}
		str = append(str, p.exponentSep...)
		if exponent < 0 {
			str = append(str, p.minusSign...)
		}
		str = append(str, exp...)
	}
	var b strings.Builder
	b.WriteString(string(pic.prefix))
	b.WriteString(string(str))
	b.WriteString(string(pic.suffix))
	return b.String(), nil
}

// clampIndex keeps a slice position in range, where JavaScript's slice
// would clamp (or count a negative one from the end).
func clampIndex(at, n int) int {
	if at < 0 {
		at += n
		if at < 0 {
			at = 0
		}
	}
	if at > n {
		at = n
	}
	return at
}

func repeatRunes(r []rune, n int) []rune {
	out := make([]rune, 0, len(r)*n)
	for i := 0; i < n; i++ {
		out = append(out, r...)
	}
	return out
}

// digitsOf is toFixed(dp) of a non-negative number, its ASCII digits
// replaced by the digit family.
func (p *numberFormatProps) digitsOf(v float64, dp int) []rune {
	s := []rune(jsToFixed(v, dp))
	if !isOne(p.zeroDigit, '0') {
		for i, r := range s {
			if r >= '0' && r <= '9' {
				if p.family != nil {
					s[i] = p.family[r-'0']
				}
			}
		}
	}
	return s
}

// split divides a sub-picture into prefix, active part and suffix, and the
// active part into mantissa and exponent, integer and fraction.
func (p *numberFormatProps) split(s []rune) (*subPicture, error) {
	sp := &subPicture{picture: s}
	prefixEnd, suffixStart := -1, -1
	for i, r := range s {
		if p.isActive(r) && !isOne(p.exponentSep, r) {
			prefixEnd = i
			break
		}
	}
	for i := len(s) - 1; i >= 0; i-- {
		if p.isActive(s[i]) && !isOne(p.exponentSep, s[i]) {
			suffixStart = i + 1
			break
		}
	}
	if prefixEnd < 0 {
		// jsonata-js fails with a TypeError on a picture without a digit
		return nil, newError("D3085", 0, "", nil)
	}
	sp.prefix = s[:prefixEnd]
	sp.suffix = s[suffixStart:]
	sp.active = sub(s, len(sp.prefix), len(s)-len(sp.suffix))
	expPos := runeIndex(s, p.exponentSep, len(sp.prefix))
	if expPos == -1 || expPos > len(s)-len(sp.suffix) {
		sp.mantissa = sp.active
	} else {
		// as jsonata-js: a position in the sub-picture applied to the active part
		sp.mantissa = sub(sp.active, 0, expPos)
		sp.exponent = sub(sp.active, expPos+1, len(sp.active))
		sp.hasExponent = true
	}
	if dec := runeIndex(sp.mantissa, p.decimalSep, 0); dec == -1 {
		sp.integer = sp.mantissa
		sp.fraction = sp.suffix
	} else {
		sp.integer = sub(sp.mantissa, 0, dec)
		sp.fraction = sub(sp.mantissa, dec+1, len(sp.mantissa))
	}
	return sp, nil
}

// validate checks a sub-picture (F&O 4.7.3); like jsonata-js it reports the
// last rule broken.
func (p *numberFormatProps) validate(sp *subPicture) error {
	code := ""
	s := sp.picture
	dec := runeIndex(s, p.decimalSep, 0)
	if dec != runeLastIndex(s, p.decimalSep) {
		code = "D3081"
	}
	pct := runeIndex(s, p.percent, 0)
	if pct != runeLastIndex(s, p.percent) {
		code = "D3082"
	}
	pm := runeIndex(s, p.perMille, 0)
	if pm != runeLastIndex(s, p.perMille) {
		code = "D3083"
	}
	if pct != -1 && pm != -1 {
		code = "D3084"
	}
	valid := false
	for _, r := range sp.mantissa {
		if p.isDigitOrOptional(r) {
			valid = true
			break
		}
	}
	if !valid {
		code = "D3085"
	}
	for _, r := range sp.active {
		if !p.isActive(r) {
			code = "D3086"
			break
		}
	}
	if dec != -1 {
		before := dec - 1
		if (before >= 0 && isOne(p.groupingSep, s[before])) || (dec+1 < len(s) && isOne(p.groupingSep, s[dec+1])) {
			code = "D3087"
		}
	} else if n := len(sp.integer); n > 0 && isOne(p.groupingSep, sp.integer[n-1]) {
		code = "D3088"
	}
	if runeIndex(s, append(append([]rune{}, p.groupingSep...), p.groupingSep...), 0) != -1 {
		code = "D3089"
	}
	if opt := runeIndex(sp.integer, p.digit, 0); opt != -1 {
		for _, r := range sp.integer[:opt] {
			if p.inFamily(r) {
				code = "D3090"
				break
			}
		}
	}
	if opt := runeLastIndex(sp.fraction, p.digit); opt != -1 {
		for _, r := range sp.fraction[opt:] {
			if p.inFamily(r) {
				code = "D3091"
				break
			}
		}
	}
	if sp.hasExponent && len(sp.exponent) > 0 && (pct != -1 || pm != -1) {
		code = "D3092"
	}
	if sp.hasExponent {
		bad := len(sp.exponent) == 0
		for _, r := range sp.exponent {
			if !p.inFamily(r) {
				bad = true
				break
			}
		}
		if bad {
			code = "D3093"
		}
	}
	if code != "" {
		return newError(code, 0, "", nil)
	}
	return nil
}

// groupingPositions are the digit counts beside each grouping separator of
// part: to its right, or (toLeft) to its left. As in jsonata-js, separators
// after the first are looked for in the integer part.
func (p *numberFormatProps) groupingPositions(part, integer []rune, toLeft bool) []int {
	var positions []int
	pos := runeIndex(part, p.groupingSep, 0)
	for pos != -1 && pos <= len(part) {
		var side []rune
		if toLeft {
			side = part[:pos]
		} else {
			side = part[pos:]
		}
		n := 0
		for _, r := range side {
			if p.isDigitOrOptional(r) {
				n++
			}
		}
		positions = append(positions, n)
		if len(p.groupingSep) == 0 {
			break // an empty separator is found everywhere
		}
		pos = runeIndex(integer, p.groupingSep, pos+1)
	}
	return positions
}

// analyse works out a sub-picture's variables (F&O 4.7.4).
func (p *numberFormatProps) analyse(sp *subPicture) *numberPicture {
	np := &numberPicture{prefix: sp.prefix, suffix: sp.suffix, picture: sp.picture}
	np.integerGroups = p.groupingPositions(sp.integer, sp.integer, false)
	np.regularGrouping = regularPositions(np.integerGroups)
	np.fractionGroups = p.groupingPositions(sp.fraction, sp.integer, true)
	for _, r := range sp.integer {
		if p.inFamily(r) {
			np.minInteger++
		}
	}
	np.scaling = np.minInteger
	for _, r := range sp.fraction {
		if p.inFamily(r) {
			np.minFraction++
		}
		if p.isDigitOrOptional(r) {
			np.maxFraction++
		}
	}
	if np.minInteger == 0 && np.maxFraction == 0 {
		if sp.hasExponent {
			np.minFraction, np.maxFraction = 1, 1
		} else {
			np.minInteger = 1
		}
	}
	if sp.hasExponent && np.minInteger == 0 && runeIndex(sp.integer, p.digit, 0) != -1 {
		np.minInteger = 1
	}
	if np.minInteger == 0 && np.minFraction == 0 {
		np.minFraction = 1
	}
	if sp.hasExponent {
		for _, r := range sp.exponent {
			if p.inFamily(r) {
				np.minExponent++
			}
		}
	}
	return np
}
