package sqs

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonDecoder reads the request bodies of the operations on the hot path (SendMessage,
// SendMessageBatch, ReceiveMessage, DeleteMessage, DeleteMessageBatch) without reflection.
// It follows encoding/json where the two can differ: invalid UTF-8 and unpaired surrogates
// become U+FFFD, null leaves a field unset, integers reject fractions and exponents, and
// data after the top-level value is an error. Unlike encoding/json it matches keys exactly,
// as SQS does. FuzzDecoderMatchesEncodingJSON compares the two.
type jsonDecoder struct {
	data  []byte
	pos   int
	depth int
}

// maxJSONDepth bounds the nesting of values that the decoder skips, so a deeply nested
// request cannot exhaust the stack.
const maxJSONDepth = 64

var errJSONSyntax = errors.New("invalid JSON")

func (d *jsonDecoder) syntaxError(what string) error {
	return fmt.Errorf("%w: %s at offset %d", errJSONSyntax, what, d.pos)
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (d *jsonDecoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// end checks that nothing but space follows the top-level value.
func (d *jsonDecoder) end() error {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.syntaxError("data after the top-level value")
	}
	return nil
}

// null consumes a null and reports whether there was one.
func (d *jsonDecoder) null() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	if len(d.data)-d.pos < 4 || string(d.data[d.pos:d.pos+4]) != "null" {
		return false, d.syntaxError("invalid literal")
	}
	d.pos += 4
	return true, nil
}

// object calls field for each key of an object; field must consume the value. A null object
// calls nothing.
func (d *jsonDecoder) object(field func(key string) error) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	if d.peek() != '{' {
		return d.syntaxError("expected an object")
	}
	d.pos++
	if d.depth++; d.depth > maxJSONDepth {
		return d.syntaxError("nesting too deep")
	}
	defer func() { d.depth-- }()
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.syntaxError("expected a key")
		}
		key, err := d.rawString()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.syntaxError("expected a colon")
		}
		d.pos++
		if err := field(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.syntaxError("expected a comma or the end of the object")
		}
	}
}

// array calls elem for each element of an array; elem must consume it. A null array calls
// nothing.
func (d *jsonDecoder) array(elem func() error) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	if d.peek() != '[' {
		return d.syntaxError("expected an array")
	}
	d.pos++
	if d.depth++; d.depth > maxJSONDepth {
		return d.syntaxError("nesting too deep")
	}
	defer func() { d.depth-- }()
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.syntaxError("expected a comma or the end of the array")
		}
	}
}

// stringField decodes a string into *dst; null leaves it unchanged.
func (d *jsonDecoder) stringField(dst *string) error {
	if isNull, err := d.null(); isNull || err != nil {
		return err
	}
	if d.peek() != '"' {
		return d.syntaxError("expected a string")
	}
	s, err := d.rawString()
	if err != nil {
		return err
	}
	*dst = s
	return nil
}

// optionalString decodes a string into a new *string; null sets *dst to nil.
func (d *jsonDecoder) optionalString(dst **string) error {
	if isNull, err := d.null(); isNull || err != nil {
		if isNull {
			*dst = nil
		}
		return err
	}
	var s string
	if err := d.stringField(&s); err != nil {
		return err
	}
	*dst = &s
	return nil
}

// optionalInt decodes an integer into a new *int64; null sets *dst to nil.
func (d *jsonDecoder) optionalInt(dst **int64) error {
	if isNull, err := d.null(); isNull || err != nil {
		if isNull {
			*dst = nil
		}
		return err
	}
	d.skipSpace()
	start := d.pos
	if err := d.skipNumber(); err != nil {
		return err
	}
	v, err := strconv.ParseInt(string(d.data[start:d.pos]), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not an integer", errJSONSyntax, d.data[start:d.pos])
	}
	*dst = &v
	return nil
}

// base64Field decodes a base64 string into bytes, as encoding/json does for []byte; null
// sets *dst to nil.
func (d *jsonDecoder) base64Field(dst *[]byte) error {
	if isNull, err := d.null(); isNull || err != nil {
		if isNull {
			*dst = nil
		}
		return err
	}
	var s string
	if err := d.stringField(&s); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: invalid base64: %v", errJSONSyntax, err)
	}
	*dst = b
	return nil
}

// stringList decodes an array of strings; null sets *dst to nil.
func (d *jsonDecoder) stringList(dst *[]string) error {
	if isNull, err := d.null(); isNull || err != nil {
		if isNull {
			*dst = nil
		}
		return err
	}
	list := []string{}
	err := d.array(func() error {
		var s string
		if err := d.stringField(&s); err != nil {
			return err
		}
		list = append(list, s)
		return nil
	})
	if err == nil {
		*dst = list
	}
	return err
}

// rawString decodes the string at d.pos, which starts with a quote.
func (d *jsonDecoder) rawString() (string, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: no escapes, only ASCII or valid UTF-8.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			return string(s), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		d.pos++
	}
	buf := make([]byte, 0, d.pos-start+16)
	buf = append(buf, d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.syntaxError("control character in a string")
		case c == '\\':
			var err error
			if buf, err = d.escape(buf); err != nil {
				return "", err
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			buf = utf8.AppendRune(buf, r) // RuneError for invalid UTF-8, as encoding/json
			d.pos += size
		}
	}
	return "", d.syntaxError("unterminated string")
}

// escape decodes the escape sequence at d.pos and appends it to buf.
func (d *jsonDecoder) escape(buf []byte) ([]byte, error) {
	if d.pos+1 >= len(d.data) {
		return nil, d.syntaxError("unterminated escape")
	}
	c := d.data[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := d.hex4()
		if !ok {
			return nil, d.syntaxError("invalid \\u escape")
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate followed by an escaped low one is one character. Any other
			// surrogate becomes loneSurrogate, which the message checks reject as SQS does.
			if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
				save := d.pos
				d.pos += 2
				if r2, ok := d.hex4(); ok {
					if combined := utf16.DecodeRune(r, r2); combined != utf8.RuneError {
						return utf8.AppendRune(buf, combined), nil
					}
				}
				d.pos = save
			}
			r = loneSurrogate
		}
		return utf8.AppendRune(buf, r), nil
	}
	return nil, d.syntaxError("invalid escape")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	d.pos += 4
	return r, true
}

// skipNumber consumes a JSON number.
func (d *jsonDecoder) skipNumber() error {
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	intStart := d.pos
	if n := digits(); n == 0 || n > 1 && d.data[intStart] == '0' {
		d.pos = start
		return d.syntaxError("invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return d.syntaxError("invalid number")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return d.syntaxError("invalid number")
		}
	}
	return nil
}

// skip consumes any value.
func (d *jsonDecoder) skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	case c == '[':
		return d.array(d.skip)
	case c == '"':
		_, err := d.rawString()
		return err
	case c == '-' || '0' <= c && c <= '9':
		return d.skipNumber()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
				d.pos += len(lit)
				return nil
			}
		}
		return d.syntaxError("invalid value")
	}
}

// wireAttributes decodes a map of message attributes into *dst, adding to a map that is
// already there as encoding/json does; null sets *dst to nil.
func (d *jsonDecoder) wireAttributes(dst *map[string]wireAttribute) error {
	if isNull, err := d.null(); isNull || err != nil {
		if isNull {
			*dst = nil
		}
		return err
	}
	m := *dst
	if m == nil {
		m = map[string]wireAttribute{}
	}
	err := d.object(func(name string) error {
		var a wireAttribute
		if isNull, err := d.null(); isNull || err != nil {
			m[name] = a
			return err
		}
		err := d.object(func(key string) error {
			switch key {
			case "DataType":
				return d.stringField(&a.DataType)
			case "StringValue":
				return d.optionalString(&a.StringValue)
			case "BinaryValue":
				return d.base64Field(&a.BinaryValue)
			case "StringListValues":
				return d.stringList(&a.StringListValues)
			case "BinaryListValues":
				if isNull, err := d.null(); isNull || err != nil {
					if isNull {
						a.BinaryListValues = nil
					}
					return err
				}
				list := [][]byte{}
				err := d.array(func() error {
					var b []byte
					if err := d.base64Field(&b); err != nil {
						return err
					}
					list = append(list, b)
					return nil
				})
				a.BinaryListValues = list
				return err
			}
			return d.skip()
		})
		m[name] = a
		return err
	})
	if err == nil {
		*dst = m
	}
	return err
}

// loneSurrogate replaces an escaped UTF-16 surrogate that is not half of a pair, such as
// "\ud800". SQS allows no character in #xD800-#xDFFF, and encoding/json would turn it
// into U+FFFD, which SQS allows; U+FFFF is outside SQS's allowed characters too, so a body
// or attribute value that contains one is rejected with InvalidMessageContents.
const loneSurrogate = '\uFFFF'
