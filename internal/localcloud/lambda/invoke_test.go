package lambda

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInvokeEcho(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{Timeout: 5 * time.Second})

	before := time.Now()
	resp := invoke(t, r, "echo", `{"hello":"world"}`)
	got := decodeEcho(t, resp)

	if string(got.Event) != `{"hello":"world"}` {
		t.Errorf("event = %s, want the payload unchanged", got.Event)
	}
	if got.RequestID == "" || got.RequestID != resp.RequestID {
		t.Errorf("function saw request id %q, Response.RequestID = %q", got.RequestID, resp.RequestID)
	}
	if want := "arn:aws:lambda:us-east-1:000000000000:function:echo"; got.FunctionARN != want {
		t.Errorf("invoked function ARN = %q, want %q", got.FunctionARN, want)
	}
	deadline := time.UnixMilli(got.DeadlineMs)
	if deadline.Before(before.Add(4*time.Second)) || deadline.After(time.Now().Add(5*time.Second)) {
		t.Errorf("deadline %s is not about 5s after the invoke at %s", deadline, before)
	}
	if !strings.HasPrefix(got.TraceID, "Root=1-") {
		t.Errorf("trace id = %q, want an X-Ray trace header", got.TraceID)
	}
	if resp.InitDuration <= 0 {
		t.Errorf("InitDuration = %s on the first invoke, want > 0", resp.InitDuration)
	}
	if resp.Duration <= 0 {
		t.Errorf("Duration = %s, want > 0", resp.Duration)
	}
}

func TestInvokeByARN(t *testing.T) {
	r := newTestRuntime(t, Config{Region: "eu-west-1", AccountID: "123456789012"})
	register(t, r, Function{})

	for _, name := range []string{
		"arn:aws:lambda:eu-west-1:123456789012:function:echo",
		"arn:aws:lambda:eu-west-1:123456789012:function:echo:$LATEST",
		"123456789012:function:echo",
	} {
		got := decodeEcho(t, invoke(t, r, name, `{}`))
		if got.FunctionARN != r.FunctionARN("echo") {
			t.Errorf("Invoke(%q): function ARN %q, want %q", name, got.FunctionARN, r.FunctionARN("echo"))
		}
	}
	if _, err := r.Invoke(context.Background(), "arn:aws:lambda:us-east-1:123456789012:function:echo", nil); err == nil {
		t.Error("Invoke with an ARN of another region: got no error")
	}
	if _, err := r.Invoke(context.Background(), "missing", nil); err == nil {
		t.Error("Invoke of an unregistered function: got no error")
	}
}

func TestInvokeClientContextAndIdentity(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})

	resp, err := r.InvokeWith(context.Background(), "echo", []byte(`{}`), InvokeOptions{
		ClientContext:   `{"custom":{"team":"relay"}}`,
		CognitoIdentity: `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := decodeEcho(t, resp)
	if got.ClientContext["team"] != "relay" {
		t.Errorf("client context custom = %v, want team=relay", got.ClientContext)
	}
	if got.CognitoPoolID != "pool-1" {
		t.Errorf("cognito identity pool id = %q, want pool-1", got.CognitoPoolID)
	}
}

func TestInvokeHandlerErrorKeepsInstance(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})

	first := decodeEcho(t, invoke(t, r, "echo", `{}`))
	e := decodeError(t, invoke(t, r, "echo", `{"action":"error","message":"boom"}`))
	if e.ErrorMessage != "boom" || e.ErrorType != "errorString" {
		t.Errorf("error = %+v, want message boom, type errorString", e)
	}
	after := decodeEcho(t, invoke(t, r, "echo", `{}`))
	if after.PID != first.PID {
		t.Errorf("a handler error replaced the instance: pid %d then %d", first.PID, after.PID)
	}
	if s := r.Stats().Functions["echo"]; s.Errors != 1 || s.Restarts != 0 {
		t.Errorf("stats errors=%d restarts=%d, want 1 and 0", s.Errors, s.Restarts)
	}
}

func TestInvokePanicRestartsInstance(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})

	first := decodeEcho(t, invoke(t, r, "echo", `{}`))
	resp := invoke(t, r, "echo", `{"action":"panic","message":"oh no"}`)
	e := decodeError(t, resp)
	if e.ErrorMessage != "oh no" || e.ErrorType != "string" {
		t.Errorf("error = %+v, want message \"oh no\", type string", e)
	}
	if !strings.Contains(string(resp.Payload), `"stackTrace"`) {
		t.Errorf("panic payload %s has no stackTrace", resp.Payload)
	}

	after := decodeEcho(t, invoke(t, r, "echo", `{}`))
	if after.PID == first.PID {
		t.Errorf("the instance survived its panic (pid %d)", after.PID)
	}
	waitFor(t, "restart counted", func() bool { return r.Stats().Functions["echo"].Restarts == 1 })
}

func TestInvokeTimeout(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{Timeout: 300 * time.Millisecond})

	first := decodeEcho(t, invoke(t, r, "echo", `{}`))
	resp := invoke(t, r, "echo", `{"action":"sleep","sleepMs":5000}`)
	e := decodeError(t, resp)
	want := "RequestId: " + resp.RequestID + " Error: Task timed out after 0.30 seconds"
	if e.ErrorType != "Sandbox.Timedout" || e.ErrorMessage != want {
		t.Errorf("timeout error = %+v, want type Sandbox.Timedout, message %q", e, want)
	}

	after := decodeEcho(t, invoke(t, r, "echo", `{}`))
	if after.PID == first.PID {
		t.Errorf("the timed-out instance was not replaced (pid %d)", after.PID)
	}
	s := r.Stats().Functions["echo"]
	if s.Timeouts != 1 || s.Errors != 1 {
		t.Errorf("stats timeouts=%d errors=%d, want 1 and 1", s.Timeouts, s.Errors)
	}
}

func TestInvokeCrash(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})

	resp := invoke(t, r, "echo", `{"action":"exit","code":2}`)
	e := decodeError(t, resp)
	want := "RequestId: " + resp.RequestID + " Error: Runtime exited with error: exit status 2"
	if e.ErrorType != "Runtime.ExitError" || e.ErrorMessage != want {
		t.Errorf("crash error = %+v, want type Runtime.ExitError, message %q", e, want)
	}
	decodeEcho(t, invoke(t, r, "echo", `{}`))
	if s := r.Stats().Functions["echo"]; s.Crashes != 1 {
		t.Errorf("stats crashes=%d, want 1", s.Crashes)
	}
}

func TestInvokeInitFailure(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{Name: "exits", Env: map[string]string{"ECHO_INIT": "exit"}})
	register(t, r, Function{Name: "reports", Env: map[string]string{"ECHO_INIT": "error"}})

	resp := invoke(t, r, "exits", `{}`)
	e := decodeError(t, resp)
	if want := "RequestId: " + resp.RequestID + " Error: Runtime exited with error: exit status 3"; e.ErrorType != "Runtime.ExitError" || e.ErrorMessage != want {
		t.Errorf("init exit error = %+v, want Runtime.ExitError %q", e, want)
	}

	e = decodeError(t, invoke(t, r, "reports", `{}`))
	if e.ErrorType != "InitFailure" || e.ErrorMessage != "init failed on purpose" {
		t.Errorf("init error = %+v, want the body the runtime posted to init/error", e)
	}

	// Every invoke retries the init, as Lambda does after an init failure.
	decodeError(t, invoke(t, r, "exits", `{}`))
	if s := r.Stats().Functions["exits"]; s.InitFailures != 2 || s.ColdStarts != 0 {
		t.Errorf("stats init failures=%d cold starts=%d, want 2 and 0", s.InitFailures, s.ColdStarts)
	}
}

func TestInvokeWarmReuse(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})

	first := decodeEcho(t, invoke(t, r, "echo", `{}`))
	for i := 2; i <= 5; i++ {
		resp := invoke(t, r, "echo", `{}`)
		got := decodeEcho(t, resp)
		if got.PID != first.PID || got.Invocation != i {
			t.Errorf("invoke %d ran on pid %d as its invocation %d, want pid %d invocation %d", i, got.PID, got.Invocation, first.PID, i)
		}
		if resp.InitDuration != 0 {
			t.Errorf("warm invoke %d has InitDuration %s, want 0", i, resp.InitDuration)
		}
	}
	if s := r.Stats().Functions["echo"]; s.ColdStarts != 1 || s.Invokes != 5 || s.Instances != 1 {
		t.Errorf("stats cold starts=%d invokes=%d instances=%d, want 1, 5, 1", s.ColdStarts, s.Invokes, s.Instances)
	}
}

func TestInvokeConcurrencyLimit(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{MaxInstances: 3})

	var mu sync.Mutex
	pids := map[int]int{}
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := r.Invoke(context.Background(), "echo", []byte(`{"action":"sleep","sleepMs":150}`))
			if err != nil {
				t.Error(err)
				return
			}
			got := decodeEcho(t, resp)
			mu.Lock()
			pids[got.PID]++
			mu.Unlock()
		}()
	}
	wg.Wait()

	if len(pids) != 3 {
		t.Errorf("12 concurrent invokes ran on %d instances (%v), want 3 (MaxInstances)", len(pids), pids)
	}
	if s := r.Stats().Functions["echo"]; s.Instances != 3 || s.ColdStarts != 3 || s.Invokes != 12 {
		t.Errorf("stats instances=%d cold starts=%d invokes=%d, want 3, 3, 12", s.Instances, s.ColdStarts, s.Invokes)
	}
}

func TestInvokeContextCanceledWhileQueued(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{MaxInstances: 1})

	done := make(chan struct{})
	go func() {
		defer close(done)
		invoke(t, r, "echo", `{"action":"sleep","sleepMs":300}`)
	}()
	waitFor(t, "the first invoke to run", func() bool { return r.Stats().Functions["echo"].Invokes == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Invoke(ctx, "echo", []byte(`{"never":"run"}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke with an expiring context = %v, want context.DeadlineExceeded", err)
	}
	<-done

	decodeEcho(t, invoke(t, r, "echo", `{}`))
	if s := r.Stats().Functions["echo"]; s.Invokes != 2 {
		t.Errorf("stats invokes=%d, want 2: the canceled invoke must not run", s.Invokes)
	}
}

func TestInvokePayloadLimit(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})
	if _, err := r.Invoke(context.Background(), "echo", make([]byte, MaxSyncPayload+1)); err == nil {
		t.Error("Invoke with a payload over 6 MB: got no error")
	}
	if err := r.InvokeAsync(context.Background(), "echo", make([]byte, MaxAsyncPayload+1)); err == nil {
		t.Error("InvokeAsync with an event over 1 MB: got no error")
	}
}
