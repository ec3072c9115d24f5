package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestMain(m *testing.M) {
	code := func() int {
		// The SDK configurations built by the tests and by `relay dlq --endpoint` must not
		// read the developer's AWS files, profile or region, nor probe the instance
		// metadata service.
		home, err := os.MkdirTemp("", "relay-cli-test-")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(home)
		for _, name := range []string{"config", "credentials"} {
			if err := os.WriteFile(filepath.Join(home, name), nil, 0o600); err != nil {
				panic(err)
			}
		}
		os.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
		os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
		os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		os.Setenv("AWS_REGION", "us-east-1")
		for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "RELAY_DLQ_URL"} {
			os.Unsetenv(name)
		}

		defer removeBootstraps()
		return m.Run()
	}()
	os.Exit(code)
}

// runCLI runs the CLI with args and empty standard input, and returns its standard output,
// standard error and error.
func runCLI(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var out, errOut lockedBuffer
	err = run(ctx, args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRunRejectsBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "event.txt")
	if err := os.WriteFile(notJSON, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no-such-event.json")

	tests := []struct {
		name      string
		args      []string
		wantUsage bool     // errors.Is(err, errUsage)
		want      []string // substrings of the error
	}{
		{"no command", nil, true, []string{"a command is required"}},
		{"unknown command", []string{"frobnicate"}, true, []string{`"frobnicate"`}},
		{"cloud with arguments", []string{"cloud", "extra"}, true, []string{"extra"}},
		{"cloud unknown flag", []string{"cloud", "--port", "1"}, true, []string{"-port"}},

		{"invoke without function", []string{"invoke"}, true, []string{"FUNCTION", "enqueue, process or notified"}},
		{"invoke flag first", []string{"invoke", "--event", "x.json"}, true, []string{"FUNCTION"}},
		{"invoke without event", []string{"invoke", "process"}, true, []string{"--event"}},
		{"invoke unknown function", []string{"invoke", "nosuch", "--event", notJSON}, true, []string{`"nosuch"`}},
		{"invoke missing event file", []string{"invoke", "process", "--event", missing}, false, []string{missing}},
		{"invoke event not JSON", []string{"invoke", "process", "--event", notJSON}, false, []string{notJSON, "not valid JSON"}},

		{"local until-drained without jobs", []string{"local", "--until-drained"}, true, []string{"--until-drained", "--jobs"}},
		{"local unknown setting", []string{"local", "-c", "nosuchkey=1"}, true, []string{`"nosuchkey"`, "retryBackoff"}},
		{"local setting without value", []string{"local", "-c", "retryBackoff"}, true, []string{`"retryBackoff" is not key=value`}},
		{"local setting without key", []string{"local", "-c", "=1"}, true, []string{`"=1" is not key=value`}},
		{"local setting bad value", []string{"local", "-c", "retryBackoff=soon"}, false, []string{"retryBackoff", `"soon"`}},
		{"local setting out of range", []string{"local", "-c", "maxReceiveCount=2"}, false, []string{"maxReceiveCount", "2"}},
		{"local delivery delay longer", []string{"local", "--delivery-delay", "10m"}, true, []string{"--delivery-delay 10m0s", "5s"}},
		{"local delivery delay invalid", []string{"local", "--delivery-delay", "soon"}, true, []string{`--delivery-delay "soon"`}},
		{"local fault rate invalid", []string{"local", "--fault", "sns:PublishBatch=lots"}, true, []string{"sns:PublishBatch=lots"}},
		{"local stray argument", []string{"local", "stray"}, true, []string{"stray"}},
		{"local missing jobs file", []string{"local", "--jobs", missing}, false, []string{missing}},

		{"dlq without subcommand", []string{"dlq"}, true, []string{"list, redrive or purge"}},
		{"dlq unknown subcommand", []string{"dlq", "frob", "--dlq-url", "http://127.0.0.1:1/000000000000/q"}, true, []string{`"frob"`}},
		{"dlq without url", []string{"dlq", "list"}, true, []string{"--dlq-url", "RELAY_DLQ_URL"}},
		{"dlq max zero", []string{"dlq", "list", "--dlq-url", "http://127.0.0.1:1/000000000000/q", "--max", "0"}, true, []string{"--max 0"}},
		{"dlq reason on list", []string{"dlq", "list", "--reason", "x"}, true, []string{"-reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _, err := runCLI(ctx, tt.args...)
			if err == nil {
				t.Fatalf("relay %s returned nil, want an error", strings.Join(tt.args, " "))
			}
			t.Logf("error: %v", err)
			if got := errors.Is(err, errUsage); got != tt.wantUsage {
				t.Errorf("errors.Is(err, errUsage) = %v, want %v (err: %v)", got, tt.wantUsage, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestRunHelpPrintsUsage(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		stdout, _, err := runCLI(context.Background(), arg)
		if err != nil {
			t.Errorf("relay %s: %v", arg, err)
		}
		for _, command := range []string{"relay cloud", "relay local", "relay invoke", "relay dlq"} {
			if !strings.Contains(stdout, command) {
				t.Errorf("relay %s output does not mention %q:\n%s", arg, command, stdout)
			}
		}
	}
}

var endpointPattern = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// waitForEndpoint waits until out shows the local cloud's URL and returns it.
func waitForEndpoint(t *testing.T, out *lockedBuffer, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if url := endpointPattern.FindString(out.String()); url != "" {
			return url
		}
		select {
		case err := <-done:
			t.Fatalf("relay cloud returned %v before printing its endpoint; output:\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("relay cloud printed no endpoint within 10s; output:\n%s", out.String())
	return ""
}

func TestCloudServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"cloud", "--addr", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	}()
	url := waitForEndpoint(t, &stdout, done)

	callCtx, callCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer callCancel()
	sqsClient := sqs.NewFromConfig(testAWSConfig(url))
	created, err := sqsClient.CreateQueue(callCtx, &sqs.CreateQueueInput{QueueName: aws.String("cli-cloud")})
	if err != nil {
		t.Fatalf("CreateQueue through relay cloud: %v", err)
	}
	if _, err := sqsClient.SendMessage(callCtx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String("hello")}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	received, err := sqsClient.ReceiveMessage(callCtx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(received.Messages) != 1 || aws.ToString(received.Messages[0].Body) != "hello" {
		t.Errorf("received %d messages, want the one sent with body hello", len(received.Messages))
	}
	topic, err := sns.NewFromConfig(testAWSConfig(url)).CreateTopic(callCtx, &sns.CreateTopicInput{Name: aws.String("cli-cloud")})
	if err != nil {
		t.Fatalf("CreateTopic through relay cloud: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(topic.TopicArn), ":cli-cloud") {
		t.Errorf("topic ARN = %q, want one ending in :cli-cloud", aws.ToString(topic.TopicArn))
	}

	select {
	case err := <-done:
		t.Fatalf("relay cloud returned %v before its context was cancelled", err)
	default:
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("relay cloud returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("relay cloud did not return within 10s of its context being cancelled")
	}

	// The port is closed now.
	client := sqs.NewFromConfig(testAWSConfig(url), func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	if _, err := client.ListQueues(callCtx, &sqs.ListQueuesInput{}); err == nil {
		t.Error("ListQueues succeeded after relay cloud stopped")
	}
}

// testAWSConfig returns an SDK configuration with dummy credentials that sends every call to
// endpoint.
func testAWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "relay CLI tests"}, nil
		}),
	}
}
