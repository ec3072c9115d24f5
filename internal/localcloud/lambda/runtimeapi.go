package lambda

import (
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Runtime API (2018-06-01) headers.
const (
	headerRequestID       = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline        = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN     = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID         = "Lambda-Runtime-Trace-Id"
	headerClientContext   = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	headerErrorType       = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody      = "Lambda-Runtime-Function-Error-Body"
)

func (in *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		in.handleResult(w, r, false)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		in.handleResult(w, r, true)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handleInitError)
	return mux
}

// handleNext waits for the next invocation of the function and sends its event, with the
// invocation's context in headers. The runtime calling it ends its previous invocation.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	f := in.f

	in.mu.Lock()
	if in.current != nil {
		in.mu.Unlock()
		renderError(w, http.StatusForbidden, "InvalidStateTransition",
			"invocation "+in.current.id+" is in progress: post its response or error before asking for the next one")
		return
	}
	first := !in.ready
	in.ready = true
	in.mu.Unlock()

	var initDuration time.Duration
	if first {
		initDuration = time.Since(in.started)
		f.stats.coldStarts.Add(1)
		f.stats.initNanos.Add(int64(initDuration))
	}

	inv := in.awaitInvocation(r)
	if inv == nil {
		return
	}

	now := time.Now()
	inv.started = now
	inv.deadline = now.Add(f.cfg.Timeout)
	inv.expires = inv.deadline
	inv.initDur = initDuration
	inv.fault, inv.delay = f.rt.faults.decide(f.cfg.Name, f.dispatched.Add(1))
	if inv.fault == faultTimeout && f.rt.faults.timeoutAfter > 0 {
		inv.expires = now.Add(f.rt.faults.timeoutAfter)
	}

	in.mu.Lock()
	if in.processExited {
		in.mu.Unlock()
		f.requeue(inv)
		return
	}
	in.current = inv
	in.handled++
	in.timer.Reset(time.Until(inv.expires))
	in.mu.Unlock()
	f.stats.invokes.Add(1)
	f.scale()

	h := w.Header()
	h[headerRequestID] = []string{inv.id}
	h[headerDeadline] = []string{strconv.FormatInt(inv.deadline.UnixMilli(), 10)}
	h[headerFunctionARN] = []string{f.arn}
	h[headerTraceID] = []string{inv.traceID}
	if inv.options.ClientContext != "" {
		h[headerClientContext] = []string{inv.options.ClientContext}
	}
	if inv.options.CognitoIdentity != "" {
		h[headerCognitoIdentity] = []string{inv.options.CognitoIdentity}
	}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(inv.payload))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// awaitInvocation blocks until the instance takes a queued invocation, and returns nil when
// the runtime disconnects or the instance exits first.
func (in *instance) awaitInvocation(r *http.Request) *invocation {
	f := in.f
	f.mu.Lock()
	if !in.waiting {
		in.waiting = true
		f.waiting++
	}
	f.mu.Unlock()

	var inv *invocation
	for inv == nil {
		select {
		case candidate := <-f.queue:
			if candidate.state.CompareAndSwap(stateQueued, stateRunning) {
				inv = candidate
			}
		case <-r.Context().Done():
		case <-in.exited:
		}
		if inv == nil && (r.Context().Err() != nil || isClosed(in.exited)) {
			break
		}
	}

	f.mu.Lock()
	if in.waiting {
		in.waiting = false
		f.waiting--
	}
	f.mu.Unlock()
	return inv
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// requeue puts back an invocation that an instance took just as it exited.
func (f *function) requeue(inv *invocation) {
	inv.state.Store(stateQueued)
	select {
	case f.queue <- inv:
		f.scale()
	default:
		inv.state.Store(stateRunning)
		inv.finish(exitOutcome(inv.id, nil))
	}
}

// handleResult accepts the response (isError false) or the error of the running invocation.
func (in *instance) handleResult(w http.ResponseWriter, r *http.Request, isError bool) {
	f := in.f
	id := r.PathValue("id")

	in.mu.Lock()
	inv := in.current
	in.mu.Unlock()
	if inv == nil {
		renderError(w, http.StatusForbidden, "InvalidStateTransition", "no invocation is in progress")
		return
	}
	if inv.id != id {
		renderError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload+1))
	if err != nil {
		// The runtime went away mid-request; its exit fails the invocation.
		renderError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "reading the body failed: "+err.Error())
		return
	}

	switch inv.fault {
	case faultKill:
		f.rt.faults.kills.Add(1)
		in.logger().Debug("fault: killing the instance before it answers", "request_id", inv.id)
		in.kill(killFault)
		<-in.exited
		return
	case faultTimeout:
		f.rt.faults.timeouts.Add(1)
		in.logger().Debug("fault: holding the answer until the invoke times out", "request_id", inv.id)
		select {
		case <-in.exited:
		case <-r.Context().Done():
		}
		return
	}

	out, status := resultOutcome(r, body, isError)

	in.mu.Lock()
	if in.current != inv {
		in.mu.Unlock()
		renderError(w, http.StatusForbidden, "InvalidStateTransition", "invocation "+id+" already ended (timed out)")
		return
	}
	in.current = nil
	in.mu.Unlock()
	in.timer.Stop()

	if out.response.FunctionError != "" {
		f.stats.errors.Add(1)
	}
	// The runtime requests its next event right after this reply. Counting the instance as
	// free already keeps an invoke made in between from starting another instance.
	f.mu.Lock()
	if !in.waiting {
		in.waiting = true
		f.waiting++
	}
	f.mu.Unlock()
	inv.finish(out)
	if status != http.StatusAccepted {
		renderError(w, status, "RequestEntityTooLarge", "response payload exceeds the limit of "+strconv.Itoa(MaxSyncPayload)+" bytes")
		return
	}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// resultOutcome turns what the runtime posted into the invoke's outcome and the HTTP status
// of the reply to the runtime.
func resultOutcome(r *http.Request, body []byte, isError bool) (outcome, int) {
	if len(body) > MaxSyncPayload {
		message := "Response payload size exceeded maximum allowed payload size (" + strconv.Itoa(MaxSyncPayload) + " bytes)."
		return outcome{response: Response{
			Payload:       errorPayload("Function.ResponseSizeTooLarge", message),
			FunctionError: FunctionErrorUnhandled,
		}}, http.StatusRequestEntityTooLarge
	}
	if isError {
		return outcome{response: Response{Payload: body, FunctionError: FunctionErrorUnhandled}}, http.StatusAccepted
	}
	// aws-lambda-go reports an error met while streaming the response in trailers.
	if r.Trailer.Get(headerErrorType) != "" {
		payload, err := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
		if err != nil || len(payload) == 0 {
			payload = errorPayload(r.Trailer.Get(headerErrorType), "the function failed while sending its response")
		}
		return outcome{response: Response{Payload: payload, FunctionError: FunctionErrorUnhandled}}, http.StatusAccepted
	}
	return outcome{response: Response{Payload: body}}, http.StatusAccepted
}

// handleInitError records the error a runtime reports when its initialization failed. The
// runtime is expected to exit next; the invoke that waited for it gets the error.
func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload))
	if err != nil {
		renderError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "reading the body failed: "+err.Error())
		return
	}
	in.mu.Lock()
	if in.ready {
		in.mu.Unlock()
		renderError(w, http.StatusForbidden, "InvalidStateTransition", "the runtime already finished its initialization")
		return
	}
	in.initError = body
	in.mu.Unlock()
	in.logger().Warn("runtime reported an init error", "error_type", r.Header.Get(headerErrorType))
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func renderError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	_, _ = w.Write(errorPayload(errorType, message))
}
