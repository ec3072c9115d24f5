package tasks

import (
	"context"
	"errors"
	"testing"
	"time"
)

const helloSHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

func TestBuiltinTasks(t *testing.T) {
	tests := []struct {
		name    string
		task    Func
		req     Request
		want    string
		wantErr error
		errText string
	}{
		{"checksum", Checksum, Request{Input: "hello"}, helloSHA256, nil, ""},
		{"wordcount", WordCount, Request{Input: "  the quick\tbrown\nfox "}, "4", nil, ""},
		{"wordcount of spaces", WordCount, Request{Input: "   "}, "0", nil, ""},
		{"verify match", Verify, Request{Input: helloSHA256 + " hello"}, "match", nil, ""},
		{"verify match upper case", Verify, Request{Input: "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824 hello"}, "match", nil, ""},
		{"verify mismatch", Verify, Request{Input: helloSHA256 + " hello!"}, "", ErrFailed,
			"sha-256 mismatch: expected " + helloSHA256 + ", got ce06092fb948d9ffac7d1a376e404b26b7575bcc11ee05a4615fef4fec3a308b"},
		{"verify short hash", Verify, Request{Input: "abc hello"}, "", ErrInvalidInput,
			`verify hash "abc" is 3 characters, expected 64 hex digits`},
		{"verify non-hex hash", Verify, Request{Input: "zz" + helloSHA256[2:] + " hello"}, "", ErrInvalidInput,
			`verify hash "zz` + helloSHA256[2:] + `" is not hex`},
		{"verify without text", Verify, Request{Input: helloSHA256}, "", ErrInvalidInput,
			`verify input must be "SHA256HEX TEXT", got no space`},
		{"flaky fails while attempt <= N", Flaky, Request{Input: "2", Attempt: 2}, "", ErrRetryable,
			"flaky: attempt 2 of 2 planned failures"},
		{"flaky succeeds after N", Flaky, Request{Input: "2", Attempt: 3}, "succeeded on attempt 3", nil, ""},
		{"flaky 0", Flaky, Request{Input: "0", Attempt: 1}, "succeeded on attempt 1", nil, ""},
		{"flaky negative", Flaky, Request{Input: "-1", Attempt: 1}, "", ErrInvalidInput,
			`flaky input "-1" must be a whole number of failures, 0 or more`},
		{"sleep zero", Sleep, Request{Input: "0"}, "slept 0s", nil, ""},
		{"sleep duration", Sleep, Request{Input: "1ms"}, "slept 1ms", nil, ""},
		{"sleep seconds", Sleep, Request{Input: "0.002"}, "slept 2ms", nil, ""},
		{"sleep invalid", Sleep, Request{Input: "soon"}, "", ErrInvalidInput,
			`sleep input "soon" is neither a duration ("1m30s") nor seconds ("90")`},
		{"sleep negative", Sleep, Request{Input: "-1s"}, "", ErrInvalidInput, `sleep input "-1s" is out of range 0-15m0s`},
		{"sleep too long", Sleep, Request{Input: "901"}, "", ErrInvalidInput, `sleep input "901" is out of range 0-15m0s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.task(context.Background(), tt.req)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("error = %v, want none", err)
				}
				if got != tt.want {
					t.Errorf("output = %q, want %q", got, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want one marked %v", err, tt.wantErr)
			}
			if err.Error() != tt.errText {
				t.Errorf("error = %q\nwant    %q", err.Error(), tt.errText)
			}
		})
	}
}

func TestSleepHonoursDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()

	_, err := Sleep(ctx, Request{Input: "10m"})

	if !errors.Is(err, ErrRetryable) {
		t.Errorf("error = %v, want a retryable error", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want it to wrap context.DeadlineExceeded", err)
	}
}

func TestRegistry(t *testing.T) {
	r := Builtin()
	want := []string{"checksum", "flaky", "sleep", "verify", "wordcount"}
	if got := r.Names(); len(got) != len(want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	for i, name := range r.Names() {
		if name != want[i] {
			t.Errorf("Names[%d] = %q, want %q", i, name, want[i])
		}
		if !r.Has(name) {
			t.Errorf("Has(%q) = false", name)
		}
	}
	if r.Has("nope") {
		t.Error(`Has("nope") = true, want false`)
	}
	var empty *Registry
	if _, ok := empty.Lookup("checksum"); ok {
		t.Error("a nil registry found a task")
	}
}

func TestRetryableOfNil(t *testing.T) {
	if err := Retryable(nil); err != nil {
		t.Errorf("Retryable(nil) = %v, want nil", err)
	}
}
