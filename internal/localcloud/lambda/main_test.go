package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bootstraps built once for the whole test binary from testdata.
var (
	echoBootstrap  string
	helloBootstrap string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambda-bootstraps-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBootstrap, err = buildBootstrap(dir, "echo")
	if err == nil {
		helloBootstrap, err = buildBootstrap(dir, "hello")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBootstrap builds testdata/NAME into DIR/NAME/bootstrap, as Lambda's provided
// runtimes expect the binary to be named.
func buildBootstrap(dir, name string) (string, error) {
	out := filepath.Join(dir, name, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build testdata/%s: %v\n%s", name, err, output)
	}
	return out, nil
}

// newTestRuntime returns a runtime closed at the end of the test.
func newTestRuntime(t testing.TB, cfg Config) *Runtime {
	t.Helper()
	if cfg.ShutdownGrace == 0 {
		cfg.ShutdownGrace = 500 * time.Millisecond
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// register registers the echo bootstrap as "echo" unless fn sets a name or bootstrap.
func register(t testing.TB, r *Runtime, fn Function) {
	t.Helper()
	if fn.Name == "" {
		fn.Name = "echo"
	}
	if fn.Bootstrap == "" {
		fn.Bootstrap = echoBootstrap
	}
	if err := r.Register(fn); err != nil {
		t.Fatalf("Register: %v", err)
	}
}

func invoke(t testing.TB, r *Runtime, name, payload string) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := r.Invoke(ctx, name, []byte(payload))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return resp
}

// echoResult is what the echo bootstrap returns for its default action.
type echoResult struct {
	Event         json.RawMessage   `json:"event"`
	RequestID     string            `json:"requestId"`
	FunctionARN   string            `json:"functionArn"`
	ClientContext map[string]string `json:"clientContext"`
	CognitoPoolID string            `json:"cognitoPoolId"`
	DeadlineMs    int64             `json:"deadlineMs"`
	TraceID       string            `json:"traceId"`
	PID           int               `json:"pid"`
	Invocation    int               `json:"invocation"`
}

func decodeEcho(t testing.TB, resp Response) echoResult {
	t.Helper()
	if resp.FunctionError != "" {
		t.Fatalf("function error %q: %s", resp.FunctionError, resp.Payload)
	}
	var out echoResult
	if err := json.Unmarshal(resp.Payload, &out); err != nil {
		t.Fatalf("decode echo response %s: %v", resp.Payload, err)
	}
	return out
}

type lambdaError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func decodeError(t testing.TB, resp Response) lambdaError {
	t.Helper()
	if resp.FunctionError != FunctionErrorUnhandled {
		t.Fatalf("FunctionError = %q, want %q (payload %s)", resp.FunctionError, FunctionErrorUnhandled, resp.Payload)
	}
	var e lambdaError
	if err := json.Unmarshal(resp.Payload, &e); err != nil {
		t.Fatalf("decode error payload %s: %v", resp.Payload, err)
	}
	return e
}

// syncBuffer is a bytes.Buffer safe for the runtime's log goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond every 10ms for up to 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func containsLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return true
		}
	}
	return false
}
