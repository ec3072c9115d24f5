package lambda

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// newRequestID returns a random version 4 UUID, the form of Lambda's request ids.
func newRequestID() string { return uuid.NewString() }

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
