package sns

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestJSConformance runs the AWS SDK for JavaScript v3 conformance script against a service
// on 127.0.0.1. It fails, rather than skips, when node or the installed @aws-sdk/client-sns
// is missing, because the JS client is part of the conformance suite.
func TestJSConformance(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): install Node.js 20 or later to run the JS SDK conformance tests", err)
	}
	script, err := filepath.Abs(filepath.Join("..", "jsconformance", "sns.test.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("conformance script: %v", err)
	}
	if dir := findNodeModule(filepath.Dir(script), "@aws-sdk/client-sns"); dir == "" {
		t.Fatalf("@aws-sdk/client-sns is not installed in any node_modules above %s: run npm ci in the repository root", script)
	}

	env := newTestEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(),
		"RELAY_ENDPOINT="+env.server.URL,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY=local-secret",
		"AWS_REGION=us-east-1",
	)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", filepath.Base(script), err, output)
	}
	t.Logf("node --test output:\n%s", output)
}

// findNodeModule returns the directory of module in the nearest node_modules at or above
// dir, the way Node resolves packages, or "" when there is none.
func findNodeModule(dir, module string) string {
	for {
		candidate := filepath.Join(dir, "node_modules", module)
		if _, err := os.Stat(filepath.Join(candidate, "package.json")); err == nil {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
