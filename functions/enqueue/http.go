package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/relay-pipeline/relay/internal/job"
)

// JobsPath is the only path of enqueue's Function URL.
const JobsPath = "/jobs"

// CorrelationHeader is the request header whose value becomes the
// correlation ID of every job of the request.
const CorrelationHeader = "x-correlation-id"

// RetryAfterSeconds is the Retry-After of a 503 response.
const RetryAfterSeconds = "5"

// errorBody is the body of a 4xx or 500 response.
type errorBody struct {
	Error string `json:"error"`
}

// ServeFunctionURL handles `POST /jobs`. The body is JSON (Content-Type
// application/json, or none) holding one job, an array of jobs or
// {"jobs":[…]}, or text/plain with one `ID TASK INPUT` per line. Responses:
//   - 202 with a job.EnqueueResponse when every job was queued;
//   - 400 with {"error"} naming the job and the value when any job is
//     invalid, and nothing is queued;
//   - 503 with Retry-After and a job.EnqueueResponse listing every job's
//     outcome when some jobs could not be queued; send the failed ones
//     again;
//   - 404 for another path, 405 for another method, 415 for another
//     content type.
func (h *Handler) ServeFunctionURL(ctx context.Context, req events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
	if req.RawPath != JobsPath {
		return errorResponse(http.StatusNotFound, fmt.Sprintf("no resource at %q; POST jobs to %s", truncate(req.RawPath, 100), JobsPath))
	}
	if req.RequestContext.HTTP.Method != http.MethodPost {
		resp := errorResponse(http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s; use POST", truncate(req.RequestContext.HTTP.Method, 20), JobsPath))
		resp.Headers["Allow"] = http.MethodPost
		return resp
	}

	text, err := isTextBody(header(req.Headers, "content-type"))
	if err != nil {
		return errorResponse(http.StatusUnsupportedMediaType, err.Error())
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		body, err = base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return errorResponse(http.StatusBadRequest, fmt.Sprintf("body is marked base64 but does not decode: %v", err))
		}
	}
	correlationID := header(req.Headers, CorrelationHeader)
	if correlationID != "" {
		if err := job.Validate(job.Job{ID: "header", Task: "-", Input: "-", CorrelationID: correlationID}); err != nil {
			return errorResponse(http.StatusBadRequest, fmt.Sprintf("header %s: %v", CorrelationHeader, err))
		}
	}

	var resp job.EnqueueResponse
	if text {
		resp, err = h.EnqueueText(ctx, body, correlationID)
	} else {
		resp, err = h.EnqueueJSON(ctx, body, correlationID)
	}
	if err != nil {
		if isBadRequest(err) {
			return errorResponse(http.StatusBadRequest, err.Error())
		}
		h.Logger.ErrorContext(ctx, "enqueue failed", "request_id", req.RequestContext.RequestID, "err", err)
		return errorResponse(http.StatusInternalServerError, "enqueue failed; try again later")
	}

	if resp.Failed > 0 {
		out := jsonResponse(http.StatusServiceUnavailable, resp)
		out.Headers["Retry-After"] = RetryAfterSeconds
		return out
	}
	return jsonResponse(http.StatusAccepted, resp)
}

// isTextBody reports whether the content type selects the text form. An
// empty content type means JSON.
func isTextBody(contentType string) (bool, error) {
	if contentType == "" {
		return false, nil
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false, fmt.Errorf("content type %q is invalid: %v", truncate(contentType, 100), err)
	}
	switch {
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return false, nil
	case mediaType == "text/plain":
		return true, nil
	}
	return false, fmt.Errorf("content type %q is not supported; use application/json or text/plain", mediaType)
}

// header returns a request header by case-insensitive name. Function URLs
// deliver header names in lower case; a hand-written event may not.
func header(headers map[string]string, name string) string {
	if v, ok := headers[name]; ok {
		return v
	}
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func errorResponse(status int, message string) events.LambdaFunctionURLResponse {
	return jsonResponse(status, errorBody{Error: message})
}

func jsonResponse(status int, body any) events.LambdaFunctionURLResponse {
	raw, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		raw = []byte(`{"error":"encode response failed"}`)
	}
	return events.LambdaFunctionURLResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(raw),
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
