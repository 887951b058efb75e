package itemio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// errItemTooLarge is what the window reader answers once an item has read
// its allowance.
var errItemTooLarge = errors.New("item too large")

// window is a reader that lets the parser read at most limit bytes from
// the start of the stream: each item moves the limit to its own start plus
// MaxItemBytes, so that one huge item cannot take the memory that a 10 GB
// object's items never take together.
type window struct {
	r          io.Reader
	pos, limit int64
}

func (w *window) Read(p []byte) (int, error) {
	if w.pos >= w.limit {
		return 0, errItemTooLarge
	}
	if int64(len(p)) > w.limit-w.pos {
		p = p[:w.limit-w.pos]
	}
	n, err := w.r.Read(p)
	w.pos += int64(n)
	return n, err
}

// jsonArray streams the elements of a top-level JSON array with
// encoding/json's token API: one element is decoded at a time.
type jsonArray struct {
	dec     *json.Decoder
	w       *window
	source  string
	maxItem int
	n       int // elements given
	ended   bool
}

// slack is what an element's allowance adds for the separators and
// whitespace around it.
const slack = 64 << 10

func newJSONArray(r io.Reader, source string, maxItem int) (*jsonArray, error) {
	w := &window{r: r, limit: int64(maxItem) + slack}
	a := &jsonArray{dec: json.NewDecoder(w), w: w, source: source, maxItem: maxItem}
	a.dec.UseNumber() // a top-level 1E700 is a non-iterable node, not a float64 overflow
	tok, err := a.dec.Token()
	switch {
	case err == io.EOF:
		return nil, failure.Newf(failure.ItemReaderFailed, "%s is empty, not a JSON array", source)
	case err != nil:
		return nil, a.fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		// AWS's words for an object or a scalar (R3).
		return nil, failure.New(failure.ItemReaderFailed, "Attempting to map over non-iterable node.")
	}
	return a, nil
}

// fail words an error of the decoder: a syntax error or a truncated
// document is the object's fault, anything else the read's.
func (a *jsonArray) fail(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, errItemTooLarge):
		return failure.Newf(failure.ItemReaderFailed, "item %d of %s is larger than %d bytes", a.n, a.source, a.maxItem)
	case errors.As(err, &syn):
		return failure.Newf(failure.ItemReaderFailed, "%s is not valid JSON at byte %d: %s", a.source, syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return failure.Newf(failure.ItemReaderFailed, "%s ends inside its JSON array (item %d)", a.source, a.n)
	}
	return err
}

func (a *jsonArray) next(context.Context) (value.Value, bool, error) {
	if a.ended {
		return nil, false, nil
	}
	// The allowance starts where the previous element ended; More itself
	// may read the next element's first bytes.
	// Bytes the decoder read ahead count against it: an element that needs
	// more than that is too large anyway.
	a.w.limit = a.dec.InputOffset() + int64(a.maxItem) + slack
	if !a.dec.More() {
		if _, err := a.dec.Token(); err != nil { // the closing ]
			return nil, false, a.fail(err)
		}
		if _, err := a.dec.Token(); err != io.EOF {
			if err == nil {
				return nil, false, failure.Newf(failure.ItemReaderFailed, "%s holds more data after its JSON array", a.source)
			}
			return nil, false, a.fail(err)
		}
		a.ended = true
		return nil, false, nil
	}
	var raw json.RawMessage
	if err := a.dec.Decode(&raw); err != nil {
		return nil, false, a.fail(err)
	}
	v, err := value.Decode(raw)
	if err != nil {
		return nil, false, failure.Newf(failure.ItemReaderFailed, "item %d of %s: %v", a.n, a.source, err)
	}
	a.n++
	return v, true, nil
}

// lineReader reads lines of at most max bytes, without their end of line.
type lineReader struct {
	r    *bufio.Reader
	max  int
	buf  []byte
	line int // lines read
}

// errLineTooLong is returned by lineReader.next past max bytes.
var errLineTooLong = errors.New("line too long")

// next returns the next line (valid until the next call); io.EOF at the
// end. A last line without its newline is a line.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(l.buf)+len(chunk) > l.max+2 { // the +2: "\r\n" is no content
			return nil, errLineTooLong
		}
		l.buf = append(l.buf, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(l.buf) > 0:
			l.line++
			return l.buf, nil
		case err != nil:
			return nil, err
		}
		l.line++
		return bytes.TrimSuffix(bytes.TrimSuffix(l.buf, []byte("\n")), []byte("\r")), nil
	}
}

// jsonLines is the items of a JSON Lines object: one JSON value a line;
// blank lines are skipped.
type jsonLines struct {
	lines  lineReader
	source string
}

func newJSONLines(r io.Reader, source string, maxItem int) *jsonLines {
	return &jsonLines{lines: lineReader{r: bufio.NewReaderSize(r, 64<<10), max: maxItem}, source: source}
}

func (j *jsonLines) next(context.Context) (value.Value, bool, error) {
	for {
		line, err := j.lines.next()
		switch {
		case err == io.EOF:
			return nil, false, nil
		case errors.Is(err, errLineTooLong):
			return nil, false, failure.Newf(failure.ItemReaderFailed, "line %d of %s is larger than %d bytes", j.lines.line+1, j.source, j.lines.max)
		case err != nil:
			return nil, false, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		v, err := value.Decode(line)
		if err != nil {
			return nil, false, failure.Newf(failure.ItemReaderFailed, "line %d of %s is not a JSON value: %v", j.lines.line, j.source, err)
		}
		return v, true, nil
	}
}

// csvItems is the items of a text delimited object: one object per record,
// keyed by the header row (FIRST_ROW) or the given headers (GIVEN).
type csvItems struct {
	rec     csvReader
	headers []string
	source  string
	started bool
}

func newCSVItems(r io.Reader, source string, delim byte, headers []string, maxItem int) *csvItems {
	return &csvItems{
		rec:     csvReader{r: bufio.NewReaderSize(r, 64<<10), delim: delim, max: maxItem},
		headers: headers, source: source,
	}
}

func (c *csvItems) next(context.Context) (value.Value, bool, error) {
	if !c.started && c.headers == nil {
		c.started = true
		max := c.rec.max
		c.rec.max = MaxCSVHeaderBytes
		h, err := c.rec.record()
		c.rec.max = max
		switch {
		case err == io.EOF:
			return nil, false, nil
		case errors.Is(err, errItemTooLarge):
			return nil, false, failure.Newf(failure.ItemReaderFailed, "the CSV header row of %s is larger than %d bytes", c.source, MaxCSVHeaderBytes)
		case err != nil:
			return nil, false, c.fail(err)
		}
		if ferr := checkHeaders(h); ferr != nil {
			return nil, false, ferr
		}
		c.headers = h
	}
	fields, err := c.rec.record()
	if err == io.EOF {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, c.fail(err)
	}
	o := value.NewObject(len(c.headers))
	for i, h := range c.headers {
		f := ""
		if i < len(fields) {
			f = fields[i]
		}
		o.Set(h, f)
	}
	return o, true, nil
}

func (c *csvItems) fail(err error) error {
	switch {
	case errors.Is(err, errItemTooLarge):
		return failure.Newf(failure.ItemReaderFailed, "record %d of %s is larger than %d bytes", c.rec.records+1, c.source, c.rec.max)
	case errors.Is(err, errUnterminated):
		return failure.Newf(failure.ItemReaderFailed, "record %d of %s has a quoted field that is never closed", c.rec.records+1, c.source)
	}
	return err
}

var errUnterminated = errors.New("unterminated quoted field")

// csvReader reads the records of a text delimited file as the Developer
// Guide's parsing rules say: fields are strings, split by the delimiter;
// records end at a newline ("\n" or "\r\n") outside double quotes; a field
// that starts with a double quote may hold delimiters and newlines, and ""
// inside it is one quote; a backslash keeps the backslash, double quote or
// delimiter that follows it, and is dropped before any other character.
// Empty lines are no records (which is also why the final newline makes no
// item); a line of spaces is one (R4).
type csvReader struct {
	r       *bufio.Reader
	delim   byte
	max     int // bytes in one record
	records int // records read
	field   []byte
}

func (c *csvReader) record() ([]string, error) {
	var fields []string
	c.field = c.field[:0]
	n := 0             // bytes of this record
	quoted := false    // inside a quoted field
	fieldStart := true // nothing read into this field yet
	end := func() {
		fields = append(fields, string(c.field))
		c.field = c.field[:0]
		fieldStart = true
	}
	for {
		b, err := c.r.ReadByte()
		if err == io.EOF {
			if quoted {
				return nil, errUnterminated
			}
			if n == 0 {
				return nil, io.EOF
			}
			end()
			c.records++
			return fields, nil
		}
		if err != nil {
			return nil, err
		}
		if n++; n > c.max {
			return nil, errItemTooLarge
		}
		if quoted {
			switch b {
			case '"':
				if next, err := c.r.Peek(1); err == nil && next[0] == '"' {
					c.r.ReadByte()
					n++
					c.field = append(c.field, '"')
				} else {
					quoted = false
				}
			case '\\':
				n += c.escape()
			default:
				c.field = append(c.field, b)
			}
			continue
		}
		switch b {
		case c.delim:
			end()
			continue
		case '\r':
			if next, err := c.r.Peek(1); err != nil || next[0] != '\n' {
				c.field = append(c.field, b)
				break
			}
			c.r.ReadByte()
			n++
			fallthrough
		case '\n':
			if len(fields) == 0 && fieldStart && n <= 2 && len(c.field) == 0 {
				n = 0 // an empty line: no record
				continue
			}
			end()
			c.records++
			return fields, nil
		case '"':
			if fieldStart {
				quoted = true
				fieldStart = false
				continue
			}
			c.field = append(c.field, b)
		case '\\':
			n += c.escape()
		default:
			c.field = append(c.field, b)
		}
		fieldStart = false
	}
}

// escape handles what follows a backslash and returns the bytes it took.
func (c *csvReader) escape() int {
	next, err := c.r.ReadByte()
	if err != nil {
		return 0 // a backslash at the end of the data is dropped
	}
	if next == '\\' || next == '"' || next == c.delim {
		c.field = append(c.field, next)
		return 1
	}
	c.r.UnreadByte() // the backslash is dropped; the byte is read as usual
	return 0
}

// objectItem is one listObjectsV2 item as AWS shapes it (ItemReader docs):
// {"Etag": "\"<md5>\"", "Key", "LastModified": <Unix seconds>, "Size",
// "StorageClass"}.
func objectItem(etag, key *string, modified *time.Time, size *int64, class string) value.Value {
	o := value.NewObject(5)
	o.Set("Etag", deref(etag))
	o.Set("Key", deref(key))
	var unix int64
	if modified != nil {
		unix = modified.Unix()
	}
	o.Set("LastModified", value.Int(unix))
	var sz int64
	if size != nil {
		sz = *size
	}
	o.Set("Size", value.Int(sz))
	if class == "" {
		class = "STANDARD" // stores that leave it out keep one class
	}
	o.Set("StorageClass", class)
	return o
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
