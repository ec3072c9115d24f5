package esm_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/localcloud/esm"
)

// succeed is an InvokeFunc body that reports every record as processed.
func succeed(rec *recorder) esm.InvokeFunc {
	return func(_ context.Context, payload []byte) ([]byte, string, error) {
		rec.add(payload)
		return nil, "", nil
	}
}

func TestRecordsCarryEveryField(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	url, arn := c.createQueue(t, "records", 30)

	body := `{"id":"job-1","task":"checksum","input":"hello"}`
	before := time.Now()
	sent, err := c.client.SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl:    aws.String(url),
		MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"task":    {DataType: aws.String("String"), StringValue: aws.String("checksum")},
			"attempt": {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":    {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2, 3}},
		},
	})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}

	rec := &recorder{}
	m := startMapping(t, esm.Config{
		QueueURL: url, QueueARN: arn, Region: testRegion,
		Client: c.client, Invoke: succeed(rec),
		BatchingWindow: 0, Pollers: 1, ReportBatchItemFailures: true,
	})
	waitFor(t, 5*time.Second, "one invoke", func() bool { return rec.count() >= 1 })
	after := time.Now()

	var event struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal(rec.raw(0), &event); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	if len(event.Records) != 1 {
		t.Fatalf("records = %d, want 1", len(event.Records))
	}
	record := event.Records[0]

	wantKeys := []string{"attributes", "awsRegion", "body", "eventSource", "eventSourceARN",
		"md5OfBody", "md5OfMessageAttributes", "messageAttributes", "messageId", "receiptHandle"}
	var keys []string
	for k := range record {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("record keys = %v, want %v", keys, wantKeys)
	}

	sum := md5.Sum([]byte(body))
	checks := []struct{ field, got, want string }{
		{"messageId", str(record["messageId"]), aws.ToString(sent.MessageId)},
		{"body", str(record["body"]), body},
		{"md5OfBody", str(record["md5OfBody"]), hex.EncodeToString(sum[:])},
		{"md5OfBody (SendMessage)", str(record["md5OfBody"]), aws.ToString(sent.MD5OfMessageBody)},
		{"md5OfMessageAttributes", str(record["md5OfMessageAttributes"]), aws.ToString(sent.MD5OfMessageAttributes)},
		{"eventSource", str(record["eventSource"]), "aws:sqs"},
		{"eventSourceARN", str(record["eventSourceARN"]), arn},
		{"awsRegion", str(record["awsRegion"]), testRegion},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %q, want %q", check.field, check.got, check.want)
		}
	}
	if str(record["receiptHandle"]) == "" {
		t.Error("receiptHandle is empty")
	}
	if aws.ToString(sent.MD5OfMessageAttributes) == "" {
		t.Error("SendMessage returned no MD5OfMessageAttributes, so the record's value is not checked")
	}

	attributes, _ := record["attributes"].(map[string]any)
	if got := str(attributes["ApproximateReceiveCount"]); got != "1" {
		t.Errorf("attributes.ApproximateReceiveCount = %q, want \"1\"", got)
	}
	if got := str(attributes["SenderId"]); got == "" {
		t.Error("attributes.SenderId is empty")
	}
	sentAt := millis(t, "SentTimestamp", attributes["SentTimestamp"])
	firstReceiveAt := millis(t, "ApproximateFirstReceiveTimestamp", attributes["ApproximateFirstReceiveTimestamp"])
	if sentAt < before.Add(-time.Second).UnixMilli() || sentAt > after.Add(time.Second).UnixMilli() {
		t.Errorf("attributes.SentTimestamp = %d, want between %d and %d", sentAt, before.UnixMilli(), after.UnixMilli())
	}
	if firstReceiveAt < sentAt {
		t.Errorf("attributes.ApproximateFirstReceiveTimestamp = %d, before SentTimestamp %d", firstReceiveAt, sentAt)
	}

	messageAttributes, _ := record["messageAttributes"].(map[string]any)
	wantAttributes := map[string]any{
		"task": map[string]any{
			"stringValue": "checksum", "dataType": "String",
			"stringListValues": []any{}, "binaryListValues": []any{},
		},
		"attempt": map[string]any{
			"stringValue": "3", "dataType": "Number",
			"stringListValues": []any{}, "binaryListValues": []any{},
		},
		"blob": map[string]any{
			"binaryValue": "AQID", "dataType": "Binary",
			"stringListValues": []any{}, "binaryListValues": []any{},
		},
	}
	if !reflect.DeepEqual(messageAttributes, wantAttributes) {
		t.Errorf("messageAttributes =\n%v\nwant\n%v", messageAttributes, wantAttributes)
	}

	// The receipt handle was the live one: the successful invoke deleted the message.
	waitFor(t, 5*time.Second, "the message to be deleted", func() bool { return m.Stats().Deleted == 1 })
	if !c.empty(t, url) {
		t.Error("queue is not empty after a successful invoke")
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func millis(t *testing.T, name string, v any) int64 {
	t.Helper()
	n, err := strconv.ParseInt(str(v), 10, 64)
	if err != nil {
		t.Fatalf("attributes.%s = %v is not milliseconds since the epoch", name, v)
	}
	return n
}

func TestBatchSizeHonoured(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	url, arn := c.createQueue(t, "batch-size", 30)
	c.sendBodies(t, url, numberedBodies(25))

	rec := &recorder{}
	m := startMapping(t, esm.Config{
		QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: succeed(rec),
		BatchSize: 4, BatchingWindow: time.Second, Pollers: 1,
	})
	waitFor(t, 10*time.Second, "25 messages deleted", func() bool { return m.Stats().Deleted == 25 })

	sizes := recordSizes(rec.events(t))
	total := 0
	for _, n := range sizes {
		total += n
		if n > 4 {
			t.Errorf("an invoke had %d records, more than BatchSize 4 (all sizes %v)", n, sizes)
		}
	}
	if total != 25 {
		t.Errorf("records invoked = %d, want 25 (sizes %v)", total, sizes)
	}
	if len(sizes) < 7 {
		t.Errorf("invokes = %d, want at least 7 for 25 records in batches of 4", len(sizes))
	}
	if !slices.Contains(sizes, 4) {
		t.Errorf("no invoke had a full batch of 4 records: sizes %v", sizes)
	}
}

func TestBatchingWindowGathersReceives(t *testing.T) {
	t.Parallel()

	t.Run("more than one receive holds", func(t *testing.T) {
		t.Parallel()
		c := newCloud(t)
		url, arn := c.createQueue(t, "window-full", 30)
		c.sendBodies(t, url, numberedBodies(25))

		rec := &recorder{}
		m := startMapping(t, esm.Config{
			QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: succeed(rec),
			BatchSize: 25, BatchingWindow: 3 * time.Second, Pollers: 1,
		})
		waitFor(t, 10*time.Second, "25 messages deleted", func() bool { return m.Stats().Deleted == 25 })

		sizes := recordSizes(rec.events(t))
		if !slices.Equal(sizes, []int{25}) {
			t.Errorf("invoke sizes = %v, want one invoke of 25 records", sizes)
		}
		if got := m.Stats().Receives; got < 3 {
			t.Errorf("ReceiveMessage calls = %d, want at least 3 for 25 records", got)
		}
	})

	t.Run("messages sent during the window", func(t *testing.T) {
		t.Parallel()
		c := newCloud(t)
		url, arn := c.createQueue(t, "window-spread", 30)

		rec := &recorder{}
		m := startMapping(t, esm.Config{
			QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: succeed(rec),
			BatchSize: 10, BatchingWindow: 3 * time.Second, Pollers: 1,
		})
		waitFor(t, 5*time.Second, "the first long poll", func() bool { return m.Stats().Receives >= 1 })
		for i := range 3 {
			c.sendBodies(t, url, []string{"spread " + strconv.Itoa(i)})
			time.Sleep(100 * time.Millisecond)
		}
		waitFor(t, 10*time.Second, "3 messages deleted", func() bool { return m.Stats().Deleted == 3 })

		sizes := recordSizes(rec.events(t))
		if !slices.Equal(sizes, []int{3}) {
			t.Errorf("invoke sizes = %v, want one invoke of the 3 messages sent within the window", sizes)
		}
		if got := m.Stats().Receives; got < 3 {
			t.Errorf("ReceiveMessage calls = %d, want at least 3", got)
		}
	})

	t.Run("no window invokes each receive", func(t *testing.T) {
		t.Parallel()
		c := newCloud(t)
		url, arn := c.createQueue(t, "no-window", 30)
		c.sendBodies(t, url, numberedBodies(25))

		rec := &recorder{}
		m := startMapping(t, esm.Config{
			QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: succeed(rec),
			BatchSize: 10, Pollers: 1,
		})
		waitFor(t, 10*time.Second, "25 messages deleted", func() bool { return m.Stats().Deleted == 25 })

		stats := m.Stats()
		if stats.Batches < 3 {
			t.Errorf("invokes = %d, want at least 3 for 25 records without a batching window", stats.Batches)
		}
		for _, n := range recordSizes(rec.events(t)) {
			if n > 10 {
				t.Errorf("an invoke had %d records, more than one receive returns", n)
			}
		}
	})
}

func TestMaximumConcurrencyBoundsInvokes(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{2, 4} {
		t.Run("limit "+strconv.Itoa(limit), func(t *testing.T) {
			t.Parallel()
			c := newCloud(t)
			url, arn := c.createQueue(t, "concurrency", 30)
			const messages = 16
			c.sendBodies(t, url, numberedBodies(messages))

			var inFlight, maxInFlight atomic.Int64
			invoke := func(context.Context, []byte) ([]byte, string, error) {
				n := inFlight.Add(1)
				for {
					seen := maxInFlight.Load()
					if n <= seen || maxInFlight.CompareAndSwap(seen, n) {
						break
					}
				}
				time.Sleep(200 * time.Millisecond)
				inFlight.Add(-1)
				return nil, "", nil
			}
			// More pollers than slots, so that batches wait for a slot.
			m := startMapping(t, esm.Config{
				QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: invoke,
				BatchSize: 1, MaximumConcurrency: limit, Pollers: limit + 3,
			})
			waitFor(t, 15*time.Second, "every message deleted", func() bool { return m.Stats().Deleted == messages })

			if got := maxInFlight.Load(); got > int64(limit) {
				t.Errorf("max invokes in flight = %d, above MaximumConcurrency %d", got, limit)
			}
			if got := maxInFlight.Load(); got < int64(limit) {
				t.Errorf("max invokes in flight = %d, want the limit %d reached with %d pollers", got, limit, limit+3)
			}
			if got := m.Stats().Batches; got != messages {
				t.Errorf("invokes = %d, want %d with BatchSize 1", got, messages)
			}
		})
	}
}

func TestCloseStopsLongPollPromptly(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	url, arn := c.createQueue(t, "close-idle", 30)

	m, err := esm.Start(context.Background(), esm.Config{
		QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: succeed(&recorder{}),
		// The default PollWait of 20 s: Close must not wait it out.
	})
	if err != nil {
		t.Fatalf("esm.Start: %v", err)
	}
	waitFor(t, 5*time.Second, "the pollers' first long polls", func() bool { return m.Stats().Receives >= 2 })
	time.Sleep(100 * time.Millisecond) // let the long polls reach the server

	closed := make(chan error, 1)
	start := time.Now()
	go func() { closed <- m.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
		t.Logf("Close returned after %s", time.Since(start))
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not return within 3s while the pollers were in a 20s long poll")
	}

	// No poller is left: a message sent now stays in the queue.
	c.sendBodies(t, url, []string{"after close"})
	out, err := c.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages after Close, want the 1 sent", len(out.Messages))
	}
	if got := out.Messages[0].Attributes["ApproximateReceiveCount"]; got != "1" {
		t.Errorf("ApproximateReceiveCount = %q, want \"1\": a poller received it after Close", got)
	}
}

func TestCloseWaitsForInFlightInvoke(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	url, arn := c.createQueue(t, "close-busy", 30)
	c.sendBodies(t, url, []string{"slow job"})

	started := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Bool
	ctxErrAtEnd := make(chan error, 1)
	invoke := func(ctx context.Context, _ []byte) ([]byte, string, error) {
		close(started)
		<-release
		ctxErrAtEnd <- ctx.Err()
		finished.Store(true)
		return []byte(`{"batchItemFailures":[]}`), "", nil
	}
	m, err := esm.Start(context.Background(), esm.Config{
		QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: invoke,
		ReportBatchItemFailures: true,
	})
	if err != nil {
		t.Fatalf("esm.Start: %v", err)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("no invoke within 5s")
	}

	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while an invoke was in flight")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s of the invoke finishing")
	}

	if !finished.Load() {
		t.Error("Close returned before the invoke finished")
	}
	if err := <-ctxErrAtEnd; err != nil {
		t.Errorf("the in-flight invoke's context ended with %v; it should run to its end", err)
	}
	if got := m.Stats().Deleted; got != 1 {
		t.Errorf("deleted = %d after Close, want 1: the in-flight invoke's result was not applied", got)
	}
	if !c.empty(t, url) {
		t.Error("queue is not empty: the in-flight invoke's message was not deleted")
	}
}

func TestStartRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	url, arn := c.createQueue(t, "config", 30)
	invoke := succeed(&recorder{})
	valid := func() esm.Config {
		return esm.Config{QueueURL: url, QueueARN: arn, Region: testRegion, Client: c.client, Invoke: invoke}
	}

	tests := []struct {
		name   string
		mutate func(*esm.Config)
		want   []string // substrings of the error
	}{
		{"missing queue URL", func(cfg *esm.Config) { cfg.QueueURL = "" }, []string{"QueueURL missing"}},
		{"missing queue ARN and region", func(cfg *esm.Config) { cfg.QueueARN, cfg.Region = "", "" }, []string{"QueueARN, Region missing"}},
		{"missing client", func(cfg *esm.Config) { cfg.Client = nil }, []string{"Client missing"}},
		{"missing invoke", func(cfg *esm.Config) { cfg.Invoke = nil }, []string{"Invoke missing"}},
		{"negative batch size", func(cfg *esm.Config) { cfg.BatchSize = -1 }, []string{"BatchSize -1", "1-10000"}},
		{"batch size too large", func(cfg *esm.Config) {
			cfg.BatchSize = 10001
			cfg.BatchingWindow = time.Second
		}, []string{"BatchSize 10001", "1-10000"}},
		{"batch size above 10 without window", func(cfg *esm.Config) { cfg.BatchSize = 11 }, []string{"BatchSize 11", "BatchingWindow"}},
		{"negative window", func(cfg *esm.Config) { cfg.BatchingWindow = -time.Second }, []string{"BatchingWindow -1s"}},
		{"window too long", func(cfg *esm.Config) { cfg.BatchingWindow = 301 * time.Second }, []string{"BatchingWindow 5m1s", "0-300s"}},
		{"concurrency below 2", func(cfg *esm.Config) { cfg.MaximumConcurrency = 1 }, []string{"MaximumConcurrency 1", "2-1000"}},
		{"concurrency above 1000", func(cfg *esm.Config) { cfg.MaximumConcurrency = 1001 }, []string{"MaximumConcurrency 1001", "2-1000"}},
		{"negative pollers", func(cfg *esm.Config) { cfg.Pollers = -1 }, []string{"Pollers -1"}},
		{"poll wait too long", func(cfg *esm.Config) { cfg.PollWait = 21 * time.Second }, []string{"PollWait 21s", "0-20s"}},
		{"negative poll wait", func(cfg *esm.Config) { cfg.PollWait = -time.Second }, []string{"PollWait -1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			m, err := esm.Start(context.Background(), cfg)
			if err == nil {
				m.Close()
				t.Fatalf("Start accepted the config; want an error naming %q", tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}

	t.Run("defaults accepted", func(t *testing.T) {
		m, err := esm.Start(context.Background(), valid())
		if err != nil {
			t.Fatalf("Start with only the required fields: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}
