package sns

import (
	"testing"

	"github.com/relay-pipeline/relay/internal/localcloud/jsconformance"
)

// TestJSConformance runs the AWS SDK for JavaScript v3 conformance script against a service
// on 127.0.0.1.
func TestJSConformance(t *testing.T) {
	env := newTestEnv(t)
	jsconformance.Run(t, "sns.test.mjs", "@aws-sdk/client-sns", env.server.URL)
}
