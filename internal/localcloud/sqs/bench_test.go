package sqs

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The benchmarks drive the service with one aws-sdk-go-v2 client over loopback HTTP, from
// benchParallelism goroutines per CPU.
const benchParallelism = 4

var benchBody = strings.Repeat("x", 100)

func newBenchEnv(b *testing.B) *testEnv {
	b.Helper()
	env := newTestEnv(b, false)
	env.client = newClient(env.server.URL, 64)
	return env
}

// fill sends n messages to the queue named name in process, with SendToARN.
func fill(b *testing.B, env *testEnv, name string, n int) {
	b.Helper()
	arn := env.svc.queueARN(name)
	for i := 0; i < n; i++ {
		if _, err := env.svc.SendToARN(arn, benchBody, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func reportRate(b *testing.B, messages int64, elapsed time.Duration) {
	b.ReportMetric(float64(messages)/elapsed.Seconds(), "messages/s")
}

// BenchmarkSendMessageBatch measures SendMessageBatch of 10 messages of 100 bytes with one
// message attribute.
func BenchmarkSendMessageBatch(b *testing.B) {
	env := newBenchEnv(b)
	url := env.createQueue(b, "bench", nil)
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{
			Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(benchBody),
			MessageAttributes: map[string]types.MessageAttributeValue{"task": stringAttr("resize")},
		}
	}
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := env.client.SendMessageBatch(context.Background(), &awssqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
			if err != nil || len(out.Failed) > 0 {
				b.Errorf("SendMessageBatch: %v %+v", err, out)
				return
			}
		}
	})
	reportRate(b, int64(b.N)*10, time.Since(start))
}

// BenchmarkReceiveDelete measures ReceiveMessage of 10 followed by DeleteMessageBatch of the
// messages received, on a queue filled beforehand.
func BenchmarkReceiveDelete(b *testing.B) {
	env := newBenchEnv(b)
	url := env.createQueue(b, "bench", nil)
	fill(b, env, "bench", b.N*10+1000)
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var received atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			received.Add(int64(receiveAndDelete(b, env, url)))
		}
	})
	reportRate(b, received.Load(), time.Since(start))
}

func receiveAndDelete(b *testing.B, env *testEnv, url string) int {
	out, err := env.client.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	if err != nil {
		b.Errorf("ReceiveMessage: %v", err)
		return 0
	}
	if len(out.Messages) == 0 {
		return 0
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
	for i, m := range out.Messages {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle}
	}
	del, err := env.client.DeleteMessageBatch(context.Background(), &awssqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries})
	if err != nil || len(del.Failed) > 0 {
		b.Errorf("DeleteMessageBatch: %v %+v", err, del)
	}
	return len(out.Messages)
}

// BenchmarkDrain measures receive and delete with a backlog of 1,000 and of 100,000
// messages; the backlog stays at least that large during the run. A receive that never
// scans the queue drains both at about the same rate.
func BenchmarkDrain(b *testing.B) {
	for _, backlog := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("queued=%d", backlog), func(b *testing.B) {
			env := newBenchEnv(b)
			url := env.createQueue(b, "bench", nil)
			fill(b, env, "bench", backlog+b.N*10)
			b.SetParallelism(benchParallelism)
			b.ResetTimer()
			start := time.Now()
			var received atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					received.Add(int64(receiveAndDelete(b, env, url)))
				}
			})
			reportRate(b, received.Load(), time.Since(start))
		})
	}
}

// BenchmarkLongPollLatency measures the time from the start of a SendMessage to the return of
// a ReceiveMessage that was already long polling the empty queue.
func BenchmarkLongPollLatency(b *testing.B) {
	env := newBenchEnv(b)
	url := env.createQueue(b, "bench", nil)
	q, err := env.svc.queueByName("bench")
	if err != nil {
		b.Fatal(err)
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		var returned time.Time
		var got int
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := env.client.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
			returned = time.Now()
			if err != nil {
				b.Errorf("ReceiveMessage: %v", err)
				return
			}
			got = len(out.Messages)
			if got == 1 {
				env.client.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: out.Messages[0].ReceiptHandle})
			}
		}()
		waitForWaiter(b, q)
		sent := time.Now()
		env.send(b, url, benchBody)
		wg.Wait()
		if got != 1 {
			b.Fatalf("long poll returned %d messages, want 1", got)
		}
		latencies = append(latencies, returned.Sub(sent))
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)*50/100].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99_ms")
}

// waitForWaiter returns once a long poll waits on q, polling for up to 5 s.
func waitForWaiter(b *testing.B, q *queue) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		q.mu.Lock()
		waiting := q.waiters > 0
		q.mu.Unlock()
		if waiting {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
	b.Fatalf("no long poll waiting after 5 s")
}

// BenchmarkMemoryPerMessage measures the heap each queued message costs beyond its body,
// with no attributes and with the three attributes relay's enqueue function sets. The bodies
// exist before the measurement starts, so the figure leaves them out.
func BenchmarkMemoryPerMessage(b *testing.B) {
	const n = 100_000
	cases := []struct {
		name  string
		attrs map[string]MessageAttribute
	}{
		{"attributes=0", nil},
		{"attributes=3", map[string]MessageAttribute{
			"task":           {DataType: "String", StringValue: "resize"},
			"job_id":         {DataType: "String", StringValue: "0f8fad5b-d9cb-469f-a165-70867728950e"},
			"correlation_id": {DataType: "String", StringValue: "req-1234"},
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				svc := NewService(Config{})
				svc.createForTest("bench")
				bodies := make([]string, n)
				for j := range bodies {
					bodies[j] = fmt.Sprintf("%0100d", j)
				}
				arn := svc.queueARN("bench")
				before := heapInUse()
				for _, body := range bodies {
					if _, err := svc.SendToARN(arn, body, tc.attrs); err != nil {
						b.Fatal(err)
					}
				}
				after := heapInUse()
				b.ReportMetric(float64(after-before)/n, "bytes/msg")
				runtime.KeepAlive(svc)
				runtime.KeepAlive(bodies)
				svc.Close()
			}
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// createForTest creates a queue with default attributes without going through HTTP.
func (s *Service) createForTest(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[name] = newQueue(name, s.queueARN(name), 1, defaultSettings(), s.now())
}
