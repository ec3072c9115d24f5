package sqsbatch

import "time"

// MaxVisibilityTimeout is the largest visibility timeout SQS accepts (12 hours).
const MaxVisibilityTimeout = 12 * time.Hour

// Backoff returns the visibility timeout before the next attempt of a
// record received receiveCount times: base * 2^(receiveCount-1), at most
// limit, and never more than MaxVisibilityTimeout. It is rounded down to
// whole seconds, because SQS takes seconds.
func Backoff(base time.Duration, receiveCount int, limit time.Duration) time.Duration {
	limit = min(limit, MaxVisibilityTimeout)
	if base <= 0 {
		return 0
	}
	d := base
	for i := 1; i < receiveCount && d < limit; i++ {
		d *= 2
	}
	return min(d, limit).Truncate(time.Second)
}
