package localpipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/relay-pipeline/relay/internal/job"
	"github.com/relay-pipeline/relay/internal/localcloud/lambda"
	"github.com/relay-pipeline/relay/internal/settings"
)

// benchSettings are the stack's settings with no delivery delay, for throughput runs.
func benchSettings(b *testing.B) settings.Settings {
	s := fastSettings(b)
	s.DeliveryDelay = 0
	s.BatchingWindow = time.Second
	return s
}

// coldStartPayloads are invokes that each function handles without calling AWS, as the
// hello-world bootstrap does, so that the comparison measures start-up and not a network
// call. enqueue returns a BadRequestError for an empty request, which is still its first
// response.
var coldStartPayloads = map[string]string{
	settings.FunctionEnqueue:  `{"jobs":[]}`,
	settings.FunctionProcess:  `{"Records":[]}`,
	settings.FunctionNotified: `{"Records":[]}`,
}

// BenchmarkColdStart comes first in this file so that it runs before the throughput
// benchmark, whose hundreds of exiting instances would still load the machine.
//
// BenchmarkColdStart measures each bootstrap's cold start under the local runtime, from
// process start to the first response, next to a hello-world aws-lambda-go bootstrap in
// the same run, and reports the median of 31 starts each and the ratio to hello-world.
//
//	go test -run '^$' -bench ColdStart -benchtime 1x ./internal/localpipeline/
func BenchmarkColdStart(b *testing.B) {
	const starts = 31
	root, err := ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	hello := filepath.Join(b.TempDir(), "hello", "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", hello, "./internal/localcloud/lambda/testdata/hello")
	build.Dir = root
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build hello-world bootstrap: %v\n%s", err, out)
	}

	for range b.N {
		p := startPipeline(b, fastSettings(b), NewTracker(), func(o *Options) { o.NoEventSourceMappings = true })
		if err := p.Runtime.Register(lambda.Function{Name: "hello", Bootstrap: hello, Timeout: 10 * time.Second}); err != nil {
			b.Fatal(err)
		}
		// Round robin, so that a burst of load on this shared machine hits every function
		// alike instead of skewing one median.
		names := []string{"hello", settings.FunctionEnqueue, settings.FunctionProcess, settings.FunctionNotified}
		samples := map[string][]time.Duration{}
		for range starts {
			for _, name := range names {
				payload := coldStartPayloads[name]
				if payload == "" {
					payload = `{}`
				}
				samples[name] = append(samples[name], coldStart(b, p.Runtime, name, []byte(payload)))
			}
		}
		medians := map[string]time.Duration{}
		for name, durations := range samples {
			slices.Sort(durations)
			medians[name] = durations[len(durations)/2]
		}
		for name, d := range medians {
			b.ReportMetric(float64(d.Microseconds())/1000, name+"-ms")
			if name != "hello" {
				b.ReportMetric(float64(d)/float64(medians["hello"]), name+"/hello")
			}
		}
		p.Close()
	}
}

// coldStart stops the function's instances and times one invoke, from process start to
// the first response.
func coldStart(b *testing.B, runtime *lambda.Runtime, name string, payload []byte) time.Duration {
	if err := runtime.StopInstances(name); err != nil {
		b.Fatal(err)
	}
	begin := time.Now()
	response, err := runtime.Invoke(context.Background(), name, payload)
	elapsed := time.Since(begin)
	if err != nil || (response.FunctionError != "" && name != settings.FunctionEnqueue) {
		b.Fatalf("cold invoke of %s: %v %s", name, err, response.Payload)
	}
	if response.InitDuration == 0 {
		b.Fatalf("invoke of %s after StopInstances was not a cold start", name)
	}
	var decoded any
	if len(response.Payload) > 0 && json.Unmarshal(response.Payload, &decoded) != nil {
		b.Fatalf("%s answered with invalid JSON %q", name, response.Payload)
	}
	return elapsed
}

// BenchmarkPipelineThroughput runs 10,000 checksum jobs through enqueue, the jobs queue,
// process, the results topic and notified, and reports jobs per second from the first
// enqueue to the last notification, and AWS API calls per job by action.
//
//	go test -run '^$' -bench PipelineThroughput -benchtime 1x ./internal/localpipeline/
func BenchmarkPipelineThroughput(b *testing.B) {
	const jobs = 10000
	for range b.N {
		tracker := NewTracker()
		p := startPipeline(b, benchSettings(b), tracker, nil)
		work := make([]job.Job, jobs)
		for i := range work {
			work[i] = job.Job{ID: fmt.Sprintf("bench-%05d", i), Task: "checksum", Input: fmt.Sprintf("input %d", i)}
		}

		start := time.Now()
		outcome, err := p.Submit(context.Background(), work)
		if err != nil || outcome.Queued != jobs {
			b.Fatalf("submit: queued %d of %d: %v", outcome.Queued, jobs, err)
		}
		for _, o := range outcome.Jobs {
			tracker.Submitted(o.ID)
		}
		report := waitDrained(b, p, tracker, 5*time.Minute)
		elapsed := time.Since(start)
		if !report.Drained() {
			b.Fatalf("%d jobs missing after %s", len(report.Missing), elapsed)
		}

		calls := p.Cloud.Calls()
		var pipelineCalls int64
		for _, action := range []string{"sqs:SendMessageBatch", "sqs:ReceiveMessage", "sqs:DeleteMessageBatch", "sns:PublishBatch"} {
			pipelineCalls += calls[action]
			b.ReportMetric(float64(calls[action])/jobs, action+"/job")
		}
		b.ReportMetric(float64(jobs)/elapsed.Seconds(), "jobs/s")
		b.ReportMetric(float64(pipelineCalls)/jobs, "calls/job")
		b.ReportMetric(float64(report.LatencyP50.Milliseconds()), "p50-ms")
		b.ReportMetric(float64(report.LatencyP99.Milliseconds()), "p99-ms")
		b.Logf("%d jobs in %s; calls %v; mapping %+v", jobs, elapsed.Round(time.Millisecond), calls, p.Mapping.Stats())
		p.Close()
	}
}
