package lambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// FunctionURLHandler returns an http.Handler that serves the function like its Function URL
// with auth type NONE: each request becomes a payload format 2.0 event
// (events.LambdaFunctionURLRequest), and the function's response becomes the HTTP response.
// A response that is a JSON object with a statusCode is read as an
// events.LambdaFunctionURLResponse. Any other response is sent as the body with status 200
// and content-type application/json. A function error returns 502.
func (r *Runtime) FunctionURLHandler(name string) http.Handler {
	urlID := functionURLID(r.cfg.AccountID, name)
	return &functionURL{
		rt:     r,
		name:   name,
		urlID:  urlID,
		domain: urlID + ".lambda-url." + r.cfg.Region + ".on.aws",
	}
}

type functionURL struct {
	rt     *Runtime
	name   string
	urlID  string
	domain string
}

func (h *functionURL) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f, err := h.rt.lookup(h.name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxSyncPayload))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeURLError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
			return
		}
		writeURLError(w, http.StatusBadRequest, "Bad Request")
		return
	}

	requestID := newRequestID()
	payload, err := json.Marshal(h.event(req, body, requestID, time.Now()))
	if err != nil {
		writeURLError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if len(payload) > MaxSyncPayload {
		writeURLError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}

	inv := newInvocation(requestID, payload, InvokeOptions{})
	response, err := f.run(req.Context(), inv)
	switch {
	case errors.Is(err, ErrClosed):
		writeURLError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	case err != nil:
		h.rt.logger.Debug("function URL request ended before the function answered", "function", h.name, "request_id", requestID, "err", err)
		writeURLError(w, http.StatusGatewayTimeout, "Gateway Timeout")
		return
	case response.FunctionError != "":
		w.Header().Set("X-Amzn-Requestid", requestID)
		writeURLError(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	w.Header().Set("X-Amzn-Requestid", requestID)
	writeURLResponse(w, response.Payload)
}

// event builds the payload format 2.0 event of req.
func (h *functionURL) event(req *http.Request, body []byte, requestID string, now time.Time) events.LambdaFunctionURLRequest {
	sourceIP, port := remoteIP(req), localPort(req)
	headers := make(map[string]string, len(req.Header)+4)
	var cookies []string
	for key, values := range req.Header {
		lower := strings.ToLower(key)
		if lower == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lower] = strings.Join(values, ",")
	}
	headers["host"] = req.Host
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = "http"
	headers["x-forwarded-port"] = port
	headers["x-amzn-trace-id"] = strings.SplitN(newTraceID(), ";", 2)[0]

	event := events.LambdaFunctionURLRequest{
		Version:        "2.0",
		RawPath:        req.URL.EscapedPath(),
		RawQueryString: req.URL.RawQuery,
		Cookies:        cookies,
		Headers:        headers,
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:    "anonymous",
			RequestID:    requestID,
			APIID:        h.urlID,
			DomainName:   h.domain,
			DomainPrefix: h.urlID,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method:    req.Method,
				Path:      req.URL.EscapedPath(),
				Protocol:  req.Proto,
				SourceIP:  sourceIP,
				UserAgent: req.UserAgent(),
			},
		},
	}
	if query, err := url.ParseQuery(req.URL.RawQuery); err == nil && len(query) > 0 {
		event.QueryStringParameters = make(map[string]string, len(query))
		for key, values := range query {
			event.QueryStringParameters[key] = strings.Join(values, ",")
		}
	}
	if len(body) > 0 {
		if isTextContent(req.Header.Get("Content-Type")) {
			event.Body = string(body)
		} else {
			event.Body = base64.StdEncoding.EncodeToString(body)
			event.IsBase64Encoded = true
		}
	}
	return event
}

// isTextContent reports whether a request body of this content type reaches the function
// as text. Other bodies arrive base64-encoded, form posts and bodies without a content
// type included.
// NOTE: the list is an estimate of the text media types AWS passes as text. AWS does not
// publish the exact set.
func isTextContent(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mediaType, "text/"),
		mediaType == "application/json", strings.HasSuffix(mediaType, "+json"),
		mediaType == "application/xml", strings.HasSuffix(mediaType, "+xml"),
		mediaType == "application/javascript", mediaType == "application/ecmascript",
		mediaType == "application/x-ndjson", mediaType == "application/yaml":
		return true
	}
	return false
}

// writeURLResponse maps a function's response to HTTP with the Function URL rules.
func writeURLResponse(w http.ResponseWriter, payload []byte) {
	var structured struct {
		StatusCode      *int              `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Body            *string           `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
		Cookies         []string          `json:"cookies"`
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &structured) == nil && structured.StatusCode != nil {
		var body []byte
		if structured.Body != nil {
			body = []byte(*structured.Body)
			if structured.IsBase64Encoded {
				decoded, err := base64.StdEncoding.DecodeString(*structured.Body)
				if err != nil {
					writeURLError(w, http.StatusBadGateway, "Internal Server Error")
					return
				}
				body = decoded
			}
		}
		status := *structured.StatusCode
		if status < 100 || status > 599 {
			writeURLError(w, http.StatusBadGateway, "Internal Server Error")
			return
		}
		h := w.Header()
		for key, value := range structured.Headers {
			h.Set(key, value)
		}
		for _, cookie := range structured.Cookies {
			h.Add("Set-Cookie", cookie)
		}
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
}

// writeURLError writes a response with the status and its reason phrase as the body, as
// Function URLs do for a function error.
// NOTE: the content type of AWS's error responses is not documented; text/plain is a guess.
func writeURLError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, message)
}

// functionURLID derives a stable 32-character URL id, the shape of Function URL ids, from
// the account and the function name.
func functionURLID(accountID, name string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New128a()
	_, _ = io.WriteString(h, accountID+":"+name)
	sum := h.Sum(nil)
	id := make([]byte, 32)
	for i := range id {
		id[i] = alphabet[int(sum[i%len(sum)]+byte(i/len(sum))*7)%len(alphabet)]
	}
	return string(id)
}

func remoteIP(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	return host
}

func localPort(req *http.Request) string {
	if addr, ok := req.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(addr.String()); err == nil {
			return port
		}
	}
	return "80"
}
