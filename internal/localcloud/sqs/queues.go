package sqs

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
)

type createQueueInput struct {
	QueueName  string            `json:"QueueName"`
	Attributes map[string]string `json:"Attributes"`
	Tags       map[string]string `json:"tags"`
}

type queueURLOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

func (s *Service) createQueue(c *call) (any, error) {
	var in createQueueInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if !validName(in.QueueName, maxQueueNameLength) {
		if strings.HasSuffix(in.QueueName, ".fifo") {
			return nil, newError("UnsupportedOperation", "Queue %s: FIFO queues are not supported by this local SQS; create a standard queue.", in.QueueName)
		}
		return nil, errInvalidParameterValue("Queue name %q is invalid: it can only include alphanumeric characters, hyphens, or underscores, 1 to %d in length.", in.QueueName, maxQueueNameLength)
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	arn := s.queueARN(in.QueueName)
	settings := defaultSettings()
	if err := s.applyQueueAttributes(&settings, in.Attributes, arn, true); err != nil {
		return nil, err
	}

	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing := s.queues[in.QueueName]; existing != nil {
		if err := existing.sameAttributes(in.Attributes, &settings); err != nil {
			return nil, err
		}
		return queueURLOutput{s.queueURL(c.baseURL, in.QueueName)}, nil
	}
	if s.cfg.EnforceCooldowns {
		if at, ok := s.deletedAt[in.QueueName]; ok && now.Sub(at) < cooldown {
			return nil, newError("QueueDeletedRecently", "You must wait %d seconds after deleting a queue before you can create another with the same name.", int(cooldown.Seconds()))
		}
	}
	q := newQueue(in.QueueName, arn, rand.Uint64(), settings, now)
	if len(in.Tags) > 0 {
		q.tags = make(map[string]string, len(in.Tags))
		for k, v := range in.Tags {
			q.tags[k] = v
		}
	}
	s.queues[in.QueueName] = q
	s.log.Info("queue created", "queue", in.QueueName)
	return queueURLOutput{s.queueURL(c.baseURL, in.QueueName)}, nil
}

// sameAttributes returns QueueNameExists when an attribute given to CreateQueue for the
// existing queue q differs from q's value. Attributes not given are not compared, as in SQS.
func (q *queue) sameAttributes(given map[string]string, parsed *queueSettings) error {
	requested := &queue{settings: *parsed, arn: q.arn}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, name := range sortedKeys(given) {
		if name == "FifoQueue" {
			continue
		}
		have, _ := q.attributeValue(name)
		want, _ := requested.attributeValue(name)
		if have != want {
			return newError("QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", name)
		}
	}
	return nil
}

type getQueueURLInput struct {
	QueueName              string `json:"QueueName"`
	QueueOwnerAWSAccountId string `json:"QueueOwnerAWSAccountId"`
}

func (s *Service) getQueueURL(c *call) (any, error) {
	var in getQueueURLInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != s.cfg.AccountID {
		return nil, errQueueDoesNotExist()
	}
	if _, err := s.queueByName(in.QueueName); err != nil {
		return nil, err
	}
	return queueURLOutput{s.queueURL(c.baseURL, in.QueueName)}, nil
}

type listInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix"`
	QueueUrl        string `json:"QueueUrl"`
	MaxResults      *int64 `json:"MaxResults"`
	NextToken       string `json:"NextToken"`
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

type listDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls"`
	NextToken string   `json:"NextToken,omitempty"`
}

func (s *Service) listQueues(c *call) (any, error) {
	var in listInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var names []string
	for _, q := range s.sortedQueues() {
		if strings.HasPrefix(q.name, in.QueueNamePrefix) {
			names = append(names, q.name)
		}
	}
	page, next, err := paginate(names, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := listQueuesOutput{NextToken: next}
	for _, name := range page {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(c.baseURL, name))
	}
	return out, nil
}

// paginate returns the page of sorted names after the one nextToken names, and the token of
// the following page. Without maxResults the page is the first 1000 names and has no token.
func paginate(names []string, maxResults *int64, nextToken string) ([]string, string, error) {
	if maxResults != nil && (*maxResults < 1 || *maxResults > maxListQueuesResults) {
		return nil, "", outOfRange("MaxResults", *maxResults, 1, maxListQueuesResults)
	}
	if nextToken != "" {
		if maxResults == nil {
			return nil, "", errInvalidParameterValue("MaxResults is required when NextToken is given.")
		}
		after, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil {
			return nil, "", errInvalidParameterValue("Invalid NextToken value %s.", nextToken)
		}
		start := len(names)
		for i, name := range names {
			if name > string(after) {
				start = i
				break
			}
		}
		names = names[start:]
	}
	if maxResults == nil {
		if len(names) > maxListQueuesResults {
			names = names[:maxListQueuesResults]
		}
		return names, "", nil
	}
	if int64(len(names)) <= *maxResults {
		return names, "", nil
	}
	page := names[:*maxResults]
	return page, base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1])), nil
}

type queueAttributesInput struct {
	QueueUrl       string            `json:"QueueUrl"`
	AttributeNames []string          `json:"AttributeNames"`
	Attributes     map[string]string `json:"Attributes"`
}

type queueAttributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func (s *Service) getQueueAttributes(c *call) (any, error) {
	var in queueAttributesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	attrs, err := q.queueAttributes(in.AttributeNames, s.now())
	if err != nil {
		return nil, err
	}
	return queueAttributesOutput{attrs}, nil
}

func (s *Service) setQueueAttributes(c *call) (any, error) {
	var in queueAttributesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, errMissingParameter("Attributes")
	}
	q.mu.Lock()
	settings := q.settings
	q.mu.Unlock()
	// Validation runs unlocked, because a RedrivePolicy locks the dead-letter queue to read
	// its RedriveAllowPolicy. Concurrent SetQueueAttributes calls on one queue apply in turn,
	// the later one wins for the attributes both set.
	if err := s.applyQueueAttributes(&settings, in.Attributes, q.arn, false); err != nil {
		return nil, err
	}

	now := s.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	for name := range in.Attributes {
		q.copySetting(name, &settings)
	}
	q.redrive.Store(q.settings.redrivePolicy)
	q.modifiedAt = now.Unix()
	q.wake() // a shorter delay or visibility timeout may change when long polls should look
	return nil, nil
}

// copySetting copies the attribute name from settings into q's settings. The caller holds
// q.mu.
func (q *queue) copySetting(name string, from *queueSettings) {
	if spec, ok := intAttributes[name]; ok {
		*spec.field(&q.settings) = *spec.field(from)
		return
	}
	switch name {
	case "Policy":
		q.settings.policy = from.policy
	case "RedrivePolicy":
		q.settings.redrivePolicy = from.redrivePolicy
	case "RedriveAllowPolicy":
		q.settings.redriveAllowPolicy = from.redriveAllowPolicy
	case "KmsMasterKeyId":
		q.settings.kmsMasterKeyID = from.kmsMasterKeyID
	case "SqsManagedSseEnabled":
		q.settings.sqsManagedSSE = from.sqsManagedSSE
	}
}

type queueURLInput struct {
	QueueUrl string `json:"QueueUrl"`
}

func (s *Service) deleteQueue(c *call) (any, error) {
	var in queueURLInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}

	now := s.now()
	s.mu.Lock()
	if s.queues[q.name] == q {
		delete(s.queues, q.name)
		if s.cfg.EnforceCooldowns {
			s.deletedAt[q.name] = now
		}
	}
	s.mu.Unlock()

	q.mu.Lock()
	q.deleted = true
	q.purge()
	if q.moveTask != nil {
		q.moveTask.cancel()
	}
	q.wake()
	q.mu.Unlock()
	s.log.Info("queue deleted", "queue", q.name)
	return nil, nil
}

func (s *Service) purgeQueue(c *call) (any, error) {
	var in queueURLInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}

	now := s.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.cfg.EnforceCooldowns && !q.lastPurgeAt.IsZero() && now.Sub(q.lastPurgeAt) < cooldown {
		return nil, newError("PurgeQueueInProgress", "Only one PurgeQueue operation on %s is allowed every %d seconds.", q.name, int(cooldown.Seconds()))
	}
	purged := len(q.messages)
	q.purge()
	q.lastPurgeAt = now
	s.log.Info("queue purged", "queue", q.name, "messages", purged)
	return nil, nil
}

func (s *Service) listDeadLetterSourceQueues(c *call) (any, error) {
	var in listInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	dlq, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, q := range s.sortedQueues() {
		if p := q.redrive.Load(); p != nil && p.deadLetterTargetARN == dlq.arn {
			names = append(names, q.name)
		}
	}
	page, next, err := paginate(names, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := listDeadLetterSourceQueuesOutput{QueueUrls: []string{}, NextToken: next}
	for _, name := range page {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(c.baseURL, name))
	}
	return out, nil
}

type tagQueueInput struct {
	QueueUrl string            `json:"QueueUrl"`
	Tags     map[string]string `json:"Tags"`
	TagKeys  []string          `json:"TagKeys"`
}

type listQueueTagsOutput struct {
	Tags map[string]string `json:"Tags,omitempty"`
}

const maxQueueTags = 50

func validateTags(tags map[string]string) error {
	if len(tags) > maxQueueTags {
		return errInvalidParameterValue("Too many tags: a queue may have at most %d, got %d.", maxQueueTags, len(tags))
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return errInvalidParameterValue("Tag %q is invalid: keys are 1 to 128 characters and values at most 256.", k)
		}
	}
	return nil
}

func (s *Service) tagQueue(c *call) (any, error) {
	var in tagQueueInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	added := 0
	for k := range in.Tags {
		if _, ok := q.tags[k]; !ok {
			added++
		}
	}
	if len(q.tags)+added > maxQueueTags {
		return nil, errInvalidParameterValue("Too many tags: a queue may have at most %d.", maxQueueTags)
	}
	if q.tags == nil {
		q.tags = make(map[string]string)
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	return nil, nil
}

func (s *Service) untagQueue(c *call) (any, error) {
	var in tagQueueInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range in.TagKeys {
		delete(q.tags, k)
	}
	return nil, nil
}

func (s *Service) listQueueTags(c *call) (any, error) {
	var in queueURLInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := listQueueTagsOutput{Tags: make(map[string]string, len(q.tags))}
	for k, v := range q.tags {
		out.Tags[k] = v
	}
	return out, nil
}
