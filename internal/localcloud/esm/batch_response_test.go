package esm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/relay-pipeline/relay/internal/localcloud/esm"
)

// responder returns a function's result for the first batch, whose message ids are ids.
type responder func(ids []string) (response []byte, functionError string, err error)

func respond(body string) responder {
	return func([]string) ([]byte, string, error) { return []byte(body), "", nil }
}

func failSecond(ids []string) ([]byte, string, error) {
	return fmt.Appendf(nil, `{"batchItemFailures":[{"itemIdentifier":%q}]}`, ids[1]), "", nil
}

// TestBatchResponse checks Lambda's rules for an SQS batch response: which messages of a
// three-message batch are deleted and which come back, for each kind of function result.
// Every redelivered message must arrive in a later invoke with ApproximateReceiveCount 2.
func TestBatchResponse(t *testing.T) {
	t.Parallel()
	none := func([]string) []string { return nil }
	all := func(ids []string) []string { return ids }
	second := func(ids []string) []string { return ids[1:2] }

	tests := []struct {
		name        string
		report      bool // ReportBatchItemFailures
		respond     responder
		wantBack    func(ids []string) []string
		wantFailed  int64 // Stats.FailedBatches
		wantItemErr int64 // Stats.BatchItemFailures
	}{
		{"one item failure", true, failSecond, second, 0, 1},
		{"two item failures", true, func(ids []string) ([]byte, string, error) {
			return fmt.Appendf(nil, `{"batchItemFailures":[{"itemIdentifier":%q},{"itemIdentifier":%q}]}`, ids[0], ids[2]), "", nil
		}, func(ids []string) []string { return []string{ids[0], ids[2]} }, 0, 2},
		{"empty response", true, respond(""), none, 0, 0},
		{"empty object", true, respond(`{}`), none, 0, 0},
		{"empty list", true, respond(`{"batchItemFailures":[]}`), none, 0, 0},
		{"null list", true, respond(`{"batchItemFailures":null}`), none, 0, 0},
		{"null response", true, respond(`null`), none, 0, 0},
		{"unknown item identifier", true, respond(`{"batchItemFailures":[{"itemIdentifier":"not-a-message-id"}]}`), all, 1, 0},
		{"unknown next to a valid one", true, func(ids []string) ([]byte, string, error) {
			return fmt.Appendf(nil, `{"batchItemFailures":[{"itemIdentifier":%q},{"itemIdentifier":"nope"}]}`, ids[0]), "", nil
		}, all, 1, 0},
		{"empty item identifier", true, respond(`{"batchItemFailures":[{"itemIdentifier":""}]}`), all, 1, 0},
		{"null item identifier", true, respond(`{"batchItemFailures":[{"itemIdentifier":null}]}`), all, 1, 0},
		{"misspelled item identifier key", true, func(ids []string) ([]byte, string, error) {
			return fmt.Appendf(nil, `{"batchItemFailures":[{"itemId":%q}]}`, ids[0]), "", nil
		}, all, 1, 0},
		{"invalid JSON", true, respond(`{"batchItemFailures":[`), all, 1, 0},
		{"function error", true, func([]string) ([]byte, string, error) {
			return []byte(`{"errorMessage":"boom","errorType":"errorString"}`), "Unhandled", nil
		}, all, 1, 0},
		{"function error listing failures", true, func(ids []string) ([]byte, string, error) {
			response, _, _ := failSecond(ids)
			return response, "Unhandled", nil
		}, all, 1, 0},
		{"invoke error", true, func([]string) ([]byte, string, error) {
			return nil, "", errors.New("runtime unavailable")
		}, all, 1, 0},
		{"without report, failures listed", false, failSecond, none, 0, 0},
		{"without report, invalid JSON", false, respond(`not json`), none, 0, 0},
		{"without report, function error", false, func([]string) ([]byte, string, error) {
			return []byte(`{"errorMessage":"boom"}`), "Unhandled", nil
		}, all, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newCloud(t)
			url, arn := c.createQueue(t, "batch-response", 1)
			c.sendBodies(t, url, []string{"first", "second", "third"})

			var (
				mu          sync.Mutex
				firstIDs    []string
				redelivered = map[string][]string{} // message id -> ApproximateReceiveCount of each redelivery
			)
			invoke := func(_ context.Context, payload []byte) ([]byte, string, error) {
				event := decodeEvent(t, payload)
				mu.Lock()
				defer mu.Unlock()
				if firstIDs == nil {
					for _, r := range event.Records {
						firstIDs = append(firstIDs, r.MessageId)
					}
					if len(firstIDs) != 3 {
						t.Errorf("first batch has %d records, want all 3 messages", len(firstIDs))
						return nil, "", nil
					}
					return tt.respond(firstIDs)
				}
				for _, r := range event.Records {
					redelivered[r.MessageId] = append(redelivered[r.MessageId], r.Attributes["ApproximateReceiveCount"])
				}
				return nil, "", nil
			}
			m := startMapping(t, esm.Config{
				QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: invoke,
				BatchSize: 10, Pollers: 1, ReportBatchItemFailures: tt.report,
			})

			// Every message ends deleted: by the first invoke, or by the invoke that gets
			// it again after its 1 s visibility timeout.
			waitFor(t, 10*time.Second, "every message deleted", func() bool {
				return m.Stats().Deleted == 3 && c.empty(t, url)
			})

			mu.Lock()
			defer mu.Unlock()
			if len(firstIDs) != 3 {
				t.Fatalf("first batch ids = %v, want 3", firstIDs)
			}
			want := tt.wantBack(firstIDs)
			got := slices.Sorted(maps.Keys(redelivered))
			if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				t.Errorf("messages that came back = %v, want %v (first batch %v)", got, want, firstIDs)
			}
			for id, counts := range redelivered {
				if !slices.Equal(counts, []string{"2"}) {
					t.Errorf("message %s came back with ApproximateReceiveCount %v, want once with 2", id, counts)
				}
			}
			stats := m.Stats()
			if stats.FailedBatches != tt.wantFailed {
				t.Errorf("Stats.FailedBatches = %d, want %d", stats.FailedBatches, tt.wantFailed)
			}
			if stats.BatchItemFailures != tt.wantItemErr {
				t.Errorf("Stats.BatchItemFailures = %d, want %d", stats.BatchItemFailures, tt.wantItemErr)
			}
		})
	}
}

func decodeEvent(t *testing.T, payload []byte) events.SQSEvent {
	var event events.SQSEvent
	if err := json.Unmarshal(payload, &event); err != nil {
		t.Errorf("payload is not an SQS event: %v", err)
	}
	return event
}
