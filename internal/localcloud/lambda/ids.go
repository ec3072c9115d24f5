package lambda

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"
)

// newRequestID returns a random version 4 UUID, the form of Lambda's request ids.
func newRequestID() string {
	var b [16]byte
	putUint64(b[:8], rand.Uint64())
	putUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// newTraceID returns an X-Ray trace header for a new, unsampled trace.
func newTraceID() string {
	epoch := strconv.FormatInt(time.Now().Unix(), 16)
	return "Root=1-" + epoch + "-" + randomHex(12) + ";Parent=" + randomHex(8) + ";Sampled=0"
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		putUint64(b[i:], rand.Uint64())
	}
	return hex.EncodeToString(b[:n])
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}
