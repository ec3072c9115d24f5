// Command hello is the smallest aws-lambda-go bootstrap, the baseline of cold starts.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "hello", nil })
}
