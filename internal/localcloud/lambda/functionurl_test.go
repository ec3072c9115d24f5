package lambda

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestFunctionURLRequestEvent(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{Name: "enqueue"})
	base, err := r.ServeFunctionURL("enqueue", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodPost, base+"/jobs/new?x=1&x=2&y=z", strings.NewReader(`{"id":"j1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "relay-test")
	req.Header.Add("X-Custom", "a")
	req.Header.Add("X-Custom", "b")
	req.Header.Set("Cookie", "c1=v1; c2=v2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d content-type %q, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	var echoed echoResult
	if err := json.NewDecoder(resp.Body).Decode(&echoed); err != nil {
		t.Fatal(err)
	}
	var event events.LambdaFunctionURLRequest
	if err := json.Unmarshal(echoed.Event, &event); err != nil {
		t.Fatalf("decode event %s: %v", echoed.Event, err)
	}

	checks := []struct {
		field, got, want string
	}{
		{"version", event.Version, "2.0"},
		{"rawPath", event.RawPath, "/jobs/new"},
		{"rawQueryString", event.RawQueryString, "x=1&x=2&y=z"},
		{"queryStringParameters.x", event.QueryStringParameters["x"], "1,2"},
		{"headers.x-custom", event.Headers["x-custom"], "a,b"},
		{"headers.content-type", event.Headers["content-type"], "application/json"},
		{"cookies", strings.Join(event.Cookies, "|"), "c1=v1|c2=v2"},
		{"body", event.Body, `{"id":"j1"}`},
		{"requestContext.accountId", event.RequestContext.AccountID, "anonymous"},
		{"requestContext.requestId", event.RequestContext.RequestID, echoed.RequestID},
		{"requestContext.http.method", event.RequestContext.HTTP.Method, "POST"},
		{"requestContext.http.path", event.RequestContext.HTTP.Path, "/jobs/new"},
		{"requestContext.http.sourceIp", event.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"requestContext.http.userAgent", event.RequestContext.HTTP.UserAgent, "relay-test"},
		{"requestContext.http.protocol", event.RequestContext.HTTP.Protocol, "HTTP/1.1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if event.IsBase64Encoded {
		t.Error("a JSON body arrived base64-encoded")
	}
	if _, ok := event.Headers["cookie"]; ok {
		t.Error("the cookie header is in headers; Function URLs move it to cookies")
	}
	if event.RequestContext.TimeEpoch == 0 || event.RequestContext.Time == "" || len(event.RequestContext.APIID) != 32 {
		t.Errorf("requestContext time=%q timeEpoch=%d apiId=%q, want them set", event.RequestContext.Time, event.RequestContext.TimeEpoch, event.RequestContext.APIID)
	}
}

func TestFunctionURLBinaryBodyIsBase64(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})
	server := httptest.NewServer(r.FunctionURLHandler("echo"))
	defer server.Close()

	body := "id1 sleep 10"
	resp, err := http.Post(server.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var echoed echoResult
	if err := json.NewDecoder(resp.Body).Decode(&echoed); err != nil {
		t.Fatal(err)
	}
	var event events.LambdaFunctionURLRequest
	_ = json.Unmarshal(echoed.Event, &event)
	if !event.IsBase64Encoded || event.Body != base64.StdEncoding.EncodeToString([]byte(body)) {
		t.Errorf("form body arrived as %q (base64 %v), want base64 of %q", event.Body, event.IsBase64Encoded, body)
	}
	if event.QueryStringParameters != nil {
		t.Errorf("queryStringParameters = %v, want it left out without a query", event.QueryStringParameters)
	}
}

func TestFunctionURLResponseMapping(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})
	server := httptest.NewServer(r.FunctionURLHandler("echo"))
	defer server.Close()

	tests := []struct {
		name        string
		event       string
		status      int
		contentType string
		body        string
		cookies     string
	}{
		{
			name:        "structured",
			event:       `{"action":"respond","response":{"statusCode":201,"headers":{"Content-Type":"text/plain","X-Job":"7"},"body":"created","cookies":["a=1","b=2"]}}`,
			status:      201,
			contentType: "text/plain",
			body:        "created",
			cookies:     "a=1|b=2",
		},
		{
			name:        "structured base64 body",
			event:       `{"action":"respond","response":{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"body":"AAEC","isBase64Encoded":true}}`,
			status:      200,
			contentType: "application/octet-stream",
			body:        "\x00\x01\x02",
		},
		{
			name:        "bare object without statusCode",
			event:       `{"action":"respond","response":{"queued":1,"failed":0}}`,
			status:      200,
			contentType: "application/json",
			body:        `{"queued":1,"failed":0}`,
		},
		{
			name:        "bare string",
			event:       `{"action":"respond","response":"hello"}`,
			status:      200,
			contentType: "application/json",
			body:        `"hello"`,
		},
		{
			name:        "function error",
			event:       `{"action":"error","message":"boom"}`,
			status:      502,
			contentType: "text/plain; charset=utf-8",
			body:        "Internal Server Error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(server.URL+"/", "application/json", strings.NewReader(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("content-type = %q, want %q", got, tt.contentType)
			}
			if string(body) != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			var cookies []string
			for _, c := range resp.Cookies() {
				cookies = append(cookies, c.Name+"="+c.Value)
			}
			if strings.Join(cookies, "|") != tt.cookies {
				t.Errorf("cookies = %v, want %q", cookies, tt.cookies)
			}
		})
	}
}

func TestServeFunctionURLRejectsNonLoopback(t *testing.T) {
	r := newTestRuntime(t, Config{})
	register(t, r, Function{})
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		if _, err := r.ServeFunctionURL("echo", addr); err == nil {
			t.Errorf("ServeFunctionURL(%q): got no error, want loopback only", addr)
		}
	}
}
