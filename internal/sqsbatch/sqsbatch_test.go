package sqsbatch

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func records(n int) []events.SQSMessage {
	out := make([]events.SQSMessage, n)
	for i := range out {
		out[i] = events.SQSMessage{MessageId: fmt.Sprintf("m%d", i), Body: fmt.Sprint(i)}
	}
	return out
}

func TestRunBoundsConcurrency(t *testing.T) {
	var running, peak atomic.Int32
	values, errs := Run(context.Background(), records(20), 3, func(_ context.Context, r events.SQSMessage) (string, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		running.Add(-1)
		return r.Body, nil
	})

	if got := peak.Load(); got > 3 {
		t.Errorf("peak concurrency = %d, want at most 3", got)
	}
	for i, v := range values {
		if v != fmt.Sprint(i) || errs[i] != nil {
			t.Errorf("record %d: value %q error %v, want %q and no error", i, v, errs[i], fmt.Sprint(i))
		}
	}
}

func TestRunIsolatesPanicsAndErrors(t *testing.T) {
	boom := errors.New("boom")
	_, errs := Run(context.Background(), records(3), 0, func(_ context.Context, r events.SQSMessage) (int, error) {
		switch r.MessageId {
		case "m0":
			panic("task exploded")
		case "m1":
			return 0, boom
		}
		return 1, nil
	})

	var p *PanicError
	if !errors.As(errs[0], &p) || p.Value != "task exploded" || len(p.Stack) == 0 {
		t.Errorf("record 0 error = %v, want a *PanicError with the value and a stack", errs[0])
	}
	if !errors.Is(errs[1], boom) {
		t.Errorf("record 1 error = %v, want boom", errs[1])
	}
	if errs[2] != nil {
		t.Errorf("record 2 error = %v, want none", errs[2])
	}
}

func TestResponseDropsEmptyAndRepeatedIDs(t *testing.T) {
	resp := Response([]string{"a", "", "b", "a"})
	want := []events.SQSBatchItemFailure{{ItemIdentifier: "a"}, {ItemIdentifier: "b"}}
	if fmt.Sprint(resp.BatchItemFailures) != fmt.Sprint(want) {
		t.Errorf("failures = %v, want %v", resp.BatchItemFailures, want)
	}
	if empty := Response(nil); empty.BatchItemFailures == nil || len(empty.BatchItemFailures) != 0 {
		t.Errorf("Response(nil) = %#v, want an empty, non-nil list", empty.BatchItemFailures)
	}
}

func TestReceiveCount(t *testing.T) {
	tests := map[string]int{"": 1, "x": 1, "0": 1, "-3": 1, "1": 1, "7": 7}
	for value, want := range tests {
		r := events.SQSMessage{Attributes: map[string]string{"ApproximateReceiveCount": value}}
		if got := ReceiveCount(r); got != want {
			t.Errorf("ReceiveCount(%q) = %d, want %d", value, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		base         time.Duration
		receiveCount int
		limit        time.Duration
		want         time.Duration
	}{
		{10 * time.Second, 1, 15 * time.Minute, 10 * time.Second},
		{10 * time.Second, 2, 15 * time.Minute, 20 * time.Second},
		{10 * time.Second, 5, 15 * time.Minute, 160 * time.Second},
		{10 * time.Second, 7, 15 * time.Minute, 640 * time.Second},
		{10 * time.Second, 8, 15 * time.Minute, 15 * time.Minute},
		{10 * time.Second, 1000, 15 * time.Minute, 15 * time.Minute},
		{10 * time.Second, 100, 48 * time.Hour, 12 * time.Hour},
		{0, 5, 15 * time.Minute, 0},
		{1500 * time.Millisecond, 1, time.Hour, time.Second},
	}
	for _, tt := range tests {
		if got := Backoff(tt.base, tt.receiveCount, tt.limit); got != tt.want {
			t.Errorf("Backoff(%s, %d, %s) = %s, want %s", tt.base, tt.receiveCount, tt.limit, got, tt.want)
		}
	}
}
