package lambda

import (
	"context"
	"testing"
	"time"
)

// BenchmarkColdStart measures a cold start of the hello-world aws-lambda-go bootstrap: from
// the process start to its first response.
func BenchmarkColdStart(b *testing.B) {
	r := newTestRuntime(b, Config{})
	register(b, r, Function{Name: "hello", Bootstrap: helloBootstrap, MaxInstances: 1})
	ctx := context.Background()

	var initTotal time.Duration
	for b.Loop() {
		b.StopTimer()
		if err := r.StopInstances("hello"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		resp, err := r.Invoke(ctx, "hello", []byte(`{}`))
		if err != nil || resp.FunctionError != "" || resp.InitDuration == 0 {
			b.Fatalf("cold invoke: err %v, function error %q, init %s", err, resp.FunctionError, resp.InitDuration)
		}
		initTotal += resp.InitDuration
	}
	b.ReportMetric(float64(initTotal.Microseconds())/float64(b.N)/1000, "init-ms/op")
}

// BenchmarkInvokeWarm measures synchronous invokes of one warm instance, one at a time.
func BenchmarkInvokeWarm(b *testing.B) {
	r := newTestRuntime(b, Config{})
	register(b, r, Function{Name: "hello", Bootstrap: helloBootstrap, MaxInstances: 1})
	ctx := context.Background()
	invoke(b, r, "hello", `{}`)

	start := time.Now()
	for b.Loop() {
		if _, err := r.Invoke(ctx, "hello", []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "invokes/s")
}

// BenchmarkInvokeWarmParallel measures synchronous invokes from many goroutines on up to
// four warm instances.
func BenchmarkInvokeWarmParallel(b *testing.B) {
	r := newTestRuntime(b, Config{})
	register(b, r, Function{Name: "hello", Bootstrap: helloBootstrap, MaxInstances: 4})
	ctx := context.Background()
	invoke(b, r, "hello", `{}`)

	start := time.Now()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Invoke(ctx, "hello", []byte(`{}`)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "invokes/s")
}

// BenchmarkInvokeAsync measures asynchronous invokes from acceptance until every event ran,
// on up to four instances.
func BenchmarkInvokeAsync(b *testing.B) {
	r := newTestRuntime(b, Config{AsyncQueueSize: 1 << 20})
	register(b, r, Function{Name: "hello", Bootstrap: helloBootstrap, MaxInstances: 4})
	ctx := context.Background()
	invoke(b, r, "hello", `{}`)
	event := []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"{\"default\":\"{}\"}"}}]}`)

	start := time.Now()
	b.ResetTimer()
	for range b.N {
		if err := r.InvokeAsync(ctx, "hello", event); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for r.Stats().Functions["hello"].AsyncSucceeded < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d events ran within 5 minutes", r.Stats().Functions["hello"].AsyncSucceeded, b.N)
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "invokes/s")
}
