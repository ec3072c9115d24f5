// Package awsconfig loads the AWS SDK configuration of a function.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Load returns the SDK's default configuration: credentials, region and
// endpoints from the environment, so the same binary talks to AWS or, with
// AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_SNS set, to a local endpoint.
func Load(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}
