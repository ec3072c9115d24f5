package sns

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	maxBatchEntries  = 10
	maxSubjectLength = 100
	maxAttributeName = 256
)

// message is one published message, validated and ready to deliver.
type message struct {
	id        string
	topicARN  string
	subject   string // "" when the publisher set none
	text      string // Message as published
	timestamp time.Time
	attrs     map[string]MessageAttribute
	// perProtocol holds the string values of a MessageStructure=json message by key
	// ("default", "sqs", "lambda", "http", "https", ...); nil for a plain message.
	perProtocol map[string]string
}

// textFor returns the text delivered to protocol: its own key of a MessageStructure=json
// message, else the "default" key, else the plain message.
func (m *message) textFor(protocol string) string {
	if m.perProtocol == nil {
		return m.text
	}
	if text, ok := m.perProtocol[protocol]; ok {
		return text
	}
	return m.perProtocol["default"]
}

func (s *Service) publish(c *call) error {
	topicARN := c.params.get("TopicArn")
	if topicARN == "" {
		topicARN = c.params.get("TargetArn")
	}
	if topicARN == "" {
		if c.params.get("PhoneNumber") != "" {
			return invalidParameter("PhoneNumber Reason: the local SNS does not send SMS; publish to a topic")
		}
		return invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	if _, ok := parseTopicARN(topicARN); !ok {
		return invalidParameter("TopicArn")
	}
	t, targets, ok := s.snapshotTopic(topicARN)
	if !ok {
		return errTopicNotFound()
	}

	msg, err := newMessage(c.params, t, s.now())
	if err != nil {
		return err
	}
	if msg.size() > t.maxMessageSize {
		return invalidParameter("Message too long")
	}
	s.deliver(c, msg, s.planDeliveries(t, msg, targets))

	resp := newResponse("Publish")
	resp.element("MessageId", msg.id)
	c.respond(resp)
	return nil
}

// batchEntryID matches the Id of a PublishBatch entry: up to 80 letters, digits, hyphens
// and underscores.
var batchEntryID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func (s *Service) publishBatch(c *call) error {
	topicARN := c.params.get("TopicArn")
	if _, ok := parseTopicARN(topicARN); !ok {
		return invalidParameter("TopicArn")
	}
	entries, err := c.params.members("PublishBatchRequestEntries.member")
	if err != nil {
		return invalidParameter("PublishBatchRequestEntries Reason: %v", err)
	}
	t, targets, ok := s.snapshotTopic(topicARN)
	if !ok {
		return errTopicNotFound()
	}
	if err := checkBatchShape(entries); err != nil {
		return err
	}

	type outcome struct {
		id  string
		msg *message
		err *apiError
	}
	outcomes := make([]outcome, len(entries))
	total := 0
	now := s.now()
	for i, entry := range entries {
		outcomes[i].id = entry.get("Id")
		msg, err := newMessage(entry, t, now)
		if err != nil {
			outcomes[i].err = err
			continue
		}
		// Every decodable entry counts toward the batch total, even one that is too long
		// by itself, so that an oversized batch fails as a whole.
		total += msg.size()
		if msg.size() > t.maxMessageSize {
			outcomes[i].err = invalidParameter("Message too long")
			continue
		}
		outcomes[i].msg = msg
	}
	if total > t.maxMessageSize {
		return &apiError{status: http.StatusBadRequest, code: "BatchRequestTooLong",
			message: "The length of all the messages put together is more than the limit."}
	}

	// Signing an envelope takes about a millisecond of CPU, so the entries are planned in
	// parallel and then delivered in order.
	plans := make([][]delivery, len(outcomes))
	var wg sync.WaitGroup
	for i, o := range outcomes {
		if o.msg != nil {
			wg.Go(func() { plans[i] = s.planDeliveries(t, o.msg, targets) })
		}
	}
	wg.Wait()

	resp := newResponse("PublishBatch")
	resp.open("Successful")
	for i, o := range outcomes {
		if o.msg == nil {
			continue
		}
		s.deliver(c, o.msg, plans[i])
		resp.open("member")
		resp.element("Id", o.id)
		resp.element("MessageId", o.msg.id)
		resp.close("member")
	}
	resp.close("Successful")
	resp.open("Failed")
	for _, o := range outcomes {
		if o.err == nil {
			continue
		}
		resp.open("member")
		resp.element("Id", o.id)
		resp.element("Code", o.err.code)
		resp.element("Message", o.err.message)
		resp.element("SenderFault", "true")
		resp.close("member")
	}
	resp.close("Failed")
	c.respond(resp)
	return nil
}

// checkBatchShape returns the error for a batch that fails as a whole: no entries, too many,
// an invalid Id, or an Id used twice.
func checkBatchShape(entries []params) error {
	if len(entries) == 0 {
		return &apiError{status: http.StatusBadRequest, code: "EmptyBatchRequest",
			message: "The batch request doesn't contain any entries."}
	}
	if len(entries) > maxBatchEntries {
		return &apiError{status: http.StatusBadRequest, code: "TooManyEntriesInBatchRequest",
			message: "The batch request contains more entries than permissible."}
	}
	seen := make(map[string]bool, len(entries))
	for _, entry := range entries {
		id := entry.get("Id")
		if !batchEntryID.MatchString(id) {
			return &apiError{status: http.StatusBadRequest, code: "InvalidBatchEntryId",
				message: "The Id of a batch entry in a batch request doesn't abide by the specification."}
		}
		if seen[id] {
			return &apiError{status: http.StatusBadRequest, code: "BatchEntryIdsNotDistinct",
				message: "Two or more batch entries in the request have the same Id."}
		}
		seen[id] = true
	}
	return nil
}

// topicSnapshot is the part of a topic that publishing reads, copied under the lock.
type topicSnapshot struct {
	arn              string
	maxMessageSize   int
	signatureVersion string
}

// deliveryTarget is a confirmed subscription as it was when the message was published.
type deliveryTarget struct {
	arn      string
	protocol string
	endpoint string
	raw      bool
	policy   *filterPolicy
}

// snapshotTopic copies the topic and its confirmed subscriptions, so delivery runs without
// the lock. It reports false when the topic does not exist.
func (s *Service) snapshotTopic(arn string) (topicSnapshot, []deliveryTarget, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.topics[arn]
	if t == nil {
		return topicSnapshot{}, nil, false
	}
	targets := make([]deliveryTarget, 0, len(t.subs))
	for _, sub := range t.subs {
		if !sub.confirmed {
			continue
		}
		targets = append(targets, deliveryTarget{arn: sub.arn, protocol: sub.protocol,
			endpoint: sub.endpoint, raw: sub.raw, policy: sub.policy})
	}
	snapshot := topicSnapshot{arn: arn, maxMessageSize: t.maxMessageSize(), signatureVersion: t.signatureVersion()}
	return snapshot, targets, true
}

// newMessage validates the message fields of a Publish request or a PublishBatch entry.
func newMessage(p params, t topicSnapshot, now time.Time) (*message, *apiError) {
	msg := &message{
		id:        newMessageID(),
		topicARN:  t.arn,
		text:      p.get("Message"),
		timestamp: now.UTC(),
	}
	if msg.text == "" {
		return nil, invalidParameter("Empty message")
	}
	if !utf8.ValidString(msg.text) {
		return nil, invalidParameter("Message Reason: the message is not valid UTF-8")
	}

	if p.has("Subject") {
		msg.subject = p.get("Subject")
		if !validSubject(msg.subject) {
			return nil, invalidParameter("Subject")
		}
	}

	switch structure := p.get("MessageStructure"); structure {
	case "":
	case "json":
		perProtocol, err := parseMessageStructure(msg.text)
		if err != nil {
			return nil, err
		}
		msg.perProtocol = perProtocol
	default:
		return nil, invalidParameter("MessageStructure")
	}

	attrs, err := p.messageAttributes("MessageAttributes")
	if err != nil {
		return nil, invalidParameterValue("%v", err)
	}
	if apiErr := validateMessageAttributes(attrs); apiErr != nil {
		return nil, apiErr
	}
	msg.attrs = attrs
	return msg, nil
}

// validSubject reports whether subject is 1-100 printable ASCII characters with no line
// breaks, as AWS requires.
func validSubject(subject string) bool {
	if subject == "" || len(subject) > maxSubjectLength {
		return false
	}
	for i := 0; i < len(subject); i++ {
		if subject[i] < 0x20 || subject[i] > 0x7e {
			return false
		}
	}
	return true
}

// parseMessageStructure decodes a MessageStructure=json message. As on AWS, keys whose
// values are not strings are ignored, and a message without a string "default" is
// rejected.
func parseMessageStructure(text string) (map[string]string, *apiError) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &raw); err != nil || raw == nil {
		return nil, invalidParameter("Message Structure - JSON message body failed to parse")
	}
	out := make(map[string]string, len(raw))
	for key, value := range raw {
		var text string
		if json.Unmarshal(value, &text) == nil {
			out[key] = text
		}
	}
	if _, ok := out["default"]; !ok {
		return nil, invalidParameter("Message Structure - No default entry in JSON message body")
	}
	return out, nil
}

// size returns the bytes counted against MaximumMessageSize: the message text plus each
// attribute's name, data type and value.
func (m *message) size() int {
	n := len(m.text)
	for name, attr := range m.attrs {
		n += len(name) + len(attr.DataType) + len(attr.StringValue) + len(attr.BinaryValue)
	}
	return n
}

// validateMessageAttributes checks names, data types and values the way SNS does, with
// its ParameterValueInvalid messages.
func validateMessageAttributes(attrs map[string]MessageAttribute) *apiError {
	for name, attr := range attrs {
		if !validAttributeName(name) {
			return invalidParameterValue("The message attribute name '%s' is invalid. Names may contain letters, digits, '_', '-' and '.', may not start or end with '.' or contain '..', may not start with 'AWS.' or 'Amazon.', and may be up to %d characters long.", name, maxAttributeName)
		}
		base, _, _ := strings.Cut(attr.DataType, ".")
		if attr.DataType == "" {
			return invalidParameterValue("The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		switch base {
		case "String", "Number":
			if attr.StringValue == "" {
				return invalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
			}
		case "Binary":
			if len(attr.BinaryValue) == 0 {
				return invalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		default:
			return invalidParameterValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		if base == "Number" {
			if _, err := strconv.ParseFloat(attr.StringValue, 64); err != nil {
				return invalidParameterValue("Could not cast message attribute '%s' value to number.", name)
			}
		}
		if attr.DataType == "String.Array" {
			var values []any
			if err := json.Unmarshal([]byte(attr.StringValue), &values); err != nil {
				return invalidParameterValue("The message attribute '%s' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.", name)
			}
			for _, value := range values {
				switch value.(type) {
				case string, float64, bool, nil:
				default:
					return invalidParameterValue("The message attribute '%s' with type 'String.Array' must be a JSON array of strings, numbers, true, false or null.", name)
				}
			}
		}
	}
	return nil
}

func validAttributeName(name string) bool {
	if name == "" || len(name) > maxAttributeName || name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return false
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.') {
			return false
		}
	}
	return true
}
