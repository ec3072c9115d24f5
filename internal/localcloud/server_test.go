package localcloud

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestObserverCallsCountedApart(t *testing.T) {
	server, err := NewServer(Config{Faults: &FaultConfig{Seed: 1, Rates: map[string]float64{"sqs:ListQueues": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(server.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
		}),
		RetryMaxAttempts: 1,
	}
	pipeline := sqs.NewFromConfig(cfg)
	observer := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(ObserverHeader, "1"))
	})
	ctx := context.Background()

	if _, err := pipeline.ListQueues(ctx, &sqs.ListQueuesInput{}); err == nil {
		t.Error("pipeline ListQueues with a fault rate of 1: succeeded, expected the injected error")
	}
	for range 3 {
		if _, err := observer.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
			t.Errorf("observer ListQueues: %v, expected no injected fault", err)
		}
	}

	if got := server.Calls()["sqs:ListQueues"]; got != 1 {
		t.Errorf("Calls sqs:ListQueues = %d, expected 1 (the pipeline's call only)", got)
	}
	if got := server.ObserverCalls()["sqs:ListQueues"]; got != 3 {
		t.Errorf("ObserverCalls sqs:ListQueues = %d, expected 3", got)
	}
	if got := server.InjectedFaults()["sqs:ListQueues"]; got != 1 {
		t.Errorf("InjectedFaults sqs:ListQueues = %d, expected 1", got)
	}
}
