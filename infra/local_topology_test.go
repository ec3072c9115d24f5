package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/relay-pipeline/relay/internal/localpipeline"
	"github.com/relay-pipeline/relay/internal/settings"
)

// TestLocalTopologyMatchesTemplate starts the local pipeline and the synthesized stack from
// the same settings, then compares what the local cloud and runtime were given with what
// CloudFormation would create: queue attributes and redrive, function timeouts, memory
// and environment, the event source mapping, the subscription and the on-failure
// destination. A change to one side alone fails it.
func TestLocalTopologyMatchesTemplate(t *testing.T) {
	overrides := map[string]any{settings.KeyDeliveryDelay: "7", settings.KeyMaxReceiveCount: "6", settings.KeyBatchSize: "8"}
	_, tmpl := synth(t, overrides)
	s, err := settings.Load(func(key string) any { return overrides[key] })
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pipeline, err := localpipeline.Start(ctx, localpipeline.Options{Settings: s, BootstrapDir: testAssetRoot(t)})
	if err != nil {
		t.Fatalf("start the local pipeline: %v", err)
	}
	defer pipeline.Close()

	// Logical ID in the template -> name in the local topology.
	queueOf := map[string]string{}
	for name, id := range queueIDs() {
		queueOf[mustID(t, tmpl, id)] = name
	}
	functionOf := map[string]string{}
	for _, f := range s.Functions() {
		functionOf[mustID(t, tmpl, functionID(f.Name))] = f.Name
	}
	topicOf := map[string]string{mustID(t, tmpl, idResultsTopic): settings.TopicResults}

	compareQueues(ctx, t, tmpl, pipeline, queueOf)
	compareFunctions(t, tmpl, pipeline, functionOf, queueOf, topicOf)
	compareMapping(t, tmpl, pipeline, functionOf, queueOf)
	compareSubscription(ctx, t, tmpl, pipeline, functionOf)
	compareAsyncConfig(t, tmpl, pipeline, functionOf, queueOf)
}

func compareQueues(ctx context.Context, t *testing.T, tmpl *template, p *localpipeline.Pipeline, queueOf map[string]string) {
	for logicalID, name := range queueOf {
		props := tmpl.Resources[logicalID].Properties
		out, err := p.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(p.QueueURLs[name]),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("queue %s: %v", name, err)
		}
		local := out.Attributes
		for _, attr := range []string{"DelaySeconds", "VisibilityTimeout", "MessageRetentionPeriod"} {
			want := "0"
			if v, ok := props[attr]; ok {
				want = strconv.Itoa(int(number(t, v)))
			}
			if attr == "VisibilityTimeout" && props[attr] == nil {
				want = "30" // the SQS default
			}
			if local[attr] != want {
				t.Errorf("queue %s %s: local %s, template %s", name, attr, local[attr], want)
			}
		}

		templatePolicy, hasPolicy := props["RedrivePolicy"].(map[string]any)
		localPolicy := local["RedrivePolicy"]
		if hasPolicy != (localPolicy != "") {
			t.Errorf("queue %s: redrive policy in template %v, locally %q", name, hasPolicy, localPolicy)
			continue
		}
		if !hasPolicy {
			continue
		}
		var decoded struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(localPolicy), &decoded); err != nil {
			t.Fatalf("queue %s: local RedrivePolicy %q: %v", name, localPolicy, err)
		}
		if want := int(number(t, templatePolicy["maxReceiveCount"])); decoded.MaxReceiveCount != want {
			t.Errorf("queue %s maxReceiveCount: local %d, template %d", name, decoded.MaxReceiveCount, want)
		}
		targetID := firstArg(templatePolicy["deadLetterTargetArn"])
		if want := p.QueueARNs[queueOf[targetID]]; decoded.DeadLetterTargetArn != want {
			t.Errorf("queue %s dead-letter target: local %s, template %s (%s)", name, decoded.DeadLetterTargetArn, targetID, want)
		}
	}
}

// firstArg returns the logical ID in {"Ref": id} or {"Fn::GetAtt": [id, attr]}.
func firstArg(v any) string {
	m, _ := v.(map[string]any)
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if args := asSlice(m["Fn::GetAtt"]); len(args) > 0 {
		id, _ := args[0].(string)
		return id
	}
	return ""
}

func compareFunctions(t *testing.T, tmpl *template, p *localpipeline.Pipeline, functionOf, queueOf, topicOf map[string]string) {
	for logicalID, name := range functionOf {
		props := tmpl.Resources[logicalID].Properties
		local, ok := p.Functions[name]
		if !ok {
			t.Errorf("function %s is in the template but not started locally", name)
			continue
		}
		if want := time.Duration(number(t, props["Timeout"])) * time.Second; local.Timeout != want {
			t.Errorf("function %s timeout: local %s, template %s", name, local.Timeout, want)
		}
		if want := int(number(t, props["MemorySize"])); local.MemoryMiB != want {
			t.Errorf("function %s memory: local %d MiB, template %d MiB", name, local.MemoryMiB, want)
		}

		environment, _ := props["Environment"].(map[string]any)
		variables, _ := environment["Variables"].(map[string]any)
		if len(variables) != len(local.Env) {
			t.Errorf("function %s environment: local has %d variables %v, template %d %v", name, len(local.Env), local.Env, len(variables), show(variables))
		}
		for key, value := range variables {
			want, isString := value.(string)
			if !isString {
				resource := firstArg(value)
				switch {
				case queueOf[resource] != "":
					want = p.QueueURLs[queueOf[resource]]
				case topicOf[resource] != "":
					want = p.TopicARNs[topicOf[resource]]
				default:
					t.Errorf("function %s variable %s refers to %s, which the local topology lacks", name, key, show(value))
					continue
				}
			}
			if local.Env[key] != want {
				t.Errorf("function %s variable %s: local %q, expected %q", name, key, local.Env[key], want)
			}
		}
	}
}

func compareMapping(t *testing.T, tmpl *template, p *localpipeline.Pipeline, functionOf, queueOf map[string]string) {
	mappings := tmpl.ofType("AWS::Lambda::EventSourceMapping")
	if len(mappings) != len(p.Mappings) {
		t.Fatalf("event source mappings: template %d, local %d", len(mappings), len(p.Mappings))
	}
	for _, m := range mappings {
		queue := queueOf[firstArg(m.Properties["EventSourceArn"])]
		local, ok := p.Mappings[queue]
		if !ok {
			t.Errorf("mapping on queue %q is in the template but not local", queue)
			continue
		}
		if got := functionOf[firstArg(m.Properties["FunctionName"])]; got != settings.FunctionProcess {
			t.Errorf("mapping on %s invokes %q in the template, expected %s", queue, got, settings.FunctionProcess)
		}
		if want := int(number(t, m.Properties["BatchSize"])); local.BatchSize != want {
			t.Errorf("mapping batch size: local %d, template %d", local.BatchSize, want)
		}
		window := 0.0
		if v, ok := m.Properties["MaximumBatchingWindowInSeconds"]; ok {
			window = number(t, v)
		}
		if want := time.Duration(window) * time.Second; local.BatchingWindow != want {
			t.Errorf("mapping batching window: local %s, template %s", local.BatchingWindow, want)
		}
		scaling, _ := m.Properties["ScalingConfig"].(map[string]any)
		if want := int(number(t, scaling["MaximumConcurrency"])); local.MaximumConcurrency != want {
			t.Errorf("mapping maximum concurrency: local %d, template %d", local.MaximumConcurrency, want)
		}
		reports := jsonEqual(m.Properties["FunctionResponseTypes"], []string{"ReportBatchItemFailures"})
		if local.ReportBatchItemFailures != reports {
			t.Errorf("mapping ReportBatchItemFailures: local %v, template %v", local.ReportBatchItemFailures, reports)
		}
	}
}

func compareSubscription(ctx context.Context, t *testing.T, tmpl *template, p *localpipeline.Pipeline, functionOf map[string]string) {
	out, err := p.SNS.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var lambdaSubscriptions []string
	for _, s := range out.Subscriptions {
		if aws.ToString(s.Protocol) == settings.ProtocolLambda {
			lambdaSubscriptions = append(lambdaSubscriptions, aws.ToString(s.Endpoint))
		}
	}
	var want []string
	for _, s := range tmpl.ofType("AWS::SNS::Subscription") {
		if s.Properties["Protocol"] == settings.ProtocolLambda {
			want = append(want, p.Runtime.FunctionARN(functionOf[firstArg(s.Properties["Endpoint"])]))
		}
	}
	if !jsonEqual(lambdaSubscriptions, want) {
		t.Errorf("lambda subscriptions: local %v, template %v", lambdaSubscriptions, want)
	}
}

func compareAsyncConfig(t *testing.T, tmpl *template, p *localpipeline.Pipeline, functionOf, queueOf map[string]string) {
	configs := tmpl.ofType("AWS::Lambda::EventInvokeConfig")
	if len(configs) == 0 {
		t.Fatal("template has no EventInvokeConfig for notified's retries and on-failure destination")
	}
	for _, c := range configs {
		name := functionOf[firstArg(c.Properties["FunctionName"])]
		if name == "" {
			name = fmt.Sprint(c.Properties["FunctionName"])
			for id, fn := range functionOf {
				if name == id {
					name = fn
				}
			}
		}
		local, ok := p.Functions[name]
		if !ok {
			t.Errorf("EventInvokeConfig for %s, which is not a local function", show(c.Properties["FunctionName"]))
			continue
		}
		if want := int(number(t, c.Properties["MaximumRetryAttempts"])); local.MaxAsyncRetries != want {
			t.Errorf("function %s asynchronous retries: local %d, template %d", name, local.MaxAsyncRetries, want)
		}
		destination, _ := c.Properties["DestinationConfig"].(map[string]any)
		onFailure, _ := destination["OnFailure"].(map[string]any)
		if queue := queueOf[firstArg(onFailure["Destination"])]; queue == "" || local.OnFailure == nil {
			t.Errorf("function %s on-failure destination: template %s, local set %v", name, show(onFailure), local.OnFailure != nil)
		}
	}
}
