package sqs

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// The response encoders below append JSON by hand for the operations on the hot path
// (SendMessageBatch, ReceiveMessage), where encoding/json's reflection costs more than the
// rest of the request.

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendKey appends "key": for a key that needs no escaping.
func appendKey(b []byte, key string) []byte {
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendMD5(b []byte, sum [16]byte) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, sum[:])
	return append(b, '"')
}

func appendBase64(b []byte, data []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, data)
	return append(b, '"')
}

// appendBatchFailure appends one entry of a batch response's Failed list.
func appendBatchFailure(b []byte, f batchFailure) []byte {
	b = append(b, '{')
	b = appendKey(b, "Id")
	b = appendString(b, f.ID)
	b = append(b, ',')
	b = appendKey(b, "SenderFault")
	b = strconv.AppendBool(b, f.SenderFault)
	b = append(b, ',')
	b = appendKey(b, "Code")
	b = appendString(b, f.Code)
	b = append(b, ',')
	b = appendKey(b, "Message")
	b = appendString(b, f.Message)
	return append(b, '}')
}

func appendFailures(b []byte, failed []batchFailure) []byte {
	b = appendKey(b, "Failed")
	b = append(b, '[')
	for i, f := range failed {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBatchFailure(b, f)
	}
	return append(b, ']')
}
