package source

import (
	"fmt"
	"math/big"
	"strings"
)

// YAML numbers become exact JSON number texts. yaml.v3 resolves numbers
// loosely (underscores, 0x/0o/0b prefixes, YAML 1.1 octals such as 010); the
// text is rewritten here to the decimal form JSON accepts, and the forms
// whose meaning depends on the YAML version are refused rather than guessed.

// yamlInt converts the text of an !!int to a decimal JSON number, or returns
// why it cannot.
func yamlInt(text string) (string, string) {
	t := strings.ReplaceAll(text, "_", "")
	sign := ""
	if t != "" && (t[0] == '+' || t[0] == '-') {
		if t[0] == '-' {
			sign = "-"
		}
		t = t[1:]
	}
	base := 10
	if len(t) > 2 && t[0] == '0' {
		switch t[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
	}
	if base != 10 {
		digits := t[2:]
		if !allDigits(digits, base) {
			return "", fmt.Sprintf("%q is not an integer", text)
		}
		n, ok := new(big.Int).SetString(digits, base)
		if !ok {
			return "", fmt.Sprintf("%q is not an integer", text)
		}
		if n.Sign() == 0 {
			return "0", ""
		}
		return sign + n.String(), ""
	}
	if !allDigits(t, 10) {
		return "", fmt.Sprintf("%q is not an integer", text)
	}
	if len(t) > 1 && t[0] == '0' {
		return "", ambiguous(text, sign, t)
	}
	return sign + t, ""
}

func allDigits(s string, base int) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return false
		}
		if d >= base {
			return false
		}
	}
	return true
}

// yamlFloat converts the text of a !!float to a JSON number, or returns why
// it cannot: infinities and NaN have no JSON form.
func yamlFloat(text string) (string, string) {
	t := strings.ReplaceAll(text, "_", "")
	switch strings.ToLower(strings.TrimLeft(t, "+-")) {
	case ".inf", ".nan":
		return "", fmt.Sprintf("%s is not a number JSON can hold (no infinity or NaN)", text)
	}
	sign := ""
	rest := t
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		if rest[0] == '-' {
			sign = "-"
		}
		rest = rest[1:]
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	intPart := rest[:i]
	rest = rest[i:]
	frac, hasDot := "", false
	if rest != "" && rest[0] == '.' {
		hasDot = true
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		frac, rest = rest[1:j], rest[j:]
	}
	exp := ""
	if rest != "" && (rest[0] == 'e' || rest[0] == 'E') {
		j := 1
		if j < len(rest) && (rest[j] == '+' || rest[j] == '-') {
			j++
		}
		if !allDigits(rest[j:], 10) {
			return "", fmt.Sprintf("%q is not a number", text)
		}
		exp, rest = rest, ""
	}
	if rest != "" || (intPart == "" && frac == "") {
		// Not decimal: perhaps 0x… under an explicit !!float tag.
		if s, msg := yamlInt(text); msg == "" {
			return s, ""
		}
		return "", fmt.Sprintf("%q is not a number", text)
	}
	if !hasDot && exp == "" {
		return yamlInt(text) // an integer written as a float, e.g. 08
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := sign + intPart
	if frac != "" {
		out += "." + frac
	}
	return out + exp, ""
}

// ambiguous explains why an integer with a leading zero is refused: YAML 1.1
// reads 010 as octal 8, YAML 1.2 as decimal 10, and a reader of the file may
// expect either, or a text such as a code with leading zeros.
func ambiguous(text, sign, digits string) string {
	dec := strings.TrimLeft(digits, "0")
	if dec == "" {
		dec = "0"
	}
	alt := ""
	if allDigits(digits, 8) {
		alt = ", " + sign + "0o" + dec + " for octal,"
	}
	return fmt.Sprintf("the number %s is ambiguous (octal in YAML 1.1, decimal in YAML 1.2); write %s%s%s or quote it for a text",
		text, sign, dec, alt)
}
