package lambda

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestMatchesRuntimeInterfaceEmulator runs the same bootstrap and events through this
// runtime and through AWS's Runtime Interface Emulator (aws-lambda-rie, a tool in go.mod)
// and checks that the payloads, error objects included, are byte for byte equal.
func TestMatchesRuntimeInterfaceEmulator(t *testing.T) {
	rie := buildRIE(t)
	rieURL := startRIE(t, rie, echoBootstrap)

	r := newTestRuntime(t, Config{})
	register(t, r, Function{Timeout: 10 * time.Second})

	// The emulator runs one invoke at a time and starts a new runtime after an exit.
	cases := []struct {
		name      string
		event     string
		wantError bool
	}{
		{"success", `{"action":"respond","response":{"queued":1,"jobs":[{"id":"j1","status":"queued"}]}}`, false},
		{"string response", `{"action":"respond","response":"plain"}`, false},
		{"handler error", `{"action":"error","message":"task \"sleep\" rejected the input"}`, true},
		{"runtime exit", `{"action":"exit","code":2}`, true},
		{"panic", `{"action":"panic","message":"index out of range"}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := invoke(t, r, "echo", c.event)
			// The same request id on both sides, because errors Lambda reports name it.
			want := invokeRIE(t, rieURL, c.event, got.RequestID)
			if !bytes.Equal(got.Payload, want) {
				t.Errorf("payload differs from the emulator's\n local: %s\n   rie: %s", got.Payload, want)
			}
			if gotError := got.FunctionError != ""; gotError != c.wantError {
				t.Errorf("FunctionError = %q, want an error: %v", got.FunctionError, c.wantError)
			}
		})
	}
}

// buildRIE builds the emulator pinned in go.mod into a temporary folder.
func buildRIE(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "aws-lambda-rie")
	cmd := exec.Command("go", "build", "-o", out, "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build aws-lambda-rie: %v\n%s", err, output)
	}
	return out
}

// startRIE starts the emulator on loopback ports with a clean environment and returns its
// invoke URL. The emulator passes its own environment on to the bootstrap.
func startRIE(t *testing.T, rie, bootstrap string) string {
	t.Helper()
	invokeAddr, runtimeAddr := freeLoopbackAddr(t), freeLoopbackAddr(t)
	var logs syncBuffer
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"AWS_LAMBDA_FUNCTION_NAME=echo",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=10",
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=" + localAccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + localSecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	cmd.Stdout = &logs
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start aws-lambda-rie: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("aws-lambda-rie output:\n%s", logs.String())
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", invokeAddr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie did not listen on %s within 10s:\n%s", invokeAddr, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://" + invokeAddr + "/2015-03-31/functions/function/invocations"
}

func invokeRIE(t *testing.T, url, event, requestID string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(event)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amzn-RequestId", requestID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke aws-lambda-rie: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// The emulator returns 502 when the runtime exited, after a panic or os.Exit. The body
	// is the error object all the same.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("aws-lambda-rie answered %d: %s", resp.StatusCode, body)
	}
	return body
}

// freeLoopbackAddr returns a loopback address whose port was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr())
}
