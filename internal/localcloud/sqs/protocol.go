package sqs

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
)

const (
	targetPrefix    = "AmazonSQS."
	jsonContentType = "application/x-amz-json-1.0"
)

// maxRequestBytes bounds a request body. The largest legal request is a SendMessageBatch
// whose messages and attributes total 1 MiB. JSON may escape a character as \uXXXX, six bytes
// for a character of one to three bytes, so its body can reach about 6 MiB; the last 256 KiB
// cover entry ids, attribute names and the JSON structure around them.
const maxRequestBytes = 6*maxMessageSizeLimit + 256*1024

// IsRequest reports whether r is an SQS request of the AWS JSON 1.0 protocol, which names its
// action in an X-Amz-Target header starting with "AmazonSQS.".
func IsRequest(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
}

// Action returns the action named by r's X-Amz-Target header, such as "SendMessageBatch",
// or "" when r is not an SQS request.
func Action(r *http.Request) string {
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok {
		return ""
	}
	return action
}

// WriteError writes an error response in the AWS JSON 1.0 shape that the SDKs map to typed
// errors: a JSON body with __type and message, and an x-amzn-query-error header with the
// query-protocol code and whether the sender or the receiver is at fault. code may be a shape
// name (QueueDoesNotExist) or a query-protocol code (AWS.SimpleQueueService.NonExistentQueue).
// A status of 0 means the status that SQS uses for code, or 400 for a code it does not list.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	shapeName := code
	if name, ok := shapeForQueryCode[code]; ok {
		shapeName = name
	}
	queryCode := shapeName
	shape, known := errorShapes[shapeName]
	if known {
		queryCode = shape.queryCode
	}
	if status == 0 {
		status = http.StatusBadRequest
		if known {
			status = shape.status
		}
	}
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}

	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{"com.amazonaws.sqs#" + shapeName, message})

	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("X-Amzn-Query-Error", queryCode+";"+fault)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// call is one decoded request, as the operation handlers see it.
type call struct {
	r        *http.Request
	body     []byte
	baseURL  string
	senderID string
}

// decode reads the JSON request body into v. An empty body is an empty object.
func (c *call) decode(v any) error {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	var err error
	if fast, ok := v.(fastDecodable); ok {
		err = decodeFast(c.body, fast)
	} else {
		err = json.Unmarshal(c.body, v)
	}
	if err != nil {
		// NOTE: SerializationException is the error of AWS's JSON protocol services for a
		// body that does not parse; SQS's own code for it is not documented.
		return newError("SerializationException", "The request body is not valid JSON for this action: %v.", err)
	}
	return nil
}

// jsonResponse is a response that appends its own JSON, for the operations on the hot path.
type jsonResponse interface {
	appendJSON(b []byte) []byte
}

// deliveryResponse is a response that must undo its effect when it does not reach the
// client, such as the messages of a ReceiveMessage whose client went away.
type deliveryResponse interface {
	undeliverable()
}

type handler func(s *Service, c *call) (any, error)

var handlers = map[string]handler{
	"CreateQueue":                  (*Service).createQueue,
	"GetQueueUrl":                  (*Service).getQueueURL,
	"ListQueues":                   (*Service).listQueues,
	"GetQueueAttributes":           (*Service).getQueueAttributes,
	"SetQueueAttributes":           (*Service).setQueueAttributes,
	"DeleteQueue":                  (*Service).deleteQueue,
	"PurgeQueue":                   (*Service).purgeQueue,
	"ListDeadLetterSourceQueues":   (*Service).listDeadLetterSourceQueues,
	"TagQueue":                     (*Service).tagQueue,
	"UntagQueue":                   (*Service).untagQueue,
	"ListQueueTags":                (*Service).listQueueTags,
	"SendMessage":                  (*Service).sendMessage,
	"SendMessageBatch":             (*Service).sendMessageBatch,
	"ReceiveMessage":               (*Service).receiveMessage,
	"DeleteMessage":                (*Service).deleteMessage,
	"DeleteMessageBatch":           (*Service).deleteMessageBatch,
	"ChangeMessageVisibility":      (*Service).changeMessageVisibility,
	"ChangeMessageVisibilityBatch": (*Service).changeMessageVisibilityBatch,
	"StartMessageMoveTask":         (*Service).startMessageMoveTask,
	"ListMessageMoveTasks":         (*Service).listMessageMoveTasks,
	"CancelMessageMoveTask":        (*Service).cancelMessageMoveTask,
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ServeHTTP serves one SQS request of the AWS JSON 1.0 protocol.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action := Action(r)
	if r.Method != http.MethodPost || action == "" {
		s.writeError(w, action, newError("InvalidAction", "SQS expects POST / with an X-Amz-Target header of AmazonSQS.<Action>, got %s %s with X-Amz-Target %q.", r.Method, r.URL.Path, r.Header.Get("X-Amz-Target")))
		return
	}
	handle, ok := handlers[action]
	if !ok {
		s.writeError(w, action, newError("InvalidAction", "The action %s is not valid for this endpoint.", action))
		return
	}

	buf := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	if err := readBody(w, r, buf); err != nil {
		s.writeError(w, action, err)
		return
	}

	c := &call{r: r, body: buf.Bytes(), baseURL: s.baseURL(r), senderID: strings.Clone(senderID(r, s.cfg.AccountID))}
	out, err := handle(s, c)
	if err != nil {
		s.writeError(w, action, err)
		return
	}
	s.writeResponse(w, r, out)
}

func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 1<<20 {
		return // let large buffers go, so one big batch does not pin memory
	}
	buf.Reset()
	bufferPool.Put(buf)
}

// readBody reads r's body into buf, up to maxRequestBytes.
func readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) error {
	if r.ContentLength > maxRequestBytes {
		return errRequestTooLarge(Action(r), r.ContentLength)
	}
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errRequestTooLarge(Action(r), tooLarge.Limit+1)
	}
	if err != nil {
		return errInvalidParameterValue("Reading the request body failed: %v.", err)
	}
	return nil
}

// errRequestTooLarge is the error for a body above maxRequestBytes: no legal request of the
// action is that large, so its message or batch is too long.
func errRequestTooLarge(action string, size int64) error {
	if strings.HasSuffix(action, "Batch") {
		return newError("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent at least %d bytes.", maxMessageSizeLimit, size)
	}
	return errInvalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxMessageSizeLimit)
}

func (s *Service) writeError(w http.ResponseWriter, action string, err error) {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		apiErr = errInternal("%v", err)
	}
	if apiErr.status >= 500 {
		s.log.Error("SQS request failed", "action", action, "code", apiErr.code, "err", apiErr.message)
	} else {
		s.log.Debug("SQS request rejected", "action", action, "code", apiErr.code, "err", apiErr.message)
	}
	WriteError(w, apiErr.status, apiErr.code, apiErr.message)
}

func (s *Service) writeResponse(w http.ResponseWriter, r *http.Request, out any) {
	buf := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(buf)

	if fast, ok := out.(jsonResponse); ok {
		b := fast.appendJSON(buf.AvailableBuffer())
		buf.Write(b)
	} else if out == nil {
		buf.WriteString("{}")
	} else if err := json.NewEncoder(buf).Encode(out); err != nil {
		s.writeError(w, Action(r), errInternal("encoding the response failed: %v", err))
		return
	}

	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	_, err := w.Write(buf.Bytes())
	if delivery, ok := out.(deliveryResponse); ok {
		if err == nil {
			err = http.NewResponseController(w).Flush()
		}
		if err != nil || r.Context().Err() != nil {
			delivery.undeliverable()
		}
	}
}

// senderID returns the access key id of the request's signature, or accountID for an
// unsigned request. SQS reports the IAM principal id as SenderId; locally the key id is used.
func senderID(r *http.Request, accountID string) string {
	auth := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return accountID
	}
	key, _, ok := strings.Cut(rest, "/")
	if !ok || key == "" || len(key) > 128 {
		return accountID
	}
	return key
}

func (s *Service) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return "http://" + r.Host
}
