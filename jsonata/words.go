package jsonata

import (
	"math"
	"strings"
)

// Numbers in English words, as jsonata-js 2.0.6 writes and reads them
// ("three thousand, seven hundred and thirty-first").

var (
	wordsFew = [...]string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
		"Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	wordsOrdinals = [...]string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
		"Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	wordsDecades    = [...]string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
	wordsMagnitudes = [...]string{"Thousand", "Million", "Billion", "Trillion"}
)

// wordValues maps each lower-case number word to its value; wordKeys lists
// them in the order jsonata-js's date parsing tries them (which decides
// what its word pattern matches). Both are built once and never changed.
var wordValues, wordKeys = buildWordValues()

func buildWordValues() (map[string]float64, []string) {
	values := map[string]float64{}
	var keys []string
	set := func(k string, v float64) {
		if _, ok := values[k]; !ok {
			keys = append(keys, k)
		}
		values[k] = v
	}
	for i, w := range wordsFew {
		set(strings.ToLower(w), float64(i))
	}
	for i, w := range wordsOrdinals {
		set(strings.ToLower(w), float64(i))
	}
	for i, w := range wordsDecades {
		lw := strings.ToLower(w)
		set(lw, float64((i+2)*10))
		// "twenty" -> "twentieth" (and, as in jsonata-js, "hundred" -> "hundreieth")
		set(lw[:len(lw)-1]+"ieth", float64((i+2)*10))
	}
	set("hundredth", 100)
	for i, w := range wordsMagnitudes {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		set(lw, v)
		set(lw+"th", v)
	}
	return values, keys
}

// numberToWords writes a non-negative integer in title-case English words.
func numberToWords(value float64, ordinal bool) string {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return jsNumberString(value) // jsonata-js recurses without end here
	}
	var b strings.Builder
	writeWords(&b, value, false, ordinal)
	return b.String()
}

// writeWords writes num; prev says words come before it (so it is joined
// with " and " or ", ").
func writeWords(b *strings.Builder, num float64, prev, ordinal bool) {
	switch {
	case num <= 19:
		if prev {
			b.WriteString(" and ")
		}
		if ordinal {
			b.WriteString(wordsOrdinals[int(num)])
		} else {
			b.WriteString(wordsFew[int(num)])
		}
	case num < 100:
		tens := int(num / 10)
		remainder := math.Mod(num, 10)
		if prev {
			b.WriteString(" and ")
		}
		decade := wordsDecades[tens-2]
		if remainder > 0 {
			b.WriteString(decade)
			b.WriteByte('-')
			writeWords(b, remainder, false, ordinal)
		} else if ordinal {
			b.WriteString(decade[:len(decade)-1])
			b.WriteString("ieth")
		} else {
			b.WriteString(decade)
		}
	case num < 1000:
		if prev {
			b.WriteString(", ")
		}
		b.WriteString(wordsFew[int(num/100)])
		b.WriteString(" Hundred")
		if remainder := math.Mod(num, 100); remainder > 0 {
			writeWords(b, remainder, true, ordinal)
		} else if ordinal {
			b.WriteString("th")
		}
	default:
		// the magnitude is floor(log10(num)/3), capped at trillions (the
		// largest word): counted exactly rather than through a logarithm
		mag := 0
		for mag < len(wordsMagnitudes) && num >= math.Pow(10, float64((mag+1)*3)) {
			mag++
		}
		factor := math.Pow(10, float64(mag*3))
		mant := math.Floor(num / factor)
		remainder := num - mant*factor
		if prev {
			b.WriteString(", ")
		}
		writeWords(b, mant, false, false)
		b.WriteByte(' ')
		b.WriteString(wordsMagnitudes[mag-1])
		if remainder > 0 {
			writeWords(b, remainder, true, ordinal)
		} else if ordinal {
			b.WriteString("th")
		}
	}
}

// wordsToNumber reads lower-case English number words; an unknown word
// makes the value NaN, as in jsonata-js.
func wordsToNumber(text string) float64 {
	segs := []float64{0}
	for _, part := range splitNumberWords(text) {
		value, ok := wordValues[part]
		if !ok {
			return math.NaN()
		}
		top := segs[len(segs)-1]
		segs = segs[:len(segs)-1]
		if value < 100 {
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+value)
		} else {
			segs = append(segs, top*value)
		}
	}
	sum := 0.0
	for _, s := range segs {
		sum += s
	}
	return sum
}

// splitNumberWords splits text at ", ", " and ", a white space, '\' or
// '-' (one separator each, so two in a row leave an empty word between).
func splitNumberWords(text string) []string {
	var parts []string
	start := 0
	r := []rune(text)
	i := 0
	for i < len(r) {
		n := 0
		switch {
		case r[i] == ',' && i+1 < len(r) && isJSSpace(r[i+1]):
			n = 2
		case isJSSpace(r[i]) && i+4 < len(r) && r[i+1] == 'a' && r[i+2] == 'n' && r[i+3] == 'd' && isJSSpace(r[i+4]):
			n = 5
		case isJSSpace(r[i]) || r[i] == '\\' || r[i] == '-':
			n = 1
		}
		if n == 0 {
			i++
			continue
		}
		parts = append(parts, string(r[start:i]))
		i += n
		start = i
	}
	return append(parts, string(r[start:]))
}
