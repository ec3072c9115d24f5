package sns

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
)

// timestampLayout is the UTC, millisecond format of envelope timestamps.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// notification is the JSON envelope SNS delivers to sqs and http subscriptions without raw
// message delivery. Field order and names follow AWS's, including the URL spelling of
// SigningCertURL and UnsubscribeURL.
type notification struct {
	Type              string                       `json:"Type"`
	MessageID         string                       `json:"MessageId"`
	TopicArn          string                       `json:"TopicArn"`
	Subject           string                       `json:"Subject,omitempty"`
	Message           string                       `json:"Message"`
	Timestamp         string                       `json:"Timestamp"`
	SignatureVersion  string                       `json:"SignatureVersion"`
	Signature         string                       `json:"Signature"`
	SigningCertURL    string                       `json:"SigningCertURL"`
	UnsubscribeURL    string                       `json:"UnsubscribeURL"`
	MessageAttributes map[string]envelopeAttribute `json:"MessageAttributes,omitempty"`
}

// confirmationMessage is the SubscriptionConfirmation SNS posts to a new http subscription.
type confirmationMessage struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Message          string `json:"Message"`
	SubscribeURL     string `json:"SubscribeURL"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
}

// envelopeAttribute is a message attribute inside an envelope: Binary values are base64,
// every other type keeps its string value.
type envelopeAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// lambdaEvent is the event SNS sends to a lambda subscription, one record per invoke. It
// matches aws-lambda-go's events.SNSEvent, where the Sns object spells SigningCertUrl and
// UnsubscribeUrl, Subject is null when not set and MessageAttributes is {} when empty.
type lambdaEvent struct {
	Records []lambdaRecord `json:"Records"`
}

type lambdaRecord struct {
	EventSource          string       `json:"EventSource"`
	EventVersion         string       `json:"EventVersion"`
	EventSubscriptionArn string       `json:"EventSubscriptionArn"`
	SNS                  lambdaEntity `json:"Sns"`
}

type lambdaEntity struct {
	Type              string                       `json:"Type"`
	MessageID         string                       `json:"MessageId"`
	TopicArn          string                       `json:"TopicArn"`
	Subject           *string                      `json:"Subject"`
	Message           string                       `json:"Message"`
	Timestamp         string                       `json:"Timestamp"`
	SignatureVersion  string                       `json:"SignatureVersion"`
	Signature         string                       `json:"Signature"`
	SigningCertURL    string                       `json:"SigningCertUrl"`
	UnsubscribeURL    string                       `json:"UnsubscribeUrl"`
	MessageAttributes map[string]envelopeAttribute `json:"MessageAttributes"`
}

func envelopeAttributes(attrs map[string]MessageAttribute) map[string]envelopeAttribute {
	out := make(map[string]envelopeAttribute, len(attrs))
	for name, attr := range attrs {
		value := attr.StringValue
		if attr.BinaryValue != nil {
			value = base64.StdEncoding.EncodeToString(attr.BinaryValue)
		}
		out[name] = envelopeAttribute{Type: attr.DataType, Value: value}
	}
	return out
}

// signedNotification holds the parts of a Notification that are the same for every
// subscription of one protocol text, so a message is signed once per distinct text.
type signedNotification struct {
	text      string
	timestamp string
	version   string
	signature string
}

func (s *Service) signNotification(msg *message, text, version string) (signedNotification, error) {
	timestamp := msg.timestamp.Format(timestampLayout)
	fields := []string{"Message", text, "MessageId", msg.id}
	if msg.subject != "" {
		fields = append(fields, "Subject", msg.subject)
	}
	fields = append(fields, "Timestamp", timestamp, "TopicArn", msg.topicARN, "Type", "Notification")
	signature, err := s.signer.sign(version, canonicalString(fields...))
	if err != nil {
		return signedNotification{}, err
	}
	return signedNotification{text: text, timestamp: timestamp, version: version, signature: signature}, nil
}

// unsignedNotification is the envelope of a notification with an empty Signature.
func unsignedNotification(msg *message, text, version string) signedNotification {
	return signedNotification{text: text, timestamp: msg.timestamp.Format(timestampLayout), version: version}
}

func signingCertURL(baseURL string) string { return baseURL + signingCertPath }

func unsubscribeURL(baseURL, subscriptionARN string) string {
	return baseURL + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(subscriptionARN)
}

func subscribeURL(baseURL, topicARN, token string) string {
	return baseURL + "/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicARN) + "&Token=" + url.QueryEscape(token)
}

func (s *Service) notificationJSON(msg *message, signed signedNotification, baseURL, subscriptionARN string) []byte {
	envelope := notification{
		Type:             "Notification",
		MessageID:        msg.id,
		TopicArn:         msg.topicARN,
		Subject:          msg.subject,
		Message:          signed.text,
		Timestamp:        signed.timestamp,
		SignatureVersion: signed.version,
		Signature:        signed.signature,
		SigningCertURL:   signingCertURL(baseURL),
		UnsubscribeURL:   unsubscribeURL(baseURL, subscriptionARN),
	}
	if len(msg.attrs) > 0 {
		envelope.MessageAttributes = envelopeAttributes(msg.attrs)
	}
	return marshalJSON(envelope)
}

func (s *Service) lambdaEventJSON(msg *message, signed signedNotification, baseURL, subscriptionARN string) []byte {
	var subject *string
	if msg.subject != "" {
		subject = &msg.subject
	}
	event := lambdaEvent{Records: []lambdaRecord{{
		EventSource:          "aws:sns",
		EventVersion:         "1.0",
		EventSubscriptionArn: subscriptionARN,
		SNS: lambdaEntity{
			Type:              "Notification",
			MessageID:         msg.id,
			TopicArn:          msg.topicARN,
			Subject:           subject,
			Message:           signed.text,
			Timestamp:         signed.timestamp,
			SignatureVersion:  signed.version,
			Signature:         signed.signature,
			SigningCertURL:    signingCertURL(baseURL),
			UnsubscribeURL:    unsubscribeURL(baseURL, subscriptionARN),
			MessageAttributes: envelopeAttributes(msg.attrs),
		},
	}}}
	return marshalJSON(event)
}

// marshalJSON encodes v without escaping <, > and &, as AWS's envelopes do not.
func marshalJSON(v any) []byte {
	var b bytes.Buffer
	encoder := json.NewEncoder(&b)
	encoder.SetEscapeHTML(false)
	// The envelope types hold only strings and string maps, which always encode.
	_ = encoder.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
