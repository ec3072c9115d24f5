// Package awsconfig builds a function's AWS SDK configuration from the environment that
// Lambda gives it, so the same binary talks to AWS or, with AWS_ENDPOINT_URL_SQS and
// AWS_ENDPOINT_URL_SNS set, to a local endpoint.
//
// It reads only environment variables. The SDK's config package also reads shared config
// files and can reach SSO, STS and the instance metadata service; it adds about 1.5 ms of
// package initialisation and more of loading to every cold start (measured with
// GODEBUG=inittrace=1 on the process bootstrap), and a Lambda function needs none of it,
// because Lambda puts the execution role's credentials in the environment.
package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Load returns the configuration: the region from AWS_REGION (or AWS_DEFAULT_REGION), and
// credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. It
// returns an error naming each missing variable.
func Load(getenv func(name string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	credentials := aws.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
		Source:          "EnvironmentVariables",
	}

	var missing []error
	if region == "" {
		missing = append(missing, errors.New("AWS_REGION is not set: Lambda sets it; set it when you run the bootstrap yourself"))
	}
	if credentials.AccessKeyID == "" || credentials.SecretAccessKey == "" {
		missing = append(missing, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set: Lambda sets them from the execution role"))
	}
	if err := errors.Join(missing...); err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}

	return aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return credentials, nil
		})),
		BaseEndpoint: optional(getenv("AWS_ENDPOINT_URL")),
	}, nil
}

// Endpoint returns the endpoint for a service from AWS_ENDPOINT_URL_<SERVICE> (service as
// the SDK names it, such as "SQS" or "SNS"), falling back to AWS_ENDPOINT_URL, or nil for
// the service's AWS endpoint.
func Endpoint(getenv func(name string) string, service string) *string {
	if v := getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(service)); v != "" {
		return &v
	}
	return optional(getenv("AWS_ENDPOINT_URL"))
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}
