package localpipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/localcloud/esm"
	"github.com/relay-pipeline/relay/internal/localcloud/lambda"
	"github.com/relay-pipeline/relay/internal/settings"
)

// createQueues creates every queue, dead-letter queues first so that a redrive policy can
// name its target's ARN.
func (p *Pipeline) createQueues(ctx context.Context) error {
	ordered := make([]settings.Queue, 0, len(p.topology.Queues))
	for _, q := range p.topology.Queues {
		if q.DeadLetterQueue == "" {
			ordered = append(ordered, q)
		}
	}
	for _, q := range p.topology.Queues {
		if q.DeadLetterQueue != "" {
			ordered = append(ordered, q)
		}
	}

	for _, q := range ordered {
		attrs := map[string]string{
			string(sqstypes.QueueAttributeNameDelaySeconds):           seconds(q.DeliveryDelay),
			string(sqstypes.QueueAttributeNameVisibilityTimeout):      seconds(q.VisibilityTimeout),
			string(sqstypes.QueueAttributeNameMessageRetentionPeriod): seconds(q.Retention),
		}
		if q.DeadLetterQueue != "" {
			target, ok := p.QueueARNs[q.DeadLetterQueue]
			if !ok {
				return fmt.Errorf("queue %s: dead-letter queue %s is not in the topology", q.Name, q.DeadLetterQueue)
			}
			policy, err := json.Marshal(map[string]any{"deadLetterTargetArn": target, "maxReceiveCount": q.MaxReceiveCount})
			if err != nil {
				return err
			}
			attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(policy)
		}
		out, err := p.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.Name), Attributes: attrs})
		if err != nil {
			return fmt.Errorf("create queue %s: %w", q.Name, err)
		}
		url := aws.ToString(out.QueueUrl)
		got, err := p.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       out.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
		})
		if err != nil {
			return fmt.Errorf("get the ARN of queue %s: %w", q.Name, err)
		}
		p.QueueURLs[q.Name] = url
		p.QueueARNs[q.Name] = got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	}
	return nil
}

func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

func (p *Pipeline) createTopics(ctx context.Context) error {
	for _, t := range p.topology.Topics {
		out, err := p.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(t.Name)})
		if err != nil {
			return fmt.Errorf("create topic %s: %w", t.Name, err)
		}
		p.TopicARNs[t.Name] = aws.ToString(out.TopicArn)
	}
	return nil
}

// resourceAddress returns the URL of the named queue or the ARN of the named topic.
func (p *Pipeline) resourceAddress(name string) (string, error) {
	if url, ok := p.QueueURLs[name]; ok {
		return url, nil
	}
	if arn, ok := p.TopicARNs[name]; ok {
		return arn, nil
	}
	return "", fmt.Errorf("resource %s is not in the topology", name)
}

// startFunctions registers each function with the runtime, with the environment the stack
// gives it and the local addresses of its queues and topic.
func (p *Pipeline) startFunctions(ctx context.Context, opts Options, logger *slog.Logger) error {
	runtime, err := lambda.New(lambda.Config{
		Region:          opts.Region,
		AccountID:       opts.AccountID,
		SQSEndpoint:     p.Cloud.URL(),
		SNSEndpoint:     p.Cloud.URL(),
		LogOutput:       opts.FunctionLogs,
		Logger:          logger,
		Faults:          opts.RuntimeFaults,
		AsyncRetryDelay: opts.AsyncRetryDelay,
	})
	if err != nil {
		return err
	}
	p.Runtime = runtime
	p.closeFuncs = append(p.closeFuncs, runtime.Close)
	p.Cloud.SetFunctionInvoker(runtime)

	for _, fn := range p.topology.Functions {
		env := maps.Clone(fn.Environment)
		for variable, resource := range fn.ResourceEnvironment {
			address, err := p.resourceAddress(resource)
			if err != nil {
				return fmt.Errorf("function %s, variable %s: %w", fn.Name, variable, err)
			}
			env[variable] = address
		}

		function := lambda.Function{
			Name:            fn.Name,
			Bootstrap:       filepath.Join(opts.BootstrapDir, fn.Name, "bootstrap"),
			Timeout:         fn.Timeout,
			MemoryMiB:       fn.MemoryMiB,
			Env:             env,
			MaxInstances:    p.maxInstances(fn.Name),
			MaxAsyncRetries: fn.AsyncRetryAttempts,
		}
		if opts.OnLogLine != nil {
			name := fn.Name
			function.OnLogLine = func(line []byte) { opts.OnLogLine(name, line) }
		}
		if fn.OnFailureQueue != "" {
			function.OnFailure = p.sendToQueue(fn.OnFailureQueue)
		}
		if err := runtime.Register(function); err != nil {
			return fmt.Errorf("register function %s: %w", fn.Name, err)
		}
		p.Functions[fn.Name] = function
	}
	return nil
}

// maxInstances returns how many instances of a function may run at once. A function that
// an event source mapping invokes gets the mapping's maximum concurrency. The others get a
// fixed share of this machine, where AWS would scale them without a set bound.
func (p *Pipeline) maxInstances(function string) int {
	for _, m := range p.topology.EventSourceMappings {
		if m.Function == function {
			return m.MaxConcurrency
		}
	}
	return 8
}

// sendToQueue returns an on-failure destination that sends the record to the named queue.
func (p *Pipeline) sendToQueue(queue string) func(ctx context.Context, record []byte) error {
	return func(ctx context.Context, record []byte) error {
		_, err := p.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.QueueURLs[queue]), MessageBody: aws.String(string(record))})
		if err != nil {
			return fmt.Errorf("send to on-failure queue %s: %w", queue, err)
		}
		return nil
	}
}

func (p *Pipeline) subscribe(ctx context.Context) error {
	for _, s := range p.topology.Subscriptions {
		if s.Protocol != settings.ProtocolLambda {
			return fmt.Errorf("subscription of %s to %s: protocol %q is not supported locally", s.Endpoint, s.Topic, s.Protocol)
		}
		_, err := p.SNS.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: aws.String(p.TopicARNs[s.Topic]),
			Protocol: aws.String(s.Protocol),
			Endpoint: aws.String(p.Runtime.FunctionARN(s.Endpoint)),
		})
		if err != nil {
			return fmt.Errorf("subscribe %s to %s: %w", s.Endpoint, s.Topic, err)
		}
	}
	return nil
}

// startFunctionURL serves enqueue's Function URL on loopback.
func (p *Pipeline) startFunctionURL(addr string, logger *slog.Logger) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("function URL: listen on %s: %w", addr, err)
	}
	p.urlServer = &http.Server{
		Handler:           p.Runtime.FunctionURLHandler(settings.FunctionEnqueue),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
	}
	go func() {
		if err := p.urlServer.Serve(listener); err != nil && err != http.ErrServerClosed {
			logger.Error("function URL stopped serving", "addr", listener.Addr().String(), "err", err)
		}
	}()
	p.FunctionURL = "http://" + listener.Addr().String() + "/"
	p.closeFuncs = append(p.closeFuncs, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return p.urlServer.Shutdown(ctx)
	})
	return nil
}

// startMappings starts each event source mapping with the real SQS client.
func (p *Pipeline) startMappings(ctx context.Context, region string, logger *slog.Logger) error {
	if region == "" {
		region = "us-east-1"
	}
	for _, m := range p.topology.EventSourceMappings {
		function := m.Function
		cfg := esm.Config{
			QueueURL:                p.QueueURLs[m.Queue],
			QueueARN:                p.QueueARNs[m.Queue],
			Region:                  region,
			Client:                  p.SQS,
			BatchSize:               m.BatchSize,
			BatchingWindow:          m.BatchingWindow,
			MaximumConcurrency:      m.MaxConcurrency,
			ReportBatchItemFailures: m.ReportBatchItemFailures,
			Logger:                  logger,
			Invoke: func(ctx context.Context, payload []byte) ([]byte, string, error) {
				response, err := p.Runtime.Invoke(ctx, function, payload)
				return response.Payload, response.FunctionError, err
			},
		}
		mapping, err := esm.Start(context.WithoutCancel(ctx), cfg)
		if err != nil {
			return fmt.Errorf("event source mapping %s -> %s: %w", m.Queue, m.Function, err)
		}
		p.Mapping = mapping
		p.Mappings[m.Queue] = cfg
		p.closeFuncs = append(p.closeFuncs, mapping.Close)
	}
	return nil
}
