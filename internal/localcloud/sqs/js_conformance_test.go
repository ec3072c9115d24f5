package sqs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestJSConformance runs internal/localcloud/jsconformance/sqs.test.mjs with node against
// this package's service, so the AWS SDK for JavaScript v3 checks the same behaviour as the
// Go SDK. It fails when node or the repository's node_modules is missing: run npm ci first.
func TestJSConformance(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): install Node.js 20 or later to run the JS SDK conformance tests", err)
	}
	script, err := filepath.Abs(filepath.Join("..", "jsconformance", "sqs.test.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	sdk := filepath.Join("..", "..", "..", "node_modules", "@aws-sdk", "client-sqs")
	if _, err := os.Stat(sdk); err != nil {
		t.Fatalf("@aws-sdk/client-sqs is not installed at %s (%v): run npm ci in the repository root", sdk, err)
	}

	env := newTestEnv(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", script)
	cmd.Env = append(os.Environ(), "RELAY_ENDPOINT="+env.server.URL, "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s failed: %v\n%s", script, err, out)
	}
	t.Logf("node --test %s:\n%s", script, out)
}
