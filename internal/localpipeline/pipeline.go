// Package localpipeline runs relay's whole pipeline on the local cloud: the queues, topic,
// functions, event source mapping, subscription and Function URL that the CDK stack
// declares, built from the same settings.Topology, with the real bootstrap binaries.
package localpipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/relay-pipeline/relay/internal/localcloud"
	"github.com/relay-pipeline/relay/internal/localcloud/esm"
	"github.com/relay-pipeline/relay/internal/localcloud/lambda"
	"github.com/relay-pipeline/relay/internal/settings"
)

// Options configures a local pipeline.
type Options struct {
	// Settings are the tunables; build them with settings.Default and WithOverrides.
	Settings settings.Settings
	// BootstrapDir contains <function>/bootstrap for each function, built for this machine.
	BootstrapDir string
	// CloudAddr is the local cloud's listen address. Empty means an ephemeral loopback port.
	CloudAddr string
	// FunctionURLAddr is the listen address of enqueue's Function URL. Empty means an
	// ephemeral loopback port.
	FunctionURLAddr string
	// Region and AccountID default to us-east-1 and 000000000000.
	Region, AccountID string
	// FunctionLogs receives every function's log lines, prefixed with the function name.
	// Nil discards them.
	FunctionLogs io.Writer
	// OnLogLine, when set, receives each log line of the named function, without prefix.
	OnLogLine func(function string, line []byte)
	// CloudFaults and RuntimeFaults inject faults into the local cloud and the runtime.
	CloudFaults   *localcloud.FaultConfig
	RuntimeFaults *lambda.Faults
	// AsyncRetryDelay overrides the wait before the first asynchronous retry (about a
	// minute on AWS; the second waits twice as long). Zero keeps the runtime's default.
	AsyncRetryDelay time.Duration
	// Logger receives the local cloud's and runtime's own logs. Nil discards them.
	Logger *slog.Logger
	// NoEventSourceMappings leaves the queues unpolled, for invoking a function by hand.
	NoEventSourceMappings bool
}

// Pipeline is a running local pipeline. Stop it with Close.
type Pipeline struct {
	Cloud   *localcloud.Server
	Runtime *lambda.Runtime
	Mapping *esm.Mapping
	// SQS and SNS are SDK clients of the local cloud.
	SQS *sqs.Client
	SNS *sns.Client
	// Observer and ObserverSNS are clients whose calls the local cloud counts apart from
	// the pipeline's (localcloud.ObserverHeader), for progress and accounting.
	Observer    *sqs.Client
	ObserverSNS *sns.Client
	// QueueURLs maps each topology queue name to its URL; TopicARNs each topic name to its
	// ARN.
	QueueURLs map[string]string
	QueueARNs map[string]string
	TopicARNs map[string]string
	// FunctionURL is enqueue's Function URL, such as http://127.0.0.1:41234/.
	FunctionURL string
	// Functions and Mappings are the function and event source mapping configurations the
	// pipeline started, by name and by queue name, for comparing them with the stack.
	Functions map[string]lambda.Function
	Mappings  map[string]esm.Config

	topology   settings.Topology
	urlServer  *http.Server
	closeFuncs []func() error
}

// Start builds the topology on a new local cloud and starts the functions. On error it
// stops what it started.
func Start(ctx context.Context, opts Options) (p *Pipeline, err error) {
	if err := opts.Settings.Validate(); err != nil {
		return nil, err
	}
	if err := checkBootstraps(opts.BootstrapDir); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	started := &Pipeline{
		topology:  opts.Settings.Topology(),
		QueueURLs: map[string]string{},
		QueueARNs: map[string]string{},
		TopicARNs: map[string]string{},
		Functions: map[string]lambda.Function{},
		Mappings:  map[string]esm.Config{},
	}
	// The returns below set the named result p to nil, so the cleanup closes started.
	defer func() {
		if err != nil {
			started.Close()
		}
	}()
	p = started

	p.Cloud, err = localcloud.NewServer(localcloud.Config{
		Addr: opts.CloudAddr, AccountID: opts.AccountID, Region: opts.Region,
		Logger: logger, Faults: opts.CloudFaults,
	})
	if err != nil {
		return nil, err
	}
	p.closeFuncs = append(p.closeFuncs, p.Cloud.Close)
	awsConfig := localAWSConfig(opts.Region, p.Cloud.URL())
	p.SQS = sqs.NewFromConfig(awsConfig)
	markObserver := smithyhttp.AddHeaderValue(localcloud.ObserverHeader, "1")
	p.Observer = sqs.NewFromConfig(awsConfig, func(o *sqs.Options) { o.APIOptions = append(o.APIOptions, markObserver) })
	p.ObserverSNS = sns.NewFromConfig(awsConfig, func(o *sns.Options) { o.APIOptions = append(o.APIOptions, markObserver) })
	p.SNS = sns.NewFromConfig(awsConfig)

	if err := p.createQueues(ctx); err != nil {
		return nil, err
	}
	if err := p.createTopics(ctx); err != nil {
		return nil, err
	}
	if err := p.startFunctions(ctx, opts, logger); err != nil {
		return nil, err
	}
	if err := p.subscribe(ctx); err != nil {
		return nil, err
	}
	if err := p.startFunctionURL(opts.FunctionURLAddr, logger); err != nil {
		return nil, err
	}
	if !opts.NoEventSourceMappings {
		if err := p.startMappings(ctx, opts.Region, logger); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkBootstraps reports every missing bootstrap with the command that builds it.
func checkBootstraps(dir string) error {
	var missing []error
	for _, name := range []string{settings.FunctionEnqueue, settings.FunctionProcess, settings.FunctionNotified} {
		path := filepath.Join(dir, name, "bootstrap")
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, fmt.Errorf("bootstrap %s not found: run `make build-local` first, or pass the folder that contains <function>/bootstrap", path))
		}
	}
	return errors.Join(missing...)
}

// Topology returns the topology the pipeline was built from.
func (p *Pipeline) Topology() settings.Topology { return p.topology }

// Close stops the pipeline in the order that loses no work: the event source mapping and
// the Function URL first, then the functions, then the local cloud. It is safe to call
// more than once.
func (p *Pipeline) Close() error {
	var errs []error
	for i := len(p.closeFuncs) - 1; i >= 0; i-- {
		errs = append(errs, p.closeFuncs[i]())
	}
	p.closeFuncs = nil
	return errors.Join(errs...)
}

// localAWSConfig returns an SDK configuration with dummy credentials that sends every call
// to the local cloud.
func localAWSConfig(region, endpoint string) aws.Config {
	if region == "" {
		region = "us-east-1"
	}
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "relay local pipeline"}, nil
		}),
		RetryMaxAttempts: 3,
		HTTPClient: &http.Client{Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        64,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}},
	}
}
