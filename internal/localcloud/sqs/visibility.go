package sqs

import "time"

// changeMessageVisibilityInput is the request of ChangeMessageVisibility.
type changeMessageVisibilityInput struct {
	QueueUrl          string `json:"QueueUrl"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int64 `json:"VisibilityTimeout"`
}

// changeMessageVisibilityBatchInput is the request of ChangeMessageVisibilityBatch.
type changeMessageVisibilityBatchInput struct {
	QueueUrl string                              `json:"QueueUrl"`
	Entries  []changeMessageVisibilityBatchEntry `json:"Entries"`
}

type changeMessageVisibilityBatchEntry struct {
	Id                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int64 `json:"VisibilityTimeout"`
}

func (e changeMessageVisibilityBatchEntry) entryID() string { return e.Id }

func (s *Service) changeMessageVisibility(c *call) (any, error) {
	var in changeMessageVisibilityInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, errMissingParameter("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return nil, errMissingParameter("VisibilityTimeout")
	}

	now := s.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.maintain(now)
	return nil, q.changeVisibility(in.ReceiptHandle, *in.VisibilityTimeout, now)
}

// changeVisibility makes the in-flight message that handle names visible timeout seconds from
// now. The caller holds mu and has called maintain, so a message whose visibility timeout has
// ended is visible and gets MessageNotInflight.
func (q *queue) changeVisibility(handle string, timeout int64, now time.Time) error {
	h, err := parseReceiptHandle(q, handle)
	if err != nil {
		return err
	}
	if err := validateVisibilityTimeout(timeout); err != nil {
		return err
	}
	m := q.messages[h.seq]
	if m == nil || m.receipt != h.nonce {
		return errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", handle)
	}
	if m.state != stateInFlight {
		return newError("MessageNotInflight", "The message referred to isn't in flight.")
	}
	visibleAt := now.UnixNano() + timeout*1e9
	if visibleAt > m.receivedAt+maxVisibilityTimeout*1e9 {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [%d seconds].", timeout, maxVisibilityTimeout)
	}
	q.setVisibleAt(m, visibleAt)
	return nil
}

func (s *Service) changeMessageVisibilityBatch(c *call) (any, error) {
	var in changeMessageVisibilityBatchInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	q, err := batchQueue(s, in.QueueUrl, "ChangeMessageVisibilityBatchRequestEntry", in.Entries)
	if err != nil {
		return nil, err
	}

	out := &batchIDResult{}
	now := s.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.maintain(now)
	for _, e := range in.Entries {
		var err error
		if e.VisibilityTimeout == nil {
			err = errMissingParameter("VisibilityTimeout")
		} else {
			err = q.changeVisibility(e.ReceiptHandle, *e.VisibilityTimeout, now)
		}
		if err != nil {
			out.failed = append(out.failed, newBatchFailure(e.Id, err))
			continue
		}
		out.successful = append(out.successful, e.Id)
	}
	return out, nil
}
