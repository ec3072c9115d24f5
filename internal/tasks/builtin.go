package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxSleep bounds the sleep task's input: the longest a Lambda function runs.
const MaxSleep = 15 * time.Minute

// Checksum returns the SHA-256 of the input as lowercase hex.
func Checksum(_ context.Context, req Request) (string, error) {
	sum := sha256.Sum256([]byte(req.Input))
	return hex.EncodeToString(sum[:]), nil
}

// WordCount returns the number of words in the input: runs of characters
// separated by Unicode white space.
func WordCount(_ context.Context, req Request) (string, error) {
	return strconv.Itoa(len(strings.Fields(req.Input))), nil
}

// Sleep waits for the duration in the input, a Go duration ("1m30s") or a
// number of seconds ("90", "1.5"), at most MaxSleep. It simulates jobs
// that take minutes. When ctx ends first it returns a retryable error.
func Sleep(ctx context.Context, req Request) (string, error) {
	d, err := parseSleep(strings.TrimSpace(req.Input))
	if err != nil {
		return "", err
	}

	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return "slept " + d.String(), nil
	case <-ctx.Done():
		return "", Retryable(fmt.Errorf("sleep %s stopped early: %w", d, context.Cause(ctx)))
	}
}

func parseSleep(input string) (time.Duration, error) {
	d, err := time.ParseDuration(input)
	if err != nil {
		seconds, numErr := strconv.ParseFloat(input, 64)
		if numErr != nil {
			return 0, Invalid("sleep input %q is neither a duration (\"1m30s\") nor seconds (\"90\")", input)
		}
		if seconds < 0 || seconds > MaxSleep.Seconds() {
			return 0, Invalid("sleep input %q is out of range 0-%s", input, MaxSleep)
		}
		d = time.Duration(seconds * float64(time.Second))
	}
	if d < 0 || d > MaxSleep {
		return 0, Invalid("sleep input %q is out of range 0-%s", input, MaxSleep)
	}
	return d, nil
}

// Verify checks an input of the form `SHA256HEX TEXT`: it succeeds when the
// SHA-256 of TEXT is SHA256HEX, and fails with a definite negative outcome
// (ErrFailed) when it is not. A malformed hash is invalid input.
func Verify(_ context.Context, req Request) (string, error) {
	want, text, ok := strings.Cut(req.Input, " ")
	if !ok {
		return "", Invalid("verify input must be \"SHA256HEX TEXT\", got no space")
	}
	if len(want) != sha256.Size*2 {
		return "", Invalid("verify hash %q is %d characters, expected %d hex digits", truncateInput(want), len(want), sha256.Size*2)
	}
	wantSum, err := hex.DecodeString(want)
	if err != nil {
		return "", Invalid("verify hash %q is not hex", truncateInput(want))
	}

	got := sha256.Sum256([]byte(text))
	if string(got[:]) != string(wantSum) {
		return "", Fail("sha-256 mismatch: expected %s, got %s", strings.ToLower(want), hex.EncodeToString(got[:]))
	}
	return "match", nil
}

// Flaky fails with a retryable error while the attempt number is at most N,
// the input. "flaky 0" succeeds at once; "flaky 1000" never succeeds, so its
// message ends in the DLQ through the queue's redrive policy.
func Flaky(_ context.Context, req Request) (string, error) {
	n, err := strconv.Atoi(strings.TrimSpace(req.Input))
	if err != nil || n < 0 {
		return "", Invalid("flaky input %q must be a whole number of failures, 0 or more", truncateInput(req.Input))
	}
	if req.Attempt <= n {
		return "", Retryable(fmt.Errorf("flaky: attempt %d of %d planned failures", req.Attempt, n))
	}
	return fmt.Sprintf("succeeded on attempt %d", req.Attempt), nil
}

func truncateInput(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
