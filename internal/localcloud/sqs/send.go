package sqs

import (
	"crypto/md5"
	"errors"
	"time"
)

// sendMessageInput is the request of SendMessage.
type sendMessageInput struct {
	QueueUrl                string                   `json:"QueueUrl"`
	MessageBody             *string                  `json:"MessageBody"`
	DelaySeconds            *int64                   `json:"DelaySeconds"`
	MessageAttributes       map[string]wireAttribute `json:"MessageAttributes"`
	MessageSystemAttributes map[string]wireAttribute `json:"MessageSystemAttributes"`
	MessageDeduplicationId  *string                  `json:"MessageDeduplicationId"`
	MessageGroupId          *string                  `json:"MessageGroupId"`
}

// sendMessageBatchInput is the request of SendMessageBatch.
type sendMessageBatchInput struct {
	QueueUrl string                  `json:"QueueUrl"`
	Entries  []sendMessageBatchEntry `json:"Entries"`
}

// sendMessageBatchEntry is one entry of SendMessageBatch.
type sendMessageBatchEntry struct {
	Id string `json:"Id"`
	sendMessageInput
}

func (e sendMessageBatchEntry) entryID() string { return e.Id }

// sendRequest is one message to send, from SendMessage, a batch entry or SendToARN.
type sendRequest struct {
	body             string
	delaySeconds     *int64
	attributes       map[string]wireAttribute
	systemAttributes map[string]wireAttribute
	deduplicationID  *string
}

// newMessage validates req and builds its message. The queue's own limits (size, default
// delay) are checked by enqueue.
func (s *Service) newMessage(req sendRequest, senderID string) (*message, error) {
	if err := validateBody(req.body); err != nil {
		return nil, err
	}
	if req.delaySeconds != nil {
		if err := validateDelaySeconds(*req.delaySeconds); err != nil {
			return nil, err
		}
	}
	if req.deduplicationID != nil {
		return nil, errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.", *req.deduplicationID)
	}
	attrs, _, err := parseMessageAttributes(req.attributes)
	if err != nil {
		return nil, err
	}
	traceHeader, err := parseSystemAttributes(req.systemAttributes)
	if err != nil {
		return nil, err
	}

	m := &message{
		id:          newMessageID(),
		body:        req.body,
		attrs:       attrs,
		bodyMD5:     md5.Sum([]byte(req.body)),
		traceHeader: traceHeader,
		senderID:    senderID,
	}
	if len(attrs) > 0 {
		m.attrsMD5 = attributesMD5(attrs)
	}
	return m, nil
}

// messageSize is the size that counts against MaximumMessageSize: the body plus the name,
// data type and value of each message attribute.
func messageSize(m *message) int {
	size := len(m.body)
	for i := range m.attrs {
		a := &m.attrs[i]
		size += len(a.name) + len(a.dataType) + len(a.stringValue) + len(a.binaryValue)
	}
	return size
}

// enqueue adds the new message m to q, after checking q's message size limit. delaySeconds
// nil means the queue's DelaySeconds.
func (s *Service) enqueue(q *queue, m *message, delaySeconds *int64) error {
	now := s.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	return s.enqueueLocked(q, m, delaySeconds, now)
}

func (s *Service) enqueueLocked(q *queue, m *message, delaySeconds *int64, now time.Time) error {
	if q.deleted {
		return errQueueDoesNotExist()
	}
	if size := messageSize(m); int64(size) > q.settings.maximumMessageSize {
		return errInvalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.settings.maximumMessageSize)
	}
	delay := q.settings.delaySeconds
	if delaySeconds != nil {
		delay = *delaySeconds
	}
	nowNS := now.UnixNano()
	m.sentAt = nowNS / 1e6
	q.add(m, nowNS+delay*1e9, nowNS)
	return nil
}

// sendResult is the response of SendMessage and one Successful entry of SendMessageBatch.
type sendResult struct {
	entryID string // batch entry id, empty for SendMessage
	m       *message
}

func (r sendResult) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if r.entryID != "" {
		b = appendKey(b, "Id")
		b = appendString(b, r.entryID)
		b = append(b, ',')
	}
	b = appendKey(b, "MessageId")
	b = append(b, '"')
	b = formatUUID(b, r.m.id)
	b = append(b, '"', ',')
	b = appendKey(b, "MD5OfMessageBody")
	b = appendMD5(b, r.m.bodyMD5)
	if len(r.m.attrs) > 0 {
		b = append(b, ',')
		b = appendKey(b, "MD5OfMessageAttributes")
		b = appendMD5(b, r.m.attrsMD5)
	}
	if r.m.traceHeader != "" {
		b = append(b, ',')
		b = appendKey(b, "MD5OfMessageSystemAttributes")
		b = appendMD5(b, traceHeaderMD5(r.m.traceHeader))
	}
	return append(b, '}')
}

func (s *Service) sendMessage(c *call) (any, error) {
	var in sendMessageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.MessageBody == nil {
		return nil, errMissingParameter("MessageBody")
	}

	m, err := s.newMessage(in.request(), c.senderID)
	if err != nil {
		return nil, err
	}
	if err := s.enqueue(q, m, in.DelaySeconds); err != nil {
		return nil, err
	}
	return sendResult{m: m}, nil
}

func (in *sendMessageInput) request() sendRequest {
	body := ""
	if in.MessageBody != nil {
		body = *in.MessageBody
	}
	return sendRequest{
		body:             body,
		delaySeconds:     in.DelaySeconds,
		attributes:       in.MessageAttributes,
		systemAttributes: in.MessageSystemAttributes,
		deduplicationID:  in.MessageDeduplicationId,
	}
}

// batchFailure is one entry of a batch response's Failed list.
type batchFailure struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

func newBatchFailure(id string, err error) batchFailure {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		apiErr = errInternal("%v", err)
	}
	code := apiErr.code
	if shape, ok := errorShapes[code]; ok {
		code = shape.queryCode
	}
	return batchFailure{ID: id, SenderFault: apiErr.status < 500, Code: code, Message: apiErr.message}
}

// sendBatchResult is the response of SendMessageBatch.
type sendBatchResult struct {
	successful []sendResult
	failed     []batchFailure
}

func (r *sendBatchResult) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendKey(b, "Successful")
	b = append(b, '[')
	for i, e := range r.successful {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.appendJSON(b)
	}
	b = append(b, ']', ',')
	b = appendFailures(b, r.failed)
	return append(b, '}')
}

func (s *Service) sendMessageBatch(c *call) (any, error) {
	var in sendMessageBatchInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := batchQueue(s, in.QueueUrl, "SendMessageBatchRequestEntry", in.Entries)
	if err != nil {
		return nil, err
	}

	out := &sendBatchResult{}
	messages := make([]*message, len(in.Entries))
	total := 0
	for i := range in.Entries {
		e := &in.Entries[i]
		m, err := s.newMessage(e.request(), c.senderID)
		if err != nil {
			out.failed = append(out.failed, newBatchFailure(e.Id, err))
			continue
		}
		messages[i] = m
		total += messageSize(m)
	}
	if total > maxMessageSizeLimit {
		return nil, newError("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxMessageSizeLimit, total)
	}

	now := s.now()
	q.mu.Lock()
	for i, m := range messages {
		if m == nil {
			continue
		}
		e := &in.Entries[i]
		if err := s.enqueueLocked(q, m, e.DelaySeconds, now); err != nil {
			out.failed = append(out.failed, newBatchFailure(e.Id, err))
			continue
		}
		out.successful = append(out.successful, sendResult{entryID: e.Id, m: m})
	}
	q.mu.Unlock()
	return out, nil
}
