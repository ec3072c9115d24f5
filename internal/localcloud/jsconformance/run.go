// Package jsconformance runs the local cloud's conformance scripts, written for node's test
// runner with the AWS SDK for JavaScript v3, against a service under test. The JS SDK is a
// second, independent client: its checksum checks and typed exceptions must pass too.
package jsconformance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Run runs script (a file of this folder, such as "sqs.test.mjs") with `node --test` against
// endpoint, with dummy credentials, and fails t with node's output when a case fails. It
// fails rather than skips when node or the npm package module (such as
// "@aws-sdk/client-sqs") is missing, and names the command that installs it.
func Run(t testing.TB, script, module, endpoint string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): install Node.js 20 or later to run the JS SDK conformance tests", err)
	}
	_, thisFile, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(thisFile), script)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("conformance script: %v", err)
	}
	if findNodeModule(filepath.Dir(path), module) == "" {
		t.Fatalf("%s is not installed in any node_modules above %s: run `make deps` (npm ci) in the repository root", module, path)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", path)
	cmd.Dir = filepath.Dir(path)
	cmd.Env = append(os.Environ(),
		"RELAY_ENDPOINT="+endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY=local-secret",
		"AWS_REGION=us-east-1",
	)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", script, err, output)
	}
	t.Logf("node --test %s:\n%s", script, output)
}

// findNodeModule returns the folder of module in the nearest node_modules at or above dir,
// the way node resolves packages, or "" when there is none.
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
