package localcloud

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// hostileTarget is a local cloud with one queue, reached by raw HTTP for the hostile
// requests and by the SDK for the checks around them.
type hostileTarget struct {
	server   *Server
	client   *sqs.Client
	http     *http.Client
	queueURL string
}

// reply is an SQS error or success response as it arrived.
type reply struct {
	status     int
	code       string // the shape name of __type, such as InvalidParameterValue; empty on success
	queryError string // the x-amzn-query-error header
	message    string
	body       []byte
}

func (r reply) String() string {
	if r.code == "" {
		return fmt.Sprintf("HTTP %d", r.status)
	}
	return fmt.Sprintf("HTTP %d %s (%s): %.200s", r.status, r.code, r.queryError, r.message)
}

func newHostileTarget(t *testing.T) *hostileTarget {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	server, err := NewServer(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start the local cloud: %v", err)
	}
	t.Cleanup(func() { server.Close() })

	client := sqs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(server.URL()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "hostile", SecretAccessKey: "hostile"}, nil
		}),
		RetryMaxAttempts: 1,
	})
	out, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("hostile")})
	if err != nil {
		t.Fatalf("create queue hostile: %v", err)
	}
	return &hostileTarget{
		server:   server,
		client:   client,
		http:     &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil}},
		queueURL: aws.ToString(out.QueueUrl),
	}
}

// post sends body to the SQS action. A nil length sends the body chunked, without a
// Content-Length.
func (h *hostileTarget) post(t *testing.T, action string, body io.Reader, length *int64) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.server.URL()+"/", body)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	if length == nil {
		req.ContentLength = -1
	} else {
		req.ContentLength = *length
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	defer resp.Body.Close()
	return readReply(t, resp)
}

// postSNS sends a query-protocol body to SNS and reads the code of its XML error.
func (h *hostileTarget) postSNS(t *testing.T, body string) reply {
	t.Helper()
	resp, err := h.http.Post(h.server.URL()+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatalf("SNS request: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("read SNS response: %v", err)
	}
	var e struct {
		Error struct {
			Type    string
			Code    string
			Message string
		}
	}
	if err := xml.Unmarshal(raw, &e); err != nil {
		t.Fatalf("SNS response %d is not XML: %q", resp.StatusCode, raw)
	}
	return reply{status: resp.StatusCode, code: e.Error.Code, queryError: e.Error.Code + ";" + e.Error.Type, message: e.Error.Message, body: raw}
}

func (h *hostileTarget) postJSON(t *testing.T, action string, body []byte) reply {
	t.Helper()
	n := int64(len(body))
	return h.post(t, action, bytes.NewReader(body), &n)
}

func readReply(t *testing.T, resp *http.Response) reply {
	t.Helper()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	r := reply{status: resp.StatusCode, queryError: resp.Header.Get("X-Amzn-Query-Error"), body: body}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("error response %d is not JSON: %q", resp.StatusCode, body)
		}
		_, r.code, _ = strings.Cut(e.Type, "#")
		r.message = e.Message
	}
	return r
}

// depth returns the queue's visible, in-flight and delayed messages.
func (h *hostileTarget) depth(t *testing.T) int {
	t.Helper()
	out, err := h.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(h.queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		t.Fatalf("get queue attributes: %v", err)
	}
	total := 0
	for _, v := range out.Attributes {
		n, _ := strconv.Atoi(v)
		total += n
	}
	return total
}

// drain receives and deletes every visible message and returns their bodies.
func (h *hostileTarget) drain(t *testing.T) []string {
	t.Helper()
	var bodies []string
	for range 20 {
		out, err := h.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(h.queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
		})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := h.client.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{
				QueueUrl: aws.String(h.queueURL), ReceiptHandle: m.ReceiptHandle,
			}); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
	}
	t.Fatalf("queue still not empty after 20 receives")
	return nil
}

// roundTrip sends a message with the SDK and receives it back, to show that the queue and
// the server still work.
func (h *hostileTarget) roundTrip(t *testing.T, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(h.queueURL), MessageBody: aws.String(body)}); err != nil {
		t.Fatalf("send after the hostile request: %v", err)
	}
	out, err := h.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.queueURL), WaitTimeSeconds: 1})
	if err != nil {
		t.Fatalf("receive after the hostile request: %v", err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != body {
		t.Fatalf("receive after the hostile request: got %d messages, expected one with body %q", len(out.Messages), body)
	}
	if _, err := h.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(h.queueURL), ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("delete after the hostile request: %v", err)
	}
}

func sendJSON(queueURL, body string, extra string) []byte {
	return fmt.Appendf(nil, `{"QueueUrl":%q,"MessageBody":%s%s}`, queueURL, body, extra)
}

func batchJSON(queueURL string, entries []string) []byte {
	return fmt.Appendf(nil, `{"QueueUrl":%q,"Entries":[%s]}`, queueURL, strings.Join(entries, ","))
}

func entryJSON(id, body string) string {
	return fmt.Sprintf(`{"Id":%q,"MessageBody":%s}`, id, quoteJSON(body))
}

// quoteJSON returns s as a JSON string, with control characters escaped as \u00XX.
func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// batchEntryFailed returns a function that checks that a SendMessageBatch response lists
// only the entry id as failed, with the code and SenderFault true.
func batchEntryFailed(id, code string) func(t *testing.T, r reply) {
	return func(t *testing.T, r reply) {
		var out struct {
			Successful []struct{ Id string }
			Failed     []struct {
				Id          string
				Code        string
				SenderFault bool
			}
		}
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatalf("SendMessageBatch response %q: %v", r.body, err)
		}
		if len(out.Failed) != 1 || out.Failed[0].Id != id || out.Failed[0].Code != code || !out.Failed[0].SenderFault {
			t.Errorf("Failed = %+v, expected only entry %s with %s and SenderFault true", out.Failed, id, code)
		}
		if len(out.Successful) != 1 {
			t.Errorf("Successful = %+v, expected one entry", out.Successful)
		}
	}
}

// bodyMD5 returns a function that checks the MD5OfMessageBody of a SendMessage response.
func bodyMD5(stored string) func(t *testing.T, r reply) {
	return func(t *testing.T, r reply) {
		var out struct{ MD5OfMessageBody string }
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatalf("SendMessage response %q: %v", r.body, err)
		}
		sum := md5.Sum([]byte(stored))
		if want := hex.EncodeToString(sum[:]); out.MD5OfMessageBody != want {
			t.Errorf("MD5OfMessageBody = %s, expected %s, the MD5 of %q", out.MD5OfMessageBody, want, stored)
		}
	}
}

func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// TestHostileInputs sends requests that the SDK would not send and checks the exact error
// each gets, that the queue gained only the messages a request was entitled to add, and that
// a normal send and receive still work afterwards.
func TestHostileInputs(t *testing.T) {
	h := newHostileTarget(t)
	url := h.queueURL
	const mib = 1 << 20

	tests := []struct {
		name       string
		send       func(t *testing.T) reply
		wantStatus int
		wantCode   string
		wantQueued []string // bodies the request adds to the queue
		check      func(t *testing.T, r reply)
	}{
		{
			name: "SendMessage body over 1 MiB",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessage", sendJSON(url, strconv.Quote(strings.Repeat("a", mib+1)), ""))
			},
			wantStatus: 400, wantCode: "InvalidParameterValue",
		},
		{
			name: "SendMessageBatch over 1 MiB in total",
			send: func(t *testing.T) reply {
				half := strings.Repeat("b", 600*1024)
				return h.postJSON(t, "SendMessageBatch", batchJSON(url, []string{entryJSON("a", half), entryJSON("b", half)}))
			},
			wantStatus: 400, wantCode: "BatchRequestTooLong",
		},
		{
			name: "body far over the server's bound, with Content-Length",
			send: func(t *testing.T) reply {
				body := sendJSON(url, strconv.Quote(strings.Repeat("c", 8*mib)), "")
				return h.postJSON(t, "SendMessage", body)
			},
			wantStatus: 400, wantCode: "InvalidParameterValue",
		},
		{
			name: "Content-Length of 1 GiB with no body",
			send: func(t *testing.T) reply {
				conn := h.dial(t)
				if _, err := io.WriteString(conn, h.rawRequest(1<<30)); err != nil {
					t.Fatalf("write head: %v", err)
				}
				return readRawReply(t, conn)
			},
			wantStatus: 400, wantCode: "InvalidParameterValue",
		},
		{
			name: "SNS body far over the server's bound",
			send: func(t *testing.T) reply {
				body := "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Anone&Message=" + strings.Repeat("e", 5*mib)
				return h.postSNS(t, body)
			},
			wantStatus: 413, wantCode: "RequestEntityTooLarge",
		},
		{
			name: "batch body far over the server's bound, chunked",
			send: func(t *testing.T) reply {
				body := batchJSON(url, []string{entryJSON("a", strings.Repeat("d", 8*mib))})
				return h.post(t, "SendMessageBatch", io.MultiReader(bytes.NewReader(body)), nil)
			},
			wantStatus: 400, wantCode: "BatchRequestTooLong",
		},
		{
			// NOTE: not checked against SQS itself. aws/aws-sdk-go issue 339 (2015)
			// reports SQS accepting bytes 128-255 sent as a Go string and returning
			// an MD5 that did not match them. The local SQS likewise accepts the body
			// and stores U+FFFD for each invalid byte, as encoding/json decodes them.
			name: "invalid UTF-8 in a message body",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessage", sendJSON(url, "\"bad \xff\xfe bytes\"", ""))
			},
			wantStatus: 200, wantQueued: []string{"bad \ufffd\ufffd bytes"},
			check: bodyMD5("bad \ufffd\ufffd bytes"),
		},
		{
			name:       "escaped control character in a message body",
			send:       func(t *testing.T) reply { return h.postJSON(t, "SendMessage", sendJSON(url, `"bell \u0007"`, "")) },
			wantStatus: 400, wantCode: "InvalidMessageContents",
		},
		{
			name:       "raw control character in a JSON string",
			send:       func(t *testing.T) reply { return h.postJSON(t, "SendMessage", sendJSON(url, "\"bell \x07\"", "")) },
			wantStatus: 400, wantCode: "SerializationException",
		},
		{
			// SQS allows no character in #xD800-#xDFFF.
			name:       "unpaired surrogate in a message body",
			send:       func(t *testing.T) reply { return h.postJSON(t, "SendMessage", sendJSON(url, `"half \ud800 pair"`, "")) },
			wantStatus: 400, wantCode: "InvalidMessageContents",
		},
		{
			name: "control character in one batch entry",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessageBatch", batchJSON(url, []string{entryJSON("good", "fine"), entryJSON("bad", "nul \x00")}))
			},
			wantStatus: 200, wantQueued: []string{"fine"},
			check: batchEntryFailed("bad", "InvalidMessageContents"),
		},
		{
			name: "deeply nested JSON in SendMessage",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessage", sendJSON(url, `"x"`, `,"Extra":`+nested(100000)))
			},
			wantStatus: 400, wantCode: "SerializationException",
		},
		{
			name: "deeply nested JSON in GetQueueAttributes",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "GetQueueAttributes", fmt.Appendf(nil, `{"QueueUrl":%q,"AttributeNames":%s}`, url, nested(100000)))
			},
			wantStatus: 400, wantCode: "SerializationException",
		},
		{
			name: "10,001 entries in a batch",
			send: func(t *testing.T) reply {
				entries := make([]string, 10001)
				for i := range entries {
					entries[i] = entryJSON("e"+strconv.Itoa(i), "job "+strconv.Itoa(i))
				}
				return h.postJSON(t, "SendMessageBatch", batchJSON(url, entries))
			},
			wantStatus: 400, wantCode: "TooManyEntriesInBatchRequest",
		},
		{
			name: "11 entries in a batch",
			send: func(t *testing.T) reply {
				entries := make([]string, 11)
				for i := range entries {
					entries[i] = entryJSON("e"+strconv.Itoa(i), "job "+strconv.Itoa(i))
				}
				return h.postJSON(t, "SendMessageBatch", batchJSON(url, entries))
			},
			wantStatus: 400, wantCode: "TooManyEntriesInBatchRequest",
		},
		{
			name: "negative DelaySeconds",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessage", sendJSON(url, `"late"`, `,"DelaySeconds":-1`))
			},
			wantStatus: 400, wantCode: "InvalidParameterValue",
		},
		{
			name: "DelaySeconds 901",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessage", sendJSON(url, `"late"`, `,"DelaySeconds":901`))
			},
			wantStatus: 400, wantCode: "InvalidParameterValue",
		},
		{
			name: "DelaySeconds beyond 64 bits",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessage", sendJSON(url, `"late"`, `,"DelaySeconds":100000000000000000000000000000`))
			},
			wantStatus: 400, wantCode: "SerializationException",
		},
		{
			name: "negative DelaySeconds in one batch entry",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessageBatch", batchJSON(url, []string{entryJSON("now", "on time"), `{"Id":"late","MessageBody":"late","DelaySeconds":-5}`}))
			},
			wantStatus: 200, wantQueued: []string{"on time"},
			check: batchEntryFailed("late", "InvalidParameterValue"),
		},
		{
			name:       "empty queue name in CreateQueue",
			send:       func(t *testing.T) reply { return h.postJSON(t, "CreateQueue", []byte(`{"QueueName":""}`)) },
			wantStatus: 400, wantCode: "MissingParameter",
		},
		{
			name:       "empty queue name in GetQueueUrl",
			send:       func(t *testing.T) reply { return h.postJSON(t, "GetQueueUrl", []byte(`{"QueueName":""}`)) },
			wantStatus: 400, wantCode: "MissingParameter",
		},
		{
			name:       "empty QueueUrl in SendMessage",
			send:       func(t *testing.T) reply { return h.postJSON(t, "SendMessage", sendJSON("", `"x"`, "")) },
			wantStatus: 400, wantCode: "MissingParameter",
		},
		{
			name: "empty batch entry id",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessageBatch", batchJSON(url, []string{entryJSON("ok", "kept out"), entryJSON("", "no id")}))
			},
			wantStatus: 400, wantCode: "InvalidBatchEntryId",
		},
		{
			name: "unknown fields are ignored",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessage", sendJSON(url, `"with extras"`, `,"Priority":7,"Unknown":{"nested":[1,{"deeper":null}]}`))
			},
			wantStatus: 200, wantQueued: []string{"with extras"},
			check: bodyMD5("with extras"),
		},
		{
			name: "unknown fields in a batch entry are ignored",
			send: func(t *testing.T) reply {
				return h.postJSON(t, "SendMessageBatch", batchJSON(url, []string{`{"Id":"a","MessageBody":"entry extras","Color":"blue"}`}))
			},
			wantStatus: 200, wantQueued: []string{"entry extras"},
		},
		{
			name:       "truncated body, write side closed",
			send:       func(t *testing.T) reply { return h.truncated(t, true) },
			wantStatus: 400, wantCode: "InvalidParameterValue",
		},
		{
			name: "truncated body, connection closed",
			send: func(t *testing.T) reply {
				h.truncated(t, false)
				return reply{status: 0}
			},
			wantStatus: 0,
		},
		{
			name:       "slow body while other clients are served",
			send:       func(t *testing.T) reply { return h.slowBody(t) },
			wantStatus: 400, wantCode: "InvalidParameterValue",
		},
		{
			name: "slow headers past the header timeout",
			send: func(t *testing.T) reply {
				h.slowHeaders(t)
				return reply{status: 0}
			},
			wantStatus: 0,
		},
	}

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.depth(t)

			got := tt.send(t)
			t.Logf("%s", got)

			if got.status != tt.wantStatus || got.code != tt.wantCode {
				t.Errorf("got %s, expected HTTP %d %s", got, tt.wantStatus, tt.wantCode)
			}
			if tt.wantCode != "" && !strings.HasSuffix(got.queryError, ";Sender") {
				t.Errorf("x-amzn-query-error = %q, expected a code with ;Sender", got.queryError)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
			if after := h.depth(t); after != before+len(tt.wantQueued) {
				t.Errorf("queue depth: got %d after the request, expected %d (%d before, %d accepted)", after, before+len(tt.wantQueued), before, len(tt.wantQueued))
			}
			if queued := h.drain(t); !equalUnordered(queued, tt.wantQueued) {
				t.Errorf("queued bodies: got %.80q, expected %q", queued, tt.wantQueued)
			}
			h.roundTrip(t, fmt.Sprintf("canary %d", i))
		})
	}
}

func equalUnordered(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
		if count[s] < 0 {
			return false
		}
	}
	return true
}

// rawRequest returns the head of a SendMessage request whose Content-Length is length.
func (h *hostileTarget) rawRequest(length int) string {
	return "POST / HTTP/1.1\r\n" +
		"Host: " + h.server.Addr() + "\r\n" +
		"X-Amz-Target: AmazonSQS.SendMessage\r\n" +
		"Content-Type: application/x-amz-json-1.0\r\n" +
		"Content-Length: " + strconv.Itoa(length) + "\r\n\r\n"
}

func (h *hostileTarget) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", h.server.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial the local cloud: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	return conn.(*net.TCPConn)
}

// truncated sends the first part of a SendMessage body whose Content-Length promises more,
// then closes the write side (and reads the response) or the whole connection.
func (h *hostileTarget) truncated(t *testing.T, readResponse bool) reply {
	t.Helper()
	body := sendJSON(h.queueURL, `"never complete"`, "")
	conn := h.dial(t)
	if _, err := io.WriteString(conn, h.rawRequest(len(body)+100)); err != nil {
		t.Fatalf("write head: %v", err)
	}
	if _, err := conn.Write(body); err != nil {
		t.Fatalf("write body: %v", err)
	}
	if !readResponse {
		conn.Close()
		return reply{}
	}
	if err := conn.CloseWrite(); err != nil {
		t.Fatalf("close the write side: %v", err)
	}
	return readRawReply(t, conn)
}

func readRawReply(t *testing.T, conn net.Conn) reply {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	return readReply(t, resp)
}

// slowBody sends a body one byte every 50 ms for a second, shows that other clients are
// served meanwhile, then closes the write side before the body is complete.
func (h *hostileTarget) slowBody(t *testing.T) reply {
	t.Helper()
	body := sendJSON(h.queueURL, `"slow"`, "")
	conn := h.dial(t)
	if _, err := io.WriteString(conn, h.rawRequest(len(body))); err != nil {
		t.Fatalf("write head: %v", err)
	}

	done := make(chan error, 1)
	go func() {
		for i := range 20 {
			if _, err := conn.Write(body[i : i+1]); err != nil {
				done <- err
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		done <- nil
	}()
	for i := range 5 {
		h.roundTrip(t, fmt.Sprintf("served while a client is slow %d", i))
	}
	if err := <-done; err != nil {
		t.Fatalf("trickle the body: %v", err)
	}

	if err := conn.CloseWrite(); err != nil {
		t.Fatalf("close the write side: %v", err)
	}
	return readRawReply(t, conn)
}

// slowHeaders sends half a request head and stops. The server must drop the connection
// after its header timeout (5 s) without a response, and serve others meanwhile.
func (h *hostileTarget) slowHeaders(t *testing.T) {
	t.Helper()
	conn := h.dial(t)
	head := h.rawRequest(10)
	if _, err := io.WriteString(conn, head[:len(head)/2]); err != nil {
		t.Fatalf("write half a head: %v", err)
	}
	h.roundTrip(t, "served while a client sends its head slowly")

	started := time.Now()
	n, err := conn.Read(make([]byte, 512))
	if err == nil || n > 0 {
		t.Errorf("read after half a head: got %d bytes and %v, expected the server to close the connection", n, err)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("the server kept the connection of a slow head open for %s", time.Since(started).Round(time.Second))
	}
}
