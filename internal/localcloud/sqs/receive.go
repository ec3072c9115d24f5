package sqs

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// receiveMessageInput is the request of ReceiveMessage.
type receiveMessageInput struct {
	QueueUrl                    string   `json:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int64   `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int64   `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int64   `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptId     *string  `json:"ReceiveRequestAttemptId"`
}

// systemAttribute is one message system attribute that a receive can ask for, as a bit.
type systemAttribute uint16

const (
	sysSenderID systemAttribute = 1 << iota
	sysSentTimestamp
	sysApproximateReceiveCount
	sysApproximateFirstReceiveTimestamp
	sysAWSTraceHeader
	sysDeadLetterQueueSourceArn
	sysFIFOOnly // SequenceNumber, MessageDeduplicationId, MessageGroupId: never set on a standard queue

	sysAll = sysSenderID | sysSentTimestamp | sysApproximateReceiveCount | sysApproximateFirstReceiveTimestamp | sysAWSTraceHeader | sysDeadLetterQueueSourceArn
)

var systemAttributeNames = map[string]systemAttribute{
	"All":                              sysAll,
	"SenderId":                         sysSenderID,
	"SentTimestamp":                    sysSentTimestamp,
	"ApproximateReceiveCount":          sysApproximateReceiveCount,
	"ApproximateFirstReceiveTimestamp": sysApproximateFirstReceiveTimestamp,
	"AWSTraceHeader":                   sysAWSTraceHeader,
	"DeadLetterQueueSourceArn":         sysDeadLetterQueueSourceArn,
	"SequenceNumber":                   sysFIFOOnly,
	"MessageDeduplicationId":           sysFIFOOnly,
	"MessageGroupId":                   sysFIFOOnly,
}

// parseSystemAttributeNames reads MessageSystemAttributeNames and the older AttributeNames,
// which SQS accepts as the same list.
func parseSystemAttributeNames(lists ...[]string) (systemAttribute, error) {
	var set systemAttribute
	for _, list := range lists {
		for _, name := range list {
			bit, ok := systemAttributeNames[name]
			if !ok {
				return 0, newError("InvalidAttributeName", "Unknown Attribute %s.", name)
			}
			set |= bit
		}
	}
	return set, nil
}

// attributeSelector is the MessageAttributeNames of a receive: names, prefixes ending in
// ".*", or All / ".*" for every attribute.
type attributeSelector struct {
	all      bool
	names    []string
	prefixes []string // with the trailing period, such as "order."
}

func parseAttributeSelector(names []string) (attributeSelector, error) {
	var sel attributeSelector
	for _, name := range names {
		switch {
		case name == "All" || name == ".*":
			sel.all = true
		case strings.HasSuffix(name, ".*"):
			prefix := strings.TrimSuffix(name, "*")
			if !validAttributeName(strings.TrimSuffix(prefix, ".")) {
				return sel, errInvalidParameterValue("Value %s for parameter MessageAttributeNames is invalid: a prefix must be a valid attribute name followed by .*", name)
			}
			sel.prefixes = append(sel.prefixes, prefix)
		default:
			if len(name) > maxAttributeNameLength {
				return sel, errInvalidParameterValue("Value %s for parameter MessageAttributeNames is invalid: names are at most %d characters long.", name, maxAttributeNameLength)
			}
			sel.names = append(sel.names, name)
		}
	}
	return sel, nil
}

func (sel *attributeSelector) empty() bool {
	return !sel.all && len(sel.names) == 0 && len(sel.prefixes) == 0
}

func (sel *attributeSelector) selects(name string) bool {
	if sel.all {
		return true
	}
	for _, n := range sel.names {
		if n == name {
			return true
		}
	}
	for _, p := range sel.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// receivedMessage is a message as one receive returned it. The message's fields that change
// later (receipt, receive count) are copied while the queue is locked.
type receivedMessage struct {
	m              *message
	seq            uint64
	receipt        uint64
	receiveCount   int32
	firstReceiveAt int64
}

// receiveResult is the response of ReceiveMessage.
type receiveResult struct {
	s        *Service
	q        *queue
	messages []receivedMessage
	system   systemAttribute
	selector attributeSelector
}

func (s *Service) receiveMessage(c *call) (any, error) {
	var in receiveMessageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	maxMessages := int64(1)
	if in.MaxNumberOfMessages != nil {
		maxMessages = *in.MaxNumberOfMessages
		if maxMessages < 1 || maxMessages > maxMessagesPerReceive {
			return nil, outOfRange("MaxNumberOfMessages", maxMessages, 1, maxMessagesPerReceive)
		}
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > maxWaitTimeSeconds) {
		return nil, errInvalidParameterValue("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= %d, if provided.", *in.WaitTimeSeconds, maxWaitTimeSeconds)
	}
	if in.VisibilityTimeout != nil {
		if err := validateVisibilityTimeout(*in.VisibilityTimeout); err != nil {
			return nil, err
		}
	}
	system, err := parseSystemAttributeNames(in.MessageSystemAttributeNames, in.AttributeNames)
	if err != nil {
		return nil, err
	}
	selector, err := parseAttributeSelector(in.MessageAttributeNames)
	if err != nil {
		return nil, err
	}

	out := &receiveResult{s: s, q: q, system: system, selector: selector}
	out.messages, err = s.receive(c, q, int(maxMessages), in.VisibilityTimeout, in.WaitTimeSeconds)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// receive takes up to maxMessages visible messages from q, waiting up to waitSeconds (nil: the
// queue's ReceiveMessageWaitTimeSeconds) for the first one. It waits on the queue's signal,
// which sends and visibility changes close, and on a timer for the next delayed or in-flight
// message to become visible, so a long poll never spins. It takes nothing once the client's
// request is done.
func (s *Service) receive(c *call, q *queue, maxMessages int, visibility, waitSeconds *int64) ([]receivedMessage, error) {
	ctx := c.r.Context()
	var deadline time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()

	for first := true; ; first = false {
		if ctx.Err() != nil {
			return nil, nil
		}
		dlq := s.deadLetterQueue(q)
		now := s.now()

		q.mu.Lock()
		if q.deleted {
			q.mu.Unlock()
			return nil, errQueueDoesNotExist()
		}
		if first {
			wait := q.settings.receiveWaitTimeSeconds
			if waitSeconds != nil {
				wait = *waitSeconds
			}
			deadline = time.Now().Add(time.Duration(wait) * time.Second)
		}
		taken, redriven := q.take(maxMessages, visibility, dlq, now)
		var signal chan struct{}
		var next int64
		waiting := len(taken) == 0 && time.Now().Before(deadline)
		if waiting {
			signal = q.signal
			q.waiters++
			next = q.nextVisibleAt()
		}
		q.mu.Unlock()

		s.redrive(q, dlq, redriven, now)
		if !waiting {
			return taken, nil
		}

		wait := time.Until(deadline)
		if next != 0 {
			if untilVisible := time.Duration(next - now.UnixNano()); untilVisible < wait {
				wait = max(untilVisible, time.Millisecond)
			}
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		closed := false
		select {
		case <-signal:
		case <-timer.C:
		case <-ctx.Done():
		case <-s.closed:
			closed = true
		}
		q.mu.Lock()
		q.waiters--
		q.mu.Unlock()
		if closed {
			return nil, nil
		}
	}
}

// take takes up to maxMessages visible messages and makes them in flight. Messages that have been
// received maxReceiveCount times already leave the queue for dlq instead and are returned as
// redriven; dlq nil means no redrive. The caller holds q.mu.
func (q *queue) take(maxMessages int, visibility *int64, dlq *queue, now time.Time) (taken []receivedMessage, redriven []*message) {
	q.maintain(now)
	if q.visible == 0 {
		return nil, nil
	}
	timeout := q.settings.visibilityTimeout
	if visibility != nil {
		timeout = *visibility
	}
	policy := q.settings.redrivePolicy
	nowNS := now.UnixNano()
	nowMS := now.UnixMilli()

	for len(taken) < maxMessages {
		m := q.takeVisible()
		if m == nil {
			break
		}
		if dlq != nil && policy != nil && m.receiveCount >= policy.maxReceiveCount {
			redriven = append(redriven, q.detachTaken(m))
			continue
		}
		m.receiveCount++
		if m.firstReceiveAt == 0 {
			m.firstReceiveAt = nowMS
		}
		m.receipt = rand.Uint64() | 1
		m.receivedAt = nowNS
		q.hide(m, nowNS+timeout*1e9)
		taken = append(taken, receivedMessage{m: m, seq: m.seq, receipt: m.receipt, receiveCount: m.receiveCount, firstReceiveAt: m.firstReceiveAt})
	}
	return taken, redriven
}

// detachTaken removes a message just taken by takeVisible and returns a copy that another
// queue can own. The copy keeps the id, body, attributes, sent time and receive count.
func (q *queue) detachTaken(m *message) *message {
	q.expiry.remove(m)
	delete(q.messages, m.seq)
	m.state = stateGone
	m.receipt = 0
	moved := *m
	moved.pendingIndex, moved.expiryIndex = -1, -1
	return &moved
}

// undeliverable makes the messages of a receive whose response did not reach the client
// visible again at once, and takes back the receive, so the messages are neither lost
// until their visibility timeout ends nor counted toward maxReceiveCount.
func (r *receiveResult) undeliverable() {
	if len(r.messages) == 0 {
		return
	}
	q := r.q
	returned := 0
	q.mu.Lock()
	for _, rm := range r.messages {
		m := q.messages[rm.seq]
		if m == nil || m.receipt != rm.receipt || m.state != stateInFlight {
			continue
		}
		q.pending.remove(m)
		q.inFlight--
		m.receiveCount--
		if m.receiveCount == 0 {
			m.firstReceiveAt = 0
		}
		m.receipt = 0
		q.unhide(m)
		returned++
	}
	q.mu.Unlock()
	if returned > 0 {
		r.s.log.Info("receive not delivered, messages visible again", "queue", q.name, "messages", returned)
	}
}

func (r *receiveResult) appendJSON(b []byte) []byte {
	if len(r.messages) == 0 {
		return append(b, '{', '}') // as SQS, which leaves Messages out when there are none
	}
	b = append(b, '{')
	b = appendKey(b, "Messages")
	b = append(b, '[')
	for i := range r.messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.appendMessage(b, &r.messages[i])
	}
	return append(b, ']', '}')
}

func (r *receiveResult) appendMessage(b []byte, rm *receivedMessage) []byte {
	m := rm.m
	b = append(b, '{')
	b = appendKey(b, "MessageId")
	b = append(b, '"')
	b = formatUUID(b, m.id)
	b = append(b, '"', ',')
	b = appendKey(b, "ReceiptHandle")
	b = append(b, '"')
	b = appendReceiptHandle(b, receiptHandle{queueKey: r.q.handleKey, seq: rm.seq, nonce: rm.receipt})
	b = append(b, '"', ',')
	b = appendKey(b, "MD5OfBody")
	b = appendMD5(b, m.bodyMD5)
	b = append(b, ',')
	b = appendKey(b, "Body")
	b = appendString(b, m.body)
	if r.system != 0 {
		b = append(b, ',')
		b = r.appendSystemAttributes(b, rm)
	}
	if len(m.attrs) > 0 && !r.selector.empty() {
		b = r.appendMessageAttributes(b, m)
	}
	return append(b, '}')
}

func (r *receiveResult) appendSystemAttributes(b []byte, rm *receivedMessage) []byte {
	m := rm.m
	b = appendKey(b, "Attributes")
	b = append(b, '{')

	n := 0
	add := func(name string) {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendKey(b, name)
	}
	if r.system&sysSenderID != 0 {
		add("SenderId")
		b = appendString(b, m.senderID)
	}
	if r.system&sysSentTimestamp != 0 {
		add("SentTimestamp")
		b = appendQuotedInt(b, m.sentAt)
	}
	if r.system&sysApproximateReceiveCount != 0 {
		add("ApproximateReceiveCount")
		b = appendQuotedInt(b, int64(rm.receiveCount))
	}
	if r.system&sysApproximateFirstReceiveTimestamp != 0 {
		add("ApproximateFirstReceiveTimestamp")
		b = appendQuotedInt(b, rm.firstReceiveAt)
	}
	if r.system&sysAWSTraceHeader != 0 && m.traceHeader != "" {
		add("AWSTraceHeader")
		b = appendString(b, m.traceHeader)
	}
	if r.system&sysDeadLetterQueueSourceArn != 0 && m.dlqSource != "" {
		add("DeadLetterQueueSourceArn")
		b = appendString(b, m.dlqSource)
	}
	return append(b, '}')
}

// appendMessageAttributes appends the selected message attributes and their MD5, or
// nothing when none is selected.
func (r *receiveResult) appendMessageAttributes(b []byte, m *message) []byte {
	selected := m.attrs
	if !r.selector.all {
		selected = nil
		for i := range m.attrs {
			if r.selector.selects(m.attrs[i].name) {
				selected = append(selected, m.attrs[i])
			}
		}
		if len(selected) == 0 {
			return b
		}
	}
	sum := m.attrsMD5
	if len(selected) != len(m.attrs) {
		sum = attributesMD5(selected)
	}

	b = append(b, ',')
	b = appendKey(b, "MD5OfMessageAttributes")
	b = appendMD5(b, sum)
	b = append(b, ',')
	b = appendKey(b, "MessageAttributes")
	b = append(b, '{')
	for i := range selected {
		a := &selected[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, a.name)
		b = append(b, ':', '{')
		if a.binary {
			b = appendKey(b, "BinaryValue")
			b = appendBase64(b, a.binaryValue)
		} else {
			b = appendKey(b, "StringValue")
			b = appendString(b, a.stringValue)
		}
		b = append(b, ',')
		b = appendKey(b, "DataType")
		b = appendString(b, a.dataType)
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendQuotedInt(b []byte, v int64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, v, 10)
	return append(b, '"')
}
