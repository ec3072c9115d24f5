package sqs

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
)

// intAttribute is a queue attribute that holds an integer in a range.
type intAttribute struct {
	low, high int64
	field     func(*queueSettings) *int64
}

var intAttributes = map[string]intAttribute{
	"DelaySeconds":                  {0, maxDelaySeconds, func(s *queueSettings) *int64 { return &s.delaySeconds }},
	"MaximumMessageSize":            {minMessageSizeLimit, maxMessageSizeLimit, func(s *queueSettings) *int64 { return &s.maximumMessageSize }},
	"MessageRetentionPeriod":        {minRetentionSeconds, maxRetentionSeconds, func(s *queueSettings) *int64 { return &s.messageRetentionPeriod }},
	"ReceiveMessageWaitTimeSeconds": {0, maxWaitTimeSeconds, func(s *queueSettings) *int64 { return &s.receiveWaitTimeSeconds }},
	"VisibilityTimeout":             {0, maxVisibilityTimeout, func(s *queueSettings) *int64 { return &s.visibilityTimeout }},
	"KmsDataKeyReusePeriodSeconds":  {60, 86400, func(s *queueSettings) *int64 { return &s.kmsDataKeyReusePeriod }},
}

func errInvalidAttributeValue(name string) error {
	return newError("InvalidAttributeValue", "Invalid value for the parameter %s.", name)
}

// applyQueueAttributes validates attrs, as given to CreateQueue (creating true) or
// SetQueueAttributes, and applies them to settings.
func (s *Service) applyQueueAttributes(settings *queueSettings, attrs map[string]string, queueARN string, creating bool) error {
	for _, name := range sortedKeys(attrs) {
		value := attrs[name]
		if spec, ok := intAttributes[name]; ok {
			v, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil || v < spec.low || v > spec.high {
				return errInvalidAttributeValue(name)
			}
			*spec.field(settings) = v
			continue
		}
		switch name {
		case "Policy":
			if value != "" && !json.Valid([]byte(value)) {
				return errInvalidAttributeValue(name)
			}
			settings.policy = value
		case "RedrivePolicy":
			policy, err := s.parseRedrivePolicy(value, queueARN)
			if err != nil {
				return err
			}
			settings.redrivePolicy = policy
		case "RedriveAllowPolicy":
			if value != "" {
				if _, err := parseRedriveAllowPolicy(value); err != nil {
					return err
				}
			}
			settings.redriveAllowPolicy = value
		case "KmsMasterKeyId":
			settings.kmsMasterKeyID = value
		case "SqsManagedSseEnabled":
			enabled, err := strconv.ParseBool(value)
			if err != nil {
				return errInvalidAttributeValue(name)
			}
			settings.sqsManagedSSE = enabled
		case "FifoQueue":
			if !creating {
				return newError("InvalidAttributeName", "Unknown Attribute %s.", name)
			}
			if value == "true" {
				return newError("UnsupportedOperation", "FIFO queues are not supported by this local SQS; create a standard queue.")
			}
			if value != "false" {
				return errInvalidAttributeValue(name)
			}
		default:
			return newError("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
	}
	return nil
}

// redrivePolicyJSON is the RedrivePolicy attribute; maxReceiveCount may be a number or a
// string holding one.
type redrivePolicyJSON struct {
	DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
	MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
}

// parseRedrivePolicy validates a RedrivePolicy for the queue queueARN. An empty value
// removes the policy.
func (s *Service) parseRedrivePolicy(value, queueARN string) (*redrivePolicy, error) {
	if value == "" {
		return nil, nil
	}
	invalid := func(reason string) error {
		return newError("InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: %s", value, reason)
	}
	var raw redrivePolicyJSON
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		return nil, invalid("Redrive policy is not a valid JSON map.")
	}
	if raw.DeadLetterTargetArn == "" {
		return nil, invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if len(raw.MaxReceiveCount) == 0 {
		return nil, invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	count, err := strconv.ParseInt(strings.Trim(string(raw.MaxReceiveCount), `"`), 10, 32)
	if err != nil || count < 1 || count > maxMaxReceiveCount {
		return nil, invalid("Invalid value for maxReceiveCount: " + string(raw.MaxReceiveCount) + ", valid values are from 1 to 1000 both inclusive.")
	}
	dlq := s.queueByARN(raw.DeadLetterTargetArn)
	if dlq == nil {
		return nil, invalid("Dead letter target does not exist.")
	}
	if err := dlq.allowsSource(queueARN); err != nil {
		return nil, invalid(err.Error())
	}

	canonical, _ := json.Marshal(struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int64  `json:"maxReceiveCount"`
	}{raw.DeadLetterTargetArn, count})
	return &redrivePolicy{deadLetterTargetARN: raw.DeadLetterTargetArn, maxReceiveCount: int32(count), raw: string(canonical)}, nil
}

// redriveAllowPolicy is the RedriveAllowPolicy attribute of a dead-letter queue.
type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns"`
}

func parseRedriveAllowPolicy(value string) (redriveAllowPolicy, error) {
	var p redriveAllowPolicy
	invalid := func(reason string) error {
		return newError("InvalidAttributeValue", "Value %s for parameter RedriveAllowPolicy is invalid. Reason: %s", value, reason)
	}
	if err := json.Unmarshal([]byte(value), &p); err != nil {
		return p, invalid("Redrive allow policy is not a valid JSON map.")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return p, invalid("sourceQueueArns may only be given with redrivePermission byQueue.")
		}
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > 10 {
			return p, invalid("redrivePermission byQueue needs 1 to 10 sourceQueueArns.")
		}
	default:
		return p, invalid("redrivePermission must be allowAll, denyAll or byQueue.")
	}
	return p, nil
}

// allowsSource returns an error when q's RedriveAllowPolicy forbids sourceARN to use q as its
// dead-letter queue.
func (q *queue) allowsSource(sourceARN string) error {
	q.mu.Lock()
	value := q.settings.redriveAllowPolicy
	q.mu.Unlock()
	if value == "" {
		return nil
	}
	p, err := parseRedriveAllowPolicy(value)
	if err != nil {
		return err
	}
	switch p.RedrivePermission {
	case "denyAll":
		return errorString("the dead-letter queue's RedriveAllowPolicy denies all source queues.")
	case "byQueue":
		for _, arn := range p.SourceQueueArns {
			if arn == sourceARN {
				return nil
			}
		}
		return errorString("the dead-letter queue's RedriveAllowPolicy does not list " + sourceARN + ".")
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// attributeValue returns the queue attribute name of q as GetQueueAttributes shows it, and
// false for an attribute that is not set. The caller holds q.mu and has called maintain.
func (q *queue) attributeValue(name string) (string, bool) {
	st := &q.settings
	if spec, ok := intAttributes[name]; ok {
		if name == "KmsDataKeyReusePeriodSeconds" && st.kmsMasterKeyID == "" {
			return "", false
		}
		return strconv.FormatInt(*spec.field(st), 10), true
	}
	switch name {
	case "ApproximateNumberOfMessages":
		return strconv.Itoa(q.visible), true
	case "ApproximateNumberOfMessagesNotVisible":
		return strconv.Itoa(q.inFlight), true
	case "ApproximateNumberOfMessagesDelayed":
		return strconv.Itoa(q.delayed), true
	case "CreatedTimestamp":
		return strconv.FormatInt(q.createdAt, 10), true
	case "LastModifiedTimestamp":
		return strconv.FormatInt(q.modifiedAt, 10), true
	case "QueueArn":
		return q.arn, true
	case "Policy":
		return st.policy, st.policy != ""
	case "RedrivePolicy":
		if st.redrivePolicy == nil {
			return "", false
		}
		return st.redrivePolicy.raw, true
	case "RedriveAllowPolicy":
		return st.redriveAllowPolicy, st.redriveAllowPolicy != ""
	case "KmsMasterKeyId":
		return st.kmsMasterKeyID, st.kmsMasterKeyID != ""
	case "SqsManagedSseEnabled":
		return strconv.FormatBool(st.sqsManagedSSE), true
	}
	return "", false
}

// allQueueAttributes lists every attribute name that All selects, in the order SQS lists
// them.
var allQueueAttributes = []string{
	"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
	"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
	"VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds",
	"ReceiveMessageWaitTimeSeconds", "Policy", "RedrivePolicy", "RedriveAllowPolicy",
	"KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
}

// knownQueueAttribute reports whether GetQueueAttributes accepts name for a standard queue.
func knownQueueAttribute(name string) bool {
	for _, known := range allQueueAttributes {
		if known == name {
			return true
		}
	}
	return false
}

// queueAttributes returns the attributes names selects, with All for every one.
func (q *queue) queueAttributes(names []string, now time.Time) (map[string]string, error) {
	for _, name := range names {
		if name != "All" && !knownQueueAttribute(name) {
			return nil, newError("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.maintain(now)
	out := make(map[string]string)
	for _, name := range names {
		if name == "All" {
			for _, n := range allQueueAttributes {
				if v, ok := q.attributeValue(n); ok {
					out[n] = v
				}
			}
			continue
		}
		if v, ok := q.attributeValue(name); ok {
			out[name] = v
		}
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
