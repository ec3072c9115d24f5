package lambda

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestEnvironment(t *testing.T) {
	t.Setenv("RELAY_PARENT_ONLY", "must not leak")
	r := newTestRuntime(t, Config{
		Region:      "eu-central-1",
		SQSEndpoint: "http://127.0.0.1:4566",
		SNSEndpoint: "http://127.0.0.1:4567",
	})
	register(t, r, Function{MemoryMiB: 256, Env: map[string]string{"JOBS_QUEUE_URL": "http://127.0.0.1:4566/000000000000/relay-jobs"}})

	resp := invoke(t, r, "echo", `{"action":"env"}`)
	var env map[string]string
	if err := json.Unmarshal(resp.Payload, &env); err != nil {
		t.Fatalf("decode env %s: %v", resp.Payload, err)
	}

	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "echo",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_REGION":                      "eu-central-1",
		"AWS_DEFAULT_REGION":              "eu-central-1",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(echoBootstrap),
		"(cwd)":                           filepath.Dir(echoBootstrap),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/echo",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_EC2_METADATA_DISABLED":       "true",
		"GOMAXPROCS":                      "1", // 256 MB gets a fraction of one vCPU
		"AWS_ENDPOINT_URL_SQS":            "http://127.0.0.1:4566",
		"AWS_ENDPOINT_URL_SNS":            "http://127.0.0.1:4567",
		"JOBS_QUEUE_URL":                  "http://127.0.0.1:4566/000000000000/relay-jobs",
	}
	for key, value := range want {
		if env[key] != value {
			t.Errorf("%s = %q, want %q", key, env[key], value)
		}
	}
	for _, key := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if env[key] == "" {
			t.Errorf("%s is empty, want dummy credentials", key)
		}
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:[0-9]+$`).MatchString(env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want a loopback address", env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q, want Lambda's shape", env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if _, ok := env["RELAY_PARENT_ONLY"]; ok {
		t.Error("the parent's environment leaked into the function")
	}
	if _, ok := env["HOME"]; ok {
		t.Error("HOME is set; Lambda does not set it")
	}
}

func TestRegisterRejectsInvalidFunctions(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})

	tests := []struct {
		name string
		fn   Function
		want string
	}{
		{"duplicate", Function{Name: "echo", Bootstrap: echoBootstrap}, "already registered"},
		{"bad name", Function{Name: "no spaces", Bootstrap: echoBootstrap}, "name"},
		{"missing bootstrap", Function{Name: "x", Bootstrap: "/nonexistent/bootstrap"}, "not found"},
		{"not executable", Function{Name: "x", Bootstrap: "main_test.go"}, "not an executable"},
		{"reserved variable", Function{Name: "x", Bootstrap: echoBootstrap, Env: map[string]string{"AWS_REGION": "x"}}, "reserved"},
		{"memory", Function{Name: "x", Bootstrap: echoBootstrap, MemoryMiB: 64}, "MemoryMiB"},
		{"retries", Function{Name: "x", Bootstrap: echoBootstrap, MaxAsyncRetries: 3}, "MaxAsyncRetries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Register(tt.fn)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Register error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLogLinesArePrefixed(t *testing.T) {
	var out syncBuffer
	var mu sync.Mutex
	var seen []string
	r := newTestRuntime(t, Config{LogOutput: &out})
	register(t, r, Function{Name: "process", OnLogLine: func(line []byte) {
		mu.Lock()
		seen = append(seen, string(line))
		mu.Unlock()
	}})

	invoke(t, r, "process", `{"action":"log","lines":["{\"msg\":\"job finished\"}","to stderr","third"]}`)

	for _, want := range []string{`[process] {"msg":"job finished"}`, "[process] to stderr", "[process] third"} {
		waitFor(t, "log line "+want, func() bool { return containsLine(out.String(), want) })
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{`{"msg":"job finished"}`, "to stderr", "third"} {
		found := false
		for _, line := range seen {
			found = found || line == want
		}
		if !found {
			t.Errorf("OnLogLine never got %q (got %q)", want, seen)
		}
	}
}

func TestLineWriterSplitsAndFlushes(t *testing.T) {
	var out syncBuffer
	var lines []string
	w := newLineWriter(&logSink{w: &out}, "fn", func(line []byte) { lines = append(lines, string(line)) })

	for _, chunk := range []string{"a", "b\r\nc\n", "", "partial"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	w.flush()

	if got, want := out.String(), "[fn] ab\n[fn] c\n[fn] partial\n"; got != want {
		t.Errorf("sink got %q, want %q", got, want)
	}
	if strings.Join(lines, "|") != "ab|c|partial" {
		t.Errorf("callback got %q, want [ab c partial]", lines)
	}
}

func TestVCPUsFollowMemory(t *testing.T) {
	tests := []struct {
		memoryMiB int
		want      int
	}{
		{128, 1},
		{1769, 1},
		{1770, min(2, runtime.NumCPU())},
		{10240, min(6, runtime.NumCPU())},
	}
	for _, tt := range tests {
		if got := vcpus(tt.memoryMiB); got != tt.want {
			t.Errorf("vcpus(%d) = %d, want %d", tt.memoryMiB, got, tt.want)
		}
	}
}
