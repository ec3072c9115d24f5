package sns

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

const (
	// defaultMaxMessageSize is the topic's MaximumMessageSize when none is set: 256 KiB.
	defaultMaxMessageSize = 262144
	minMaxMessageSize     = 1024
	maxMaxMessageSize     = 1048576
	// largeMessageMaxSubscriptions bounds the subscriptions of a topic whose
	// MaximumMessageSize is above 256 KiB; they must all be sqs, firehose or lambda.
	largeMessageMaxSubscriptions = 100
	listPageSize                 = 100
)

// topic is one SNS topic. Its fields are guarded by Service.mu.
type topic struct {
	arn   string
	name  string
	attrs map[string]string // settable attributes that were set, by name
	subs  []*subscription   // in order of subscription
	// deletedSubscriptions counts Unsubscribe calls, for SubscriptionsDeleted.
	deletedSubscriptions int
}

// settableTopicAttributes lists the attributes CreateTopic and SetTopicAttributes accept.
// Most are stored and returned without effect here; MaximumMessageSize and SignatureVersion
// change how messages are published.
var settableTopicAttributes = map[string]bool{
	"DeliveryPolicy":                       true,
	"DisplayName":                          true,
	"Policy":                               true,
	"MaximumMessageSize":                   true,
	"SignatureVersion":                     true,
	"TracingConfig":                        true,
	"KmsMasterKeyId":                       true,
	"ArchivePolicy":                        true,
	"DataProtectionPolicy":                 true,
	"ApplicationSuccessFeedbackRoleArn":    true,
	"ApplicationSuccessFeedbackSampleRate": true,
	"ApplicationFailureFeedbackRoleArn":    true,
	"HTTPSuccessFeedbackRoleArn":           true,
	"HTTPSuccessFeedbackSampleRate":        true,
	"HTTPFailureFeedbackRoleArn":           true,
	"LambdaSuccessFeedbackRoleArn":         true,
	"LambdaSuccessFeedbackSampleRate":      true,
	"LambdaFailureFeedbackRoleArn":         true,
	"SQSSuccessFeedbackRoleArn":            true,
	"SQSSuccessFeedbackSampleRate":         true,
	"SQSFailureFeedbackRoleArn":            true,
	"FirehoseSuccessFeedbackRoleArn":       true,
	"FirehoseSuccessFeedbackSampleRate":    true,
	"FirehoseFailureFeedbackRoleArn":       true,
}

func (t *topic) maxMessageSize() int {
	if value, ok := t.attrs["MaximumMessageSize"]; ok {
		if n, err := strconv.Atoi(value); err == nil {
			return n
		}
	}
	return defaultMaxMessageSize
}

func (t *topic) signatureVersion() string {
	if version := t.attrs["SignatureVersion"]; version != "" {
		return version
	}
	return "1"
}

func (s *Service) createTopic(c *call) error {
	name := c.params.get("Name")
	if !validTopicName(name) {
		return invalidParameter("Topic Name")
	}
	attrs, err := c.params.attributeMap("Attributes")
	if err != nil {
		return invalidParameter("Attributes Reason: %v", err)
	}
	if attrs["FifoTopic"] == "true" || strings.HasSuffix(name, ".fifo") {
		// TODO: FIFO topics (ordering, deduplication, MessageGroupId) are not implemented.
		return invalidParameter("Attributes Reason: FIFO topics are not supported by the local SNS; create a standard topic")
	}
	delete(attrs, "FifoTopic")
	for key, value := range attrs {
		if err := validateTopicAttribute(nil, key, value); err != nil {
			return err
		}
	}

	arn := s.topicARN(name)
	s.mu.Lock()
	existing := s.topics[arn]
	if existing == nil {
		s.topics[arn] = &topic{arn: arn, name: name, attrs: attrs}
	}
	conflict := existing != nil && !sameAttributes(existing, attrs)
	s.mu.Unlock()
	if conflict {
		return invalidParameter("Attributes Reason: Topic already exists with different attributes")
	}
	if existing == nil {
		s.logger.Debug("topic created", "topic_arn", arn)
	}

	resp := newResponse("CreateTopic")
	resp.element("TopicArn", arn)
	c.respond(resp)
	return nil
}

// sameAttributes reports whether every attribute in attrs has the same value on t, so that
// CreateTopic of an existing name stays idempotent. The caller holds Service.mu.
func sameAttributes(t *topic, attrs map[string]string) bool {
	for key, value := range attrs {
		if t.attrs[key] != value {
			return false
		}
	}
	return true
}

func validTopicName(name string) bool {
	if len(name) < 1 || len(name) > 256 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return !strings.Contains(strings.TrimSuffix(name, ".fifo"), ".")
}

// validateTopicAttribute checks one attribute for CreateTopic (t is nil) or
// SetTopicAttributes (t is the topic, and the caller holds Service.mu).
func validateTopicAttribute(t *topic, name, value string) error {
	if !settableTopicAttributes[name] {
		return invalidParameter("AttributeName")
	}
	switch name {
	case "MaximumMessageSize":
		n, err := strconv.Atoi(value)
		if err != nil || n < minMaxMessageSize || n > maxMaxMessageSize {
			return invalidParameter("Attributes Reason: MaximumMessageSize: Invalid value [%s]. Must be an integer from %d to %d", value, minMaxMessageSize, maxMaxMessageSize)
		}
		if n > defaultMaxMessageSize && t != nil {
			if len(t.subs) > largeMessageMaxSubscriptions {
				return invalidParameter("Attributes Reason: MaximumMessageSize: a topic with more than %d subscriptions cannot take messages above %d bytes", largeMessageMaxSubscriptions, defaultMaxMessageSize)
			}
			for _, sub := range t.subs {
				if sub.protocol != protocolSQS && sub.protocol != protocolLambda {
					return invalidParameter("Attributes Reason: MaximumMessageSize: subscription %s uses protocol %s; messages above %d bytes need sqs, firehose or lambda subscriptions only", sub.arn, sub.protocol, defaultMaxMessageSize)
				}
			}
		}
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return invalidParameter("Attributes Reason: SignatureVersion: Invalid value [%s]. Must be 1 or 2", value)
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return invalidParameter("Attributes Reason: TracingConfig: Invalid value [%s]. Must be PassThrough or Active", value)
		}
	case "Policy", "DeliveryPolicy", "DataProtectionPolicy", "ArchivePolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return invalidParameter("Attributes Reason: %s: failed to parse JSON", name)
		}
	}
	return nil
}

func (s *Service) deleteTopic(c *call) error {
	arn := c.params.get("TopicArn")
	if _, ok := parseTopicARN(arn); !ok {
		return invalidParameter("TopicArn")
	}

	// Deleting a topic that does not exist succeeds, as on AWS.
	s.mu.Lock()
	if t := s.topics[arn]; t != nil {
		for _, sub := range slices.Clone(t.subs) {
			s.removeSubscriptionLocked(sub)
		}
		delete(s.topics, arn)
	}
	s.mu.Unlock()

	c.respond(newResponse("DeleteTopic"))
	return nil
}

func (s *Service) listTopics(c *call) error {
	s.mu.RLock()
	arns := slices.Sorted(maps.Keys(s.topics))
	s.mu.RUnlock()

	page, next, err := pageAfter(arns, c.params.get("NextToken"))
	if err != nil {
		return err
	}
	resp := newResponse("ListTopics")
	resp.open("Topics")
	for _, arn := range page {
		resp.open("member")
		resp.element("TopicArn", arn)
		resp.close("member")
	}
	resp.close("Topics")
	if next != "" {
		resp.element("NextToken", next)
	}
	c.respond(resp)
	return nil
}

// pageAfter returns up to listPageSize sorted keys after the one named by token, and the
// token of the next page ("" on the last page). A token is the base64 of the last key of
// the previous page, so a page stays correct when keys are added or removed between calls.
func pageAfter(sorted []string, token string) (page []string, next string, err error) {
	start := 0
	if token != "" {
		last, decodeErr := base64.RawURLEncoding.DecodeString(token)
		if decodeErr != nil {
			return nil, "", invalidParameter("NextToken")
		}
		start, _ = slices.BinarySearch(sorted, string(last)+"\x00")
	}
	end := min(start+listPageSize, len(sorted))
	page = sorted[start:end]
	if end < len(sorted) {
		next = base64.RawURLEncoding.EncodeToString([]byte(sorted[end-1]))
	}
	return page, next, nil
}

func (s *Service) getTopicAttributes(c *call) error {
	arn := c.params.get("TopicArn")
	if _, ok := parseTopicARN(arn); !ok {
		return invalidParameter("TopicArn")
	}

	s.mu.RLock()
	t := s.topics[arn]
	if t == nil {
		s.mu.RUnlock()
		return errTopicNotFound()
	}
	attrs := maps.Clone(t.attrs)
	confirmed, pending := 0, 0
	for _, sub := range t.subs {
		if sub.confirmed {
			confirmed++
		} else {
			pending++
		}
	}
	deleted := t.deletedSubscriptions
	s.mu.RUnlock()

	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs["TopicArn"] = arn
	attrs["Owner"] = s.cfg.AccountID
	attrs["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	attrs["SubscriptionsPending"] = strconv.Itoa(pending)
	attrs["SubscriptionsDeleted"] = strconv.Itoa(deleted)
	if _, ok := attrs["DisplayName"]; !ok {
		attrs["DisplayName"] = ""
	}
	if attrs["Policy"] == "" {
		attrs["Policy"] = s.defaultTopicPolicy(arn)
	}
	attrs["EffectiveDeliveryPolicy"] = defaultEffectiveDeliveryPolicy

	resp := newResponse("GetTopicAttributes")
	resp.attributes("Attributes", slices.Sorted(maps.Keys(attrs)), attrs)
	c.respond(resp)
	return nil
}

const defaultEffectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func (s *Service) defaultTopicPolicy(arn string) string {
	policy := map[string]any{
		"Version": "2008-10-17",
		"Id":      "__default_policy_ID",
		"Statement": []any{map[string]any{
			"Sid":       "__default_statement_ID",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
				"SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource":  arn,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": s.cfg.AccountID}},
		}},
	}
	out, _ := json.Marshal(policy)
	return string(out)
}

func (s *Service) setTopicAttributes(c *call) error {
	arn := c.params.get("TopicArn")
	if _, ok := parseTopicARN(arn); !ok {
		return invalidParameter("TopicArn")
	}
	name := c.params.get("AttributeName")
	value := c.params.get("AttributeValue")

	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[arn]
	if t == nil {
		return errTopicNotFound()
	}
	if err := validateTopicAttribute(t, name, value); err != nil {
		return err
	}
	if t.attrs == nil {
		t.attrs = map[string]string{}
	}
	if value == "" && name != "DisplayName" {
		delete(t.attrs, name)
	} else {
		t.attrs[name] = value
	}

	c.respond(newResponse("SetTopicAttributes"))
	return nil
}

// parseTopicARN returns the topic name of an ARN of the form
// arn:aws:sns:REGION:ACCOUNT:NAME.
func parseTopicARN(arn string) (name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[1] == "" {
		return "", false
	}
	return parts[5], validTopicName(parts[5])
}
