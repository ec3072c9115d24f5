// Command echo is a test bootstrap whose behaviour each event chooses with its "action":
// echo the event and the invoke context, return the environment, fail, panic, sleep, exit,
// write log lines, or return a given response. ECHO_INIT=exit makes it exit during init and
// ECHO_INIT=error makes it report an init error first.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action   string          `json:"action"`
	Message  string          `json:"message"`
	SleepMs  int             `json:"sleepMs"`
	Code     int             `json:"code"`
	Lines    []string        `json:"lines"`
	Response json.RawMessage `json:"response"`
}

var invocations atomic.Int64

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	n := invocations.Add(1)
	var e event
	if err := json.Unmarshal(actionOf(raw), &e); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()

	switch e.Action {
	case "env":
		env := map[string]string{}
		for _, kv := range os.Environ() {
			key, value, _ := strings.Cut(kv, "=")
			env[key] = value
		}
		wd, _ := os.Getwd()
		env["(cwd)"] = wd
		return env, nil
	case "error":
		fmt.Fprintln(os.Stderr, "failing request", lc.AwsRequestID)
		return nil, errors.New(e.Message)
	case "panic":
		panic(e.Message)
	case "sleep":
		select {
		case <-time.After(time.Duration(e.SleepMs) * time.Millisecond):
		case <-ctx.Done():
			time.Sleep(time.Duration(e.SleepMs) * time.Millisecond)
		}
	case "exit":
		os.Exit(e.Code)
	case "log":
		for i, line := range e.Lines {
			if i%2 == 0 {
				fmt.Fprintln(os.Stdout, line)
			} else {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	case "respond":
		return e.Response, nil
	}

	return map[string]any{
		"event":         raw,
		"requestId":     lc.AwsRequestID,
		"functionArn":   lc.InvokedFunctionArn,
		"clientContext": lc.ClientContext.Custom,
		"cognitoPoolId": lc.Identity.CognitoIdentityPoolID,
		"deadlineMs":    deadline.UnixMilli(),
		"traceId":       ctx.Value("x-amzn-trace-id"),
		"pid":           os.Getpid(),
		"invocation":    n,
	}, nil
}

// actionOf returns the body of a Function URL event, which carries the action, and any
// other event unchanged.
func actionOf(raw json.RawMessage) []byte {
	var url struct {
		Version string `json:"version"`
		Body    string `json:"body"`
	}
	if json.Unmarshal(raw, &url) == nil && url.Version == "2.0" && strings.HasPrefix(url.Body, "{") {
		return []byte(url.Body)
	}
	return raw
}

func main() {
	switch os.Getenv("ECHO_INIT") {
	case "exit":
		fmt.Fprintln(os.Stderr, "echo: init failed on purpose")
		os.Exit(3)
	case "error":
		body := []byte(`{"errorMessage":"init failed on purpose","errorType":"InitFailure"}`)
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InitFailure")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		os.Exit(4)
	}
	lambda.Start(handle)
}
