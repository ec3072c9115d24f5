package settings

import (
	"testing"
	"time"
)

func TestTopologyUsesSettings(t *testing.T) {
	s := Default()
	s.DeliveryDelay = 42 * time.Second
	s.MaxReceiveCount = 7
	s.BatchSize = 3
	s.MaxParallelJobs = 6
	s.RetryBackoff = 25 * time.Second
	s.LogLevel = "debug"
	topo := s.Topology()

	jobs, ok := topo.Queue(QueueJobs)
	if !ok {
		t.Fatalf("Topology has no queue %s", QueueJobs)
	}
	if jobs.DeliveryDelay != 42*time.Second || jobs.VisibilityTimeout != s.VisibilityTimeout || jobs.Retention != s.QueueRetention {
		t.Errorf("jobs queue = %+v, want delay 42s, visibility %s, retention %s", jobs, s.VisibilityTimeout, s.QueueRetention)
	}
	if jobs.DeadLetterQueue != QueueJobsDLQ || jobs.MaxReceiveCount != 7 {
		t.Errorf("jobs queue redrive = %s after %d, want %s after 7", jobs.DeadLetterQueue, jobs.MaxReceiveCount, QueueJobsDLQ)
	}
	for _, name := range []string{QueueJobsDLQ, QueueNotifiedFailures} {
		q, ok := topo.Queue(name)
		if !ok {
			t.Fatalf("Topology has no queue %s", name)
		}
		if q.Retention != s.DLQRetention || q.DeadLetterQueue != "" {
			t.Errorf("queue %s = %+v, want retention %s and no redrive", name, q, s.DLQRetention)
		}
	}

	if len(topo.EventSourceMappings) != 1 {
		t.Fatalf("Topology has %d event source mappings, want 1", len(topo.EventSourceMappings))
	}
	esm := topo.EventSourceMappings[0]
	want := EventSourceMapping{QueueJobs, FunctionProcess, 3, s.BatchingWindow, s.MaxConcurrency, true}
	if esm != want {
		t.Errorf("event source mapping = %+v, want %+v", esm, want)
	}

	wantSub := Subscription{Topic: TopicResults, Protocol: ProtocolLambda, Endpoint: FunctionNotified}
	if len(topo.Subscriptions) != 1 || topo.Subscriptions[0] != wantSub {
		t.Errorf("subscriptions = %+v, want [%+v]", topo.Subscriptions, wantSub)
	}

	process, ok := topo.Function(FunctionProcess)
	if !ok {
		t.Fatalf("Topology has no function %s", FunctionProcess)
	}
	for key, want := range map[string]string{EnvMaxParallelJobs: "6", EnvRetryBackoffSeconds: "25", EnvLogLevel: "debug"} {
		if got := process.Environment[key]; got != want {
			t.Errorf("process %s = %q, want %q", key, got, want)
		}
	}
	for key, want := range map[string]string{EnvJobsQueueURL: QueueJobs, EnvJobsDLQURL: QueueJobsDLQ, EnvResultsTopicARN: TopicResults} {
		if got := process.ResourceEnvironment[key]; got != want {
			t.Errorf("process %s refers to %q, want %q", key, got, want)
		}
	}
}

func TestFunctionsTimeoutsAndMemory(t *testing.T) {
	s := Default()
	want := map[string]struct {
		timeout time.Duration
		memory  int
	}{
		FunctionEnqueue:  {s.EnqueueTimeout, s.EnqueueMemoryMiB},
		FunctionProcess:  {s.ProcessTimeout, s.ProcessMemoryMiB},
		FunctionNotified: {s.NotifiedTimeout, s.NotifiedMemoryMiB},
	}
	functions := s.Functions()
	if len(functions) != len(want) {
		t.Fatalf("Functions() returned %d functions, want %d", len(functions), len(want))
	}
	for _, f := range functions {
		w, ok := want[f.Name]
		if !ok {
			t.Errorf("unexpected function %q", f.Name)
			continue
		}
		if f.Timeout != w.timeout || f.MemoryMiB != w.memory {
			t.Errorf("%s: timeout %s memory %d, want %s and %d", f.Name, f.Timeout, f.MemoryMiB, w.timeout, w.memory)
		}
		if f.Environment[EnvLogLevel] != s.LogLevel {
			t.Errorf("%s: %s = %q, want %q", f.Name, EnvLogLevel, f.Environment[EnvLogLevel], s.LogLevel)
		}
	}
}

func TestFunctionsOnlyNotifiedHasOnFailure(t *testing.T) {
	for _, f := range Default().Functions() {
		if f.Name == FunctionNotified {
			if f.OnFailureQueue != QueueNotifiedFailures || f.AsyncRetryAttempts != 2 {
				t.Errorf("notified on failure = %q after %d retries, want %q after 2", f.OnFailureQueue, f.AsyncRetryAttempts, QueueNotifiedFailures)
			}
			continue
		}
		if f.OnFailureQueue != "" {
			t.Errorf("%s on failure = %q, want none", f.Name, f.OnFailureQueue)
		}
	}
}

func TestFunctionsEnvironmentIsNotShared(t *testing.T) {
	functions := Default().Functions()
	functions[0].Environment[EnvLogLevel] = "error"
	for _, f := range functions[1:] {
		if f.Environment[EnvLogLevel] == "error" {
			t.Errorf("%s shares its environment map with %s", f.Name, functions[0].Name)
		}
	}
}

func TestAssetDirs(t *testing.T) {
	if got, want := LambdaAssetDir(FunctionProcess), ".build/lambda/process"; got != want {
		t.Errorf("LambdaAssetDir(process) = %q, want %q", got, want)
	}
	if got, want := LocalAssetDir(FunctionNotified), ".build/local/notified"; got != want {
		t.Errorf("LocalAssetDir(notified) = %q, want %q", got, want)
	}
}
