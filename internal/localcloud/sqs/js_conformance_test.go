package sqs

import (
	"testing"

	"github.com/relay-pipeline/relay/internal/localcloud/jsconformance"
)

// TestJSConformance runs the AWS SDK for JavaScript v3 conformance script against this
// package's service, so that a second client checks the same behaviour as the Go SDK.
func TestJSConformance(t *testing.T) {
	env := newTestEnv(t, false)
	jsconformance.Run(t, "sqs.test.mjs", "@aws-sdk/client-sqs", env.server.URL)
}
