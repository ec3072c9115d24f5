package sns

import (
	"encoding/json"
	"errors"
)

// delivery is one message to one subscription, filtered and signed, ready to deliver.
type delivery struct {
	target   deliveryTarget
	text     string             // the message text for the target's protocol
	envelope signedNotification // zero for raw delivery
}

// planDeliveries returns the deliveries of msg: one for each target whose filter policy
// matches, with the envelope signed once per distinct protocol text. It touches no shared
// state except counters, so the messages of a batch can be planned in parallel.
func (s *Service) planDeliveries(t topicSnapshot, msg *message, targets []deliveryTarget) []delivery {
	bodies := map[string]any{}                // decoded JSON of each protocol text, for body filters
	signed := map[string]signedNotification{} // by protocol text
	planned := make([]delivery, 0, len(targets))

	for _, target := range targets {
		text := msg.textFor(target.protocol)
		if target.policy != nil && !s.policyMatches(target.policy, msg, text, bodies) {
			s.filteredOut.Add(1)
			continue
		}

		d := delivery{target: target, text: text}
		if target.protocol == protocolLambda && !s.cfg.SignLambdaEvents {
			d.envelope = unsignedNotification(msg, text, t.signatureVersion)
		} else if !target.raw {
			envelope, ok := signed[text]
			if !ok {
				var err error
				if envelope, err = s.signNotification(msg, text, t.signatureVersion); err != nil {
					s.deliveryFailed(target, msg, err)
					continue
				}
				signed[text] = envelope
			}
			d.envelope = envelope
		}
		planned = append(planned, d)
	}
	return planned
}

// deliver hands over the planned deliveries of msg in order. Deliveries to sqs and lambda
// are made before it returns, and http and https deliveries are queued for the workers.
// It returns nothing because, as on AWS, a failed delivery is logged and counted but does
// not fail the publish.
func (s *Service) deliver(c *call, msg *message, planned []delivery) {
	s.published.Add(1)
	for _, d := range planned {
		switch d.target.protocol {
		case protocolSQS:
			s.deliverToQueue(c, msg, d.target, d.text, d.envelope)
		case protocolLambda:
			s.invokeFunction(c, msg, d.target, d.envelope)
		case protocolHTTP, protocolHTTPS:
			s.queueHTTPNotification(c, msg, d.target, d.text, d.envelope)
		}
	}
}

func (s *Service) policyMatches(policy *filterPolicy, msg *message, text string, bodies map[string]any) bool {
	if policy.scope == scopeAttributes {
		return policy.matchAttributes(msg.attrs)
	}
	body, ok := bodies[text]
	if !ok {
		if json.Unmarshal([]byte(text), &body) != nil {
			body = nil // a body that is not JSON matches no body policy
		}
		bodies[text] = body
	}
	return policy.matchBody(body)
}

func (s *Service) deliverToQueue(c *call, msg *message, target deliveryTarget, text string, envelope signedNotification) {
	if s.cfg.Queues == nil {
		s.deliveryFailed(target, msg, errors.New("no SQS service is attached to the local SNS"))
		return
	}
	body, attrs := text, msg.attrs
	if !target.raw {
		body, attrs = string(s.notificationJSON(msg, envelope, c.baseURL, target.arn)), nil
	}
	if err := s.cfg.Queues.DeliverToQueue(c.ctx, target.endpoint, body, attrs); err != nil {
		s.deliveryFailed(target, msg, err)
		return
	}
	s.delivered.Add(1)
}

func (s *Service) invokeFunction(c *call, msg *message, target deliveryTarget, envelope signedNotification) {
	if s.cfg.Functions == nil {
		s.deliveryFailed(target, msg, errors.New("no Lambda runtime is attached to the local SNS"))
		return
	}
	payload := s.lambdaEventJSON(msg, envelope, c.baseURL, target.arn)
	if err := s.cfg.Functions.InvokeAsync(c.ctx, target.endpoint, payload); err != nil {
		s.deliveryFailed(target, msg, err)
		return
	}
	s.delivered.Add(1)
}

func (s *Service) queueHTTPNotification(c *call, msg *message, target deliveryTarget, text string, envelope signedNotification) {
	job := httpJob{
		url:             target.endpoint,
		messageType:     "Notification",
		messageID:       msg.id,
		topicARN:        msg.topicARN,
		subscriptionARN: target.arn,
		raw:             target.raw,
	}
	if target.raw {
		job.body = []byte(text)
	} else {
		job.body = s.notificationJSON(msg, envelope, c.baseURL, target.arn)
	}
	s.http.enqueue(job)
}

// sendConfirmation queues the SubscriptionConfirmation of a new http or https subscription.
func (s *Service) sendConfirmation(baseURL, signatureVersion string, sub *subscription) {
	s.confirmations.Add(1)
	confirmation := confirmationMessage{
		Type:      "SubscriptionConfirmation",
		MessageID: newMessageID(),
		Token:     sub.token,
		TopicArn:  sub.topicARN,
		Message: "You have chosen to subscribe to the topic " + sub.topicARN +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     subscribeURL(baseURL, sub.topicARN, sub.token),
		Timestamp:        s.now().UTC().Format(timestampLayout),
		SignatureVersion: signatureVersion,
		SigningCertURL:   signingCertURL(baseURL),
	}
	signature, err := s.signer.sign(signatureVersion, canonicalString(
		"Message", confirmation.Message,
		"MessageId", confirmation.MessageID,
		"SubscribeURL", confirmation.SubscribeURL,
		"Timestamp", confirmation.Timestamp,
		"Token", confirmation.Token,
		"TopicArn", confirmation.TopicArn,
		"Type", confirmation.Type,
	))
	if err != nil {
		s.logger.Error("sns subscription confirmation not sent", "subscription_arn", sub.arn, "err", err)
		s.deliveryFailures.Add(1)
		return
	}
	confirmation.Signature = signature

	s.http.enqueue(httpJob{
		url:             sub.endpoint,
		messageType:     confirmation.Type,
		messageID:       confirmation.MessageID,
		topicARN:        sub.topicARN,
		subscriptionARN: sub.arn,
		body:            marshalJSON(confirmation),
	})
}

func (s *Service) deliveryFailed(target deliveryTarget, msg *message, err error) {
	s.deliveryFailures.Add(1)
	s.logger.Error("sns delivery failed", "protocol", target.protocol, "topic_arn", msg.topicARN,
		"subscription_arn", target.arn, "message_id", msg.id, "err", err)
}
