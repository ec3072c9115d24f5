package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// Payload limits of Lambda's Invoke API.
const (
	MaxSyncPayload  = 6 * 1024 * 1024 // request and response of a RequestResponse invoke
	MaxAsyncPayload = 1024 * 1024     // event of an Event invoke
)

// FunctionErrorUnhandled is Response.FunctionError for every function error: an error the
// handler returned or panicked with, a timeout, or a runtime that exited.
const FunctionErrorUnhandled = "Unhandled"

// Response is the result of a synchronous invoke, as Lambda's Invoke API returns it.
type Response struct {
	// Payload is the function's response, or the error object when FunctionError is set.
	Payload []byte
	// FunctionError is "" on success and FunctionErrorUnhandled on a function error.
	FunctionError string
	// RequestID is the invoke's request id (Lambda-Runtime-Aws-Request-Id).
	RequestID string
	// Duration runs from the hand-over of the event to the instance until its response or
	// error (Lambda's billed duration, unrounded).
	Duration time.Duration
	// InitDuration is set when the invoke was the first one of a new instance: the time from
	// the process start until the runtime asked for its first event.
	InitDuration time.Duration
}

// InvokeOptions carries the optional context of an invoke.
type InvokeOptions struct {
	// ClientContext is the JSON of the client context (Lambda-Runtime-Client-Context).
	ClientContext string
	// CognitoIdentity is the JSON of the Cognito identity (Lambda-Runtime-Cognito-Identity).
	CognitoIdentity string
}

// invocation states; an invocation moves from queued to running or cancelled, and from
// running to done.
const (
	stateQueued int32 = iota
	stateRunning
	stateDone
	stateCancelled
)

// invocation is one attempt to run an event on an instance.
type invocation struct {
	id       string
	payload  []byte
	options  InvokeOptions
	traceID  string
	state    atomic.Int32
	done     chan outcome // buffered; receives exactly one outcome
	fault    faultKind
	started  time.Time // when an instance took it
	deadline time.Time // started plus the function's timeout
	expires  time.Time // when the timeout fires; earlier than deadline under a timeout fault
	initDur  time.Duration
	delay    time.Duration // delay fault: the outcome is delivered this much later
}

type outcome struct {
	response Response
	err      error
}

func newInvocation(id string, payload []byte, options InvokeOptions) *invocation {
	return &invocation{
		id:      id,
		payload: payload,
		options: options,
		traceID: newTraceID(),
		done:    make(chan outcome, 1),
	}
}

// finish delivers the outcome once; later calls do nothing.
func (inv *invocation) finish(out outcome) {
	if !inv.state.CompareAndSwap(stateRunning, stateDone) && !inv.state.CompareAndSwap(stateQueued, stateDone) {
		return
	}
	out.response.RequestID = inv.id
	if !inv.started.IsZero() {
		out.response.Duration = time.Since(inv.started)
	}
	out.response.InitDuration = inv.initDur
	if inv.delay > 0 {
		time.AfterFunc(inv.delay, func() { inv.done <- out })
		return
	}
	inv.done <- out
}

// Invoke runs payload through the function synchronously (InvocationType RequestResponse)
// and returns its response. name is a function name or ARN. A function error is not an
// error here: it is a Response with FunctionError set. The error is non-nil only when the
// invoke could not run: unknown function, payload over MaxSyncPayload, ctx done, or the
// runtime closed.
func (r *Runtime) Invoke(ctx context.Context, name string, payload []byte) (Response, error) {
	return r.InvokeWith(ctx, name, payload, InvokeOptions{})
}

// InvokeWith is Invoke with a client context or a Cognito identity.
func (r *Runtime) InvokeWith(ctx context.Context, name string, payload []byte, options InvokeOptions) (Response, error) {
	f, err := r.lookup(name)
	if err != nil {
		return Response{}, err
	}
	if len(payload) > MaxSyncPayload {
		return Response{}, fmt.Errorf("function %q: request payload of %d bytes exceeds Lambda's limit of %d bytes for synchronous invokes", f.cfg.Name, len(payload), MaxSyncPayload)
	}
	// The copy lets the caller reuse payload as soon as Invoke returns, even when ctx ended
	// the wait while an instance was still reading the event.
	inv := newInvocation(newRequestID(), append([]byte(nil), payload...), options)
	return f.run(ctx, inv)
}

// run queues inv, lets the instances take it and waits for its outcome.
func (f *function) run(ctx context.Context, inv *invocation) (Response, error) {
	if f.rt.closing.Load() {
		return Response{}, ErrClosed
	}
	select {
	case f.queue <- inv:
	case <-ctx.Done():
		return Response{}, fmt.Errorf("function %q: invoke not queued: %w", f.cfg.Name, ctx.Err())
	}
	if f.rt.closing.Load() && inv.state.CompareAndSwap(stateQueued, stateCancelled) {
		return Response{}, ErrClosed
	}
	f.scale()

	select {
	case out := <-inv.done:
		return out.response, out.err
	case <-ctx.Done():
		// A running invocation keeps running, as on Lambda; its outcome is dropped.
		inv.state.CompareAndSwap(stateQueued, stateCancelled)
		return Response{}, fmt.Errorf("function %q: request %s: %w", f.cfg.Name, inv.id, ctx.Err())
	}
}

// errorPayload returns the error object Lambda itself reports, in the field order of
// aws-lambda-rie's: {"errorType","errorMessage"}.
func errorPayload(errorType, message string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, message})
	return b
}

// timeoutOutcome builds the error Lambda returns for an invoke that passed its timeout.
func timeoutOutcome(requestID string, timeout time.Duration) outcome {
	seconds := strconv.FormatFloat(timeout.Seconds(), 'f', 2, 64)
	message := "RequestId: " + requestID + " Error: Task timed out after " + seconds + " seconds"
	return outcome{response: Response{
		Payload:       errorPayload("Sandbox.Timedout", message),
		FunctionError: FunctionErrorUnhandled,
	}}
}

// exitOutcome builds the error Lambda returns for an invoke whose runtime exited before it
// posted a response or an error.
func exitOutcome(requestID string, exitErr error) outcome {
	message := "RequestId: " + requestID + " Error: Runtime exited"
	if exitErr != nil {
		message += " with error: " + exitErr.Error()
	} else {
		message += " without providing a reason"
	}
	return outcome{response: Response{
		Payload:       errorPayload("Runtime.ExitError", message),
		FunctionError: FunctionErrorUnhandled,
	}}
}
