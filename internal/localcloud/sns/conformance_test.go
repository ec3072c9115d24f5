package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

const (
	queueARN    = "arn:aws:sqs:us-east-1:000000000000:relay-jobs"
	functionARN = "arn:aws:lambda:us-east-1:000000000000:function:notified"
)

// conformanceCase is one behaviour checked through aws-sdk-go-v2 against a fresh service.
type conformanceCase struct {
	name string
	run  func(t *testing.T, env *testEnv)
}

func TestConformance(t *testing.T) {
	var cases []conformanceCase
	cases = append(cases, topicCases...)
	cases = append(cases, subscriptionCases...)
	cases = append(cases, publishCases...)
	cases = append(cases, batchCases...)
	cases = append(cases, filterCases...)
	cases = append(cases, httpCases...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newTestEnv(t))
		})
	}
}

var ctx = context.Background()

var topicCases = []conformanceCase{
	{"CreateTopic returns ARN and is idempotent", func(t *testing.T, env *testEnv) {
		first := env.createTopic(t, "relay-results")
		if want := "arn:aws:sns:us-east-1:000000000000:relay-results"; first != want {
			t.Fatalf("TopicArn = %q, want %q", first, want)
		}
		second := env.createTopic(t, "relay-results")
		if second != first {
			t.Fatalf("second CreateTopic returned %q, want the same ARN %q", second, first)
		}
	}},
	{"CreateTopic uses configured account and region", func(t *testing.T, _ *testEnv) {
		env := newTestEnv(t, func(c *Config) { c.AccountID, c.Region = "123456789012", "eu-west-1" })
		if got, want := env.createTopic(t, "t"), "arn:aws:sns:eu-west-1:123456789012:t"; got != want {
			t.Fatalf("TopicArn = %q, want %q", got, want)
		}
	}},
	{"CreateTopic with different attributes fails", func(t *testing.T, env *testEnv) {
		_, err := env.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t"), Attributes: map[string]string{"DisplayName": "one"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("t"), Attributes: map[string]string{"DisplayName": "two"}})
		requireErrorAs[*types.InvalidParameterException](t, err)
	}},
	{"CreateTopic rejects invalid name", func(t *testing.T, env *testEnv) {
		_, err := env.client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("bad name!")})
		e := requireErrorAs[*types.InvalidParameterException](t, err)
		if got := e.ErrorMessage(); got != "Invalid parameter: Topic Name" {
			t.Fatalf("message = %q", got)
		}
	}},
	{"DeleteTopic removes topic and subscriptions", func(t *testing.T, env *testEnv) {
		arn := env.createTopic(t, "t")
		var subARNs []string
		for i := range 3 {
			subARNs = append(subARNs, env.subscribe(t, arn, "sqs", fmt.Sprintf("%s-%d", queueARN, i), nil))
		}
		if _, err := env.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: &arn}); err != nil {
			t.Fatal(err)
		}
		_, err := env.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn})
		requireErrorAs[*types.NotFoundException](t, err)
		for _, subARN := range subARNs {
			_, err = env.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
			requireErrorAs[*types.NotFoundException](t, err)
		}
		list, err := env.client.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Subscriptions) != 0 {
			t.Fatalf("ListSubscriptions after DeleteTopic: %d subscriptions, want 0", len(list.Subscriptions))
		}
		if _, err := env.client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: &arn}); err != nil {
			t.Fatalf("DeleteTopic of a deleted topic: %v, want success as on AWS", err)
		}
	}},
	{"ListTopics pages with NextToken", func(t *testing.T, env *testEnv) {
		want := map[string]bool{}
		for i := range 105 {
			want[env.createTopic(t, fmt.Sprintf("topic-%03d", i))] = true
		}
		first, err := env.client.ListTopics(ctx, &awssns.ListTopicsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Topics) != 100 || first.NextToken == nil {
			t.Fatalf("first page: %d topics, NextToken %v; want 100 and a token", len(first.Topics), first.NextToken)
		}
		got := map[string]bool{}
		paginator := awssns.NewListTopicsPaginator(env.client, &awssns.ListTopicsInput{})
		for pages := 0; paginator.HasMorePages(); pages++ {
			if pages > 3 {
				t.Fatal("ListTopics paginator did not stop after 3 pages")
			}
			page, err := paginator.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, topic := range page.Topics {
				if got[*topic.TopicArn] {
					t.Fatalf("topic %s listed twice", *topic.TopicArn)
				}
				got[*topic.TopicArn] = true
			}
		}
		if len(got) != len(want) {
			t.Fatalf("listed %d topics, want %d", len(got), len(want))
		}
		_, err = env.client.ListTopics(ctx, &awssns.ListTopicsInput{NextToken: aws.String("%%%")})
		requireErrorAs[*types.InvalidParameterException](t, err)
	}},
	{"Get and SetTopicAttributes", func(t *testing.T, env *testEnv) {
		arn := env.createTopic(t, "t")
		env.subscribe(t, arn, "sqs", queueARN, nil)
		_, err := env.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &arn,
			AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Relay results")})
		if err != nil {
			t.Fatal(err)
		}
		out, err := env.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"TopicArn": arn, "DisplayName": "Relay results", "Owner": "000000000000",
			"SubscriptionsConfirmed": "1", "SubscriptionsPending": "0"} {
			if got := out.Attributes[key]; got != want {
				t.Errorf("attribute %s = %q, want %q", key, got, want)
			}
		}
		if !json.Valid([]byte(out.Attributes["Policy"])) {
			t.Errorf("Policy %q is not JSON", out.Attributes["Policy"])
		}
	}},
	{"SetTopicAttributes validates", func(t *testing.T, env *testEnv) {
		arn := env.createTopic(t, "t")
		for _, attr := range [][2]string{{"MaximumMessageSize", "1023"}, {"MaximumMessageSize", "1048577"},
			{"SignatureVersion", "3"}, {"NoSuchAttribute", "x"}, {"FifoTopic", "true"}} {
			_, err := env.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &arn,
				AttributeName: aws.String(attr[0]), AttributeValue: aws.String(attr[1])})
			requireErrorAs[*types.InvalidParameterException](t, err)
		}
		missing := arn + "-missing"
		_, err := env.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &missing,
			AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("x")})
		requireErrorAs[*types.NotFoundException](t, err)
	}},
	{"large MaximumMessageSize needs sqs or lambda subscriptions", func(t *testing.T, env *testEnv) {
		arn := env.createTopic(t, "t")
		sub := newHTTPSubscriber(t, nil)
		env.subscribe(t, arn, "http", sub.server.URL, nil)
		_, err := env.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &arn,
			AttributeName: aws.String("MaximumMessageSize"), AttributeValue: aws.String("1048576")})
		requireErrorAs[*types.InvalidParameterException](t, err)
	}},
	{"GetTopicAttributes of missing topic", func(t *testing.T, env *testEnv) {
		_, err := env.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:nope")})
		e := requireErrorAs[*types.NotFoundException](t, err)
		if e.ErrorMessage() != "Topic does not exist" {
			t.Fatalf("message = %q, want %q", e.ErrorMessage(), "Topic does not exist")
		}
	}},
}

var subscriptionCases = []conformanceCase{
	{"Subscribe sqs is confirmed at once", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		subARN := env.subscribe(t, topicARN, "sqs", queueARN, nil)
		if !strings.HasPrefix(subARN, topicARN+":") {
			t.Fatalf("SubscriptionArn = %q, want prefix %q", subARN, topicARN+":")
		}
		out, err := env.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"SubscriptionArn": subARN, "TopicArn": topicARN, "Protocol": "sqs",
			"Endpoint": queueARN, "PendingConfirmation": "false", "RawMessageDelivery": "false", "Owner": "000000000000"} {
			if got := out.Attributes[key]; got != want {
				t.Errorf("attribute %s = %q, want %q", key, got, want)
			}
		}
	}},
	{"Subscribe is idempotent", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		attrs := map[string]string{"RawMessageDelivery": "true"}
		first := env.subscribe(t, topicARN, "sqs", queueARN, attrs)
		if second := env.subscribe(t, topicARN, "sqs", queueARN, attrs); second != first {
			t.Fatalf("second Subscribe = %q, want %q", second, first)
		}
		_, err := env.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("sqs"),
			Endpoint: aws.String(queueARN), Attributes: map[string]string{"RawMessageDelivery": "false"}})
		requireErrorAs[*types.InvalidParameterException](t, err)
	}},
	{"Subscribe validates", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		invalid := []struct {
			protocol, endpoint string
			attrs              map[string]string
		}{
			{"sqs", "not-an-arn", nil},
			{"lambda", "arn:aws:lambda:us-east-1:000000000000:layer:x", nil},
			{"carrier-pigeon", "x", nil},
			{"email", "a@example.com", nil},
			{"http", "http://example.com/hook", nil},
			{"http", "http://10.0.0.1/hook", nil},
			{"http", "http://169.254.169.254/latest", nil},
			{"https", "http://127.0.0.1/hook", nil},
			{"lambda", functionARN, map[string]string{"RawMessageDelivery": "true"}},
			{"sqs", queueARN, map[string]string{"RawMessageDelivery": "yes"}},
			{"sqs", queueARN, map[string]string{"NoSuchAttribute": "x"}},
			{"sqs", queueARN, map[string]string{"FilterPolicy": "{not json"}},
			{"sqs", queueARN, map[string]string{"FilterPolicyScope": "Everything"}},
		}
		for _, c := range invalid {
			_, err := env.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topicARN, Protocol: &c.protocol,
				Endpoint: &c.endpoint, Attributes: c.attrs})
			if err == nil {
				t.Errorf("Subscribe %s %s %v succeeded, want InvalidParameter", c.protocol, c.endpoint, c.attrs)
				continue
			}
			requireErrorAs[*types.InvalidParameterException](t, err)
		}
		_, err := env.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN + "x"),
			Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)})
		requireErrorAs[*types.NotFoundException](t, err)
	}},
	{"lambda raw delivery error text", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		_, err := env.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("lambda"),
			Endpoint: aws.String(functionARN), Attributes: map[string]string{"RawMessageDelivery": "true"}})
		e := requireErrorAs[*types.InvalidParameterException](t, err)
		want := "Invalid parameter: Attributes Reason: Delivery protocol [lambda] does not support raw message delivery."
		if e.ErrorMessage() != want {
			t.Fatalf("message = %q, want %q", e.ErrorMessage(), want)
		}
	}},
	{"ListSubscriptions and ListSubscriptionsByTopic", func(t *testing.T, env *testEnv) {
		a := env.createTopic(t, "a")
		b := env.createTopic(t, "b")
		subA := env.subscribe(t, a, "sqs", queueARN, nil)
		subB := env.subscribe(t, b, "lambda", functionARN, nil)
		all, err := env.client.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Subscriptions) != 2 {
			t.Fatalf("ListSubscriptions: %d subscriptions, want 2", len(all.Subscriptions))
		}
		byTopic, err := env.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &b})
		if err != nil {
			t.Fatal(err)
		}
		if len(byTopic.Subscriptions) != 1 {
			t.Fatalf("ListSubscriptionsByTopic: %d subscriptions, want 1", len(byTopic.Subscriptions))
		}
		got := byTopic.Subscriptions[0]
		if *got.SubscriptionArn != subB || *got.Protocol != "lambda" || *got.Endpoint != functionARN || *got.TopicArn != b || *got.Owner != "000000000000" {
			t.Fatalf("subscription = %+v, want %s lambda %s", got, subB, functionARN)
		}
		_ = subA
		_, err = env.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(a + "-missing")})
		requireErrorAs[*types.NotFoundException](t, err)
	}},
	{"ListSubscriptions pages with NextToken", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		for i := range 101 {
			env.subscribe(t, topicARN, "sqs", fmt.Sprintf("%s-%d", queueARN, i), nil)
		}
		seen := 0
		paginator := awssns.NewListSubscriptionsByTopicPaginator(env.client, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topicARN})
		for pages := 0; paginator.HasMorePages(); pages++ {
			if pages > 3 {
				t.Fatal("paginator did not stop after 3 pages")
			}
			page, err := paginator.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen += len(page.Subscriptions)
		}
		if seen != 101 {
			t.Fatalf("listed %d subscriptions, want 101", seen)
		}
	}},
	{"Unsubscribe", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		subARN := env.subscribe(t, topicARN, "sqs", queueARN, nil)
		if _, err := env.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: &subARN}); err != nil {
			t.Fatal(err)
		}
		_, err := env.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: &subARN})
		requireErrorAs[*types.NotFoundException](t, err)
		_, err = env.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String("garbage")})
		requireErrorAs[*types.InvalidParameterException](t, err)
		out, err := env.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topicARN})
		if err != nil {
			t.Fatal(err)
		}
		if out.Attributes["SubscriptionsConfirmed"] != "0" || out.Attributes["SubscriptionsDeleted"] != "1" {
			t.Fatalf("after Unsubscribe: confirmed %s, deleted %s; want 0 and 1", out.Attributes["SubscriptionsConfirmed"], out.Attributes["SubscriptionsDeleted"])
		}
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("x")}); err != nil {
			t.Fatal(err)
		}
		if n := len(env.queues.all()); n != 0 {
			t.Fatalf("%d deliveries after Unsubscribe, want 0", n)
		}
	}},
	{"SetSubscriptionAttributes", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		subARN := env.subscribe(t, topicARN, "sqs", queueARN, nil)
		set := func(name, value string) error {
			_, err := env.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{
				SubscriptionArn: &subARN, AttributeName: &name, AttributeValue: &value})
			return err
		}
		if err := set("RawMessageDelivery", "true"); err != nil {
			t.Fatal(err)
		}
		if err := set("FilterPolicy", `{"status":["failed"]}`); err != nil {
			t.Fatal(err)
		}
		if err := set("DeliveryPolicy", `{"healthyRetryPolicy":{"numRetries":5}}`); err != nil {
			t.Fatal(err)
		}
		out, err := env.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"status":["failed"]}`,
			"FilterPolicyScope": "MessageAttributes", "DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":5}}`} {
			if got := out.Attributes[key]; got != want {
				t.Errorf("attribute %s = %q, want %q", key, got, want)
			}
		}
		requireErrorAs[*types.InvalidParameterException](t, set("NoSuchAttribute", "x"))
		requireErrorAs[*types.InvalidParameterException](t, set("FilterPolicy", `{"price":[{"numeric":["<","100"]}]}`))
		// A nested policy is valid only once the scope is MessageBody.
		requireErrorAs[*types.InvalidParameterException](t, set("FilterPolicy", `{"job":{"status":["failed"]}}`))
		if err := set("FilterPolicyScope", "MessageBody"); err != nil {
			t.Fatal(err)
		}
		if err := set("FilterPolicy", `{"job":{"status":["failed"]}}`); err != nil {
			t.Fatal(err)
		}
		// The scope cannot go back while the policy is nested.
		requireErrorAs[*types.InvalidParameterException](t, set("FilterPolicyScope", "MessageAttributes"))
		missing := subARN + "0"
		_, err = env.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: &missing,
			AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")})
		requireErrorAs[*types.NotFoundException](t, err)
	}},
}

// envelopeOf decodes an SQS body that holds an SNS notification envelope, keeping every
// field as raw JSON so absent fields differ from empty ones.
func envelopeOf(t *testing.T, body string) map[string]json.RawMessage {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		t.Fatalf("envelope is not a JSON object: %v\n%s", err, body)
	}
	return fields
}

func stringField(t *testing.T, fields map[string]json.RawMessage, name string) string {
	t.Helper()
	raw, ok := fields[name]
	if !ok {
		t.Fatalf("envelope has no %s field", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("envelope field %s = %s, want a string", name, raw)
	}
	return s
}

// verifySignature checks an envelope's Signature against the certificate served at its
// SigningCertURL, over AWS's canonical string for the message type.
func verifySignature(t *testing.T, fields map[string]json.RawMessage) {
	t.Helper()
	certURL := stringField(t, fields, "SigningCertURL")
	resp, err := http.Get(certURL)
	if err != nil {
		t.Fatalf("GET SigningCertURL: %v", err)
	}
	pemBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("SigningCertURL served no PEM block: %q", pemBytes)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	var names []string
	switch typ := stringField(t, fields, "Type"); typ {
	case "Notification":
		names = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	case "SubscriptionConfirmation":
		names = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	default:
		t.Fatalf("unexpected Type %q", typ)
	}
	var canonical strings.Builder
	for _, name := range names {
		if _, ok := fields[name]; !ok && name == "Subject" {
			continue
		}
		canonical.WriteString(name + "\n" + stringField(t, fields, name) + "\n")
	}
	signature, err := base64.StdEncoding.DecodeString(stringField(t, fields, "Signature"))
	if err != nil {
		t.Fatal(err)
	}
	key := cert.PublicKey.(*rsa.PublicKey)
	if version := stringField(t, fields, "SignatureVersion"); version == "2" {
		sum := sha256.Sum256([]byte(canonical.String()))
		err = rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], signature)
	} else {
		sum := sha1.Sum([]byte(canonical.String()))
		err = rsa.VerifyPKCS1v15(key, crypto.SHA1, sum[:], signature)
	}
	if err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
}

var publishCases = []conformanceCase{
	{"Publish delivers AWS envelope to sqs", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		subARN := env.subscribe(t, topicARN, "sqs", queueARN, nil)
		before := time.Now().UTC().Truncate(time.Millisecond)
		out, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(`{"a":"<b>&"}`),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"status": {DataType: aws.String("String"), StringValue: aws.String("failed")},
			}})
		if err != nil {
			t.Fatal(err)
		}
		deliveries := env.queues.to(queueARN)
		if len(deliveries) != 1 {
			t.Fatalf("%d deliveries, want 1", len(deliveries))
		}
		if deliveries[0].attrs != nil {
			t.Errorf("SQS message attributes = %v, want none without raw delivery", deliveries[0].attrs)
		}
		body := deliveries[0].body
		if !strings.HasPrefix(body, `{"Type":"Notification","MessageId":`) {
			t.Errorf("envelope does not start with Type and MessageId: %s", body)
		}
		fields := envelopeOf(t, body)
		if got := stringField(t, fields, "MessageId"); got != *out.MessageId {
			t.Errorf("MessageId = %q, want Publish's %q", got, *out.MessageId)
		}
		if got := stringField(t, fields, "Message"); got != `{"a":"<b>&"}` {
			t.Errorf("Message = %q", got)
		}
		if strings.Contains(body, `\u003c`) {
			t.Errorf("envelope escapes HTML characters, AWS does not: %s", body)
		}
		if got := stringField(t, fields, "TopicArn"); got != topicARN {
			t.Errorf("TopicArn = %q, want %q", got, topicARN)
		}
		if _, ok := fields["Subject"]; ok {
			t.Errorf("envelope has Subject though none was published: %s", body)
		}
		timestamp := stringField(t, fields, "Timestamp")
		parsed, err := time.Parse("2006-01-02T15:04:05.000Z", timestamp)
		if err != nil {
			t.Errorf("Timestamp %q is not in 2006-01-02T15:04:05.000Z form: %v", timestamp, err)
		} else if parsed.Before(before) || parsed.After(time.Now().Add(time.Second)) {
			t.Errorf("Timestamp %s is not the publish time (after %s)", parsed, before)
		}
		if got := stringField(t, fields, "SignatureVersion"); got != "1" {
			t.Errorf("SignatureVersion = %q, want 1", got)
		}
		if got, want := stringField(t, fields, "UnsubscribeURL"), env.server.URL+"/?Action=Unsubscribe&SubscriptionArn="+url.QueryEscape(subARN); got != want {
			t.Errorf("UnsubscribeURL = %q, want %q", got, want)
		}
		var attrs map[string]map[string]string
		if err := json.Unmarshal(fields["MessageAttributes"], &attrs); err != nil {
			t.Fatalf("MessageAttributes %s: %v", fields["MessageAttributes"], err)
		}
		if want := map[string]string{"Type": "String", "Value": "failed"}; fmt.Sprint(attrs["status"]) != fmt.Sprint(want) {
			t.Errorf("MessageAttributes.status = %v, want %v", attrs["status"], want)
		}
		verifySignature(t, fields)
	}},
	{"Publish with Subject and SignatureVersion 2", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		_, err := env.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topicARN,
			AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")})
		if err != nil {
			t.Fatal(err)
		}
		env.subscribe(t, topicARN, "sqs", queueARN, nil)
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("hi"), Subject: aws.String("Job done")}); err != nil {
			t.Fatal(err)
		}
		fields := envelopeOf(t, env.queues.all()[0].body)
		if got := stringField(t, fields, "Subject"); got != "Job done" {
			t.Errorf("Subject = %q, want %q", got, "Job done")
		}
		if _, ok := fields["MessageAttributes"]; ok {
			t.Errorf("envelope has MessageAttributes though none were published")
		}
		if got := stringField(t, fields, "SignatureVersion"); got != "2" {
			t.Errorf("SignatureVersion = %q, want 2", got)
		}
		verifySignature(t, fields)
	}},
	{"raw delivery to sqs keeps body and attributes", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
		_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("plain text"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"attempt": {DataType: aws.String("Number"), StringValue: aws.String("2")},
				"blob":    {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
			}})
		if err != nil {
			t.Fatal(err)
		}
		d := env.queues.all()[0]
		if d.body != "plain text" {
			t.Errorf("body = %q, want the raw message", d.body)
		}
		if got := d.attrs["attempt"]; got.DataType != "Number" || got.StringValue != "2" {
			t.Errorf("attempt attribute = %+v", got)
		}
		if got := d.attrs["blob"]; got.DataType != "Binary" || string(got.BinaryValue) != "\x00\x01\x02" {
			t.Errorf("blob attribute = %+v", got)
		}
	}},
	{"MessageStructure json without default", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		for _, message := range []string{`{"sqs":"only sqs"}`, `{"default":{"not":"a string"}}`} {
			_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(message), MessageStructure: aws.String("json")})
			e := requireErrorAs[*types.InvalidParameterException](t, err)
			if want := "Invalid parameter: Message Structure - No default entry in JSON message body"; e.ErrorMessage() != want {
				t.Errorf("message for %s = %q, want %q", message, e.ErrorMessage(), want)
			}
		}
		_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(`not json`), MessageStructure: aws.String("json")})
		e := requireErrorAs[*types.InvalidParameterException](t, err)
		if want := "Invalid parameter: Message Structure - JSON message body failed to parse"; e.ErrorMessage() != want {
			t.Errorf("message = %q, want %q", e.ErrorMessage(), want)
		}
		_, err = env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(`{"default":"x"}`), MessageStructure: aws.String("xml")})
		requireErrorAs[*types.InvalidParameterException](t, err)
	}},
	{"MessageStructure json protocol keys override default", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		otherQueue := queueARN + "-raw"
		env.subscribe(t, topicARN, "sqs", queueARN, nil)
		env.subscribe(t, topicARN, "sqs", otherQueue, map[string]string{"RawMessageDelivery": "true"})
		env.subscribe(t, topicARN, "lambda", functionARN, nil)
		message := `{"default":"for everyone","sqs":"for queues","lambda":"for functions","email":"ignored"}`
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(message), MessageStructure: aws.String("json")}); err != nil {
			t.Fatal(err)
		}
		if got := stringField(t, envelopeOf(t, env.queues.to(queueARN)[0].body), "Message"); got != "for queues" {
			t.Errorf("sqs envelope Message = %q, want the sqs key", got)
		}
		if got := env.queues.to(otherQueue)[0].body; got != "for queues" {
			t.Errorf("raw sqs body = %q, want the sqs key", got)
		}
		var event events.SNSEvent
		if err := json.Unmarshal(env.functions.all()[0].payload, &event); err != nil {
			t.Fatal(err)
		}
		if got := event.Records[0].SNS.Message; got != "for functions" {
			t.Errorf("lambda Message = %q, want the lambda key", got)
		}

		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(`{"default":"fallback"}`), MessageStructure: aws.String("json")}); err != nil {
			t.Fatal(err)
		}
		if got := env.queues.to(otherQueue)[1].body; got != "fallback" {
			t.Errorf("raw sqs body = %q, want the default key", got)
		}
	}},
	{"lambda event matches aws-lambda-go SNSEvent", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		subARN := env.subscribe(t, topicARN, "lambda", functionARN, nil)
		out, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(`{"jobId":"1"}`),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"status":  {DataType: aws.String("String"), StringValue: aws.String("failed")},
				"attempt": {DataType: aws.String("Number"), StringValue: aws.String("3")},
			}})
		if err != nil {
			t.Fatal(err)
		}
		invocations := env.functions.all()
		if len(invocations) != 1 || invocations[0].functionARN != functionARN {
			t.Fatalf("invocations = %+v, want one of %s", invocations, functionARN)
		}
		payload := invocations[0].payload
		for _, want := range []string{`"SigningCertUrl":`, `"UnsubscribeUrl":`, `"Subject":null`, `"EventSource":"aws:sns"`, `"EventVersion":"1.0"`} {
			if !strings.Contains(string(payload), want) {
				t.Errorf("payload lacks %s: %s", want, payload)
			}
		}
		var event events.SNSEvent
		if err := json.Unmarshal(payload, &event); err != nil {
			t.Fatalf("payload does not decode as events.SNSEvent: %v", err)
		}
		if len(event.Records) != 1 {
			t.Fatalf("%d records, want 1", len(event.Records))
		}
		record := event.Records[0]
		if record.EventSubscriptionArn != subARN {
			t.Errorf("EventSubscriptionArn = %q, want %q", record.EventSubscriptionArn, subARN)
		}
		entity := record.SNS
		if entity.MessageID != *out.MessageId || entity.Type != "Notification" || entity.TopicArn != topicARN || entity.Message != `{"jobId":"1"}` {
			t.Errorf("Sns = %+v", entity)
		}
		if entity.Timestamp.IsZero() || entity.SignatureVersion != "1" || entity.SigningCertURL == "" || entity.UnsubscribeURL == "" {
			t.Errorf("Sns signing fields = %+v", entity)
		}
		if entity.Signature != "" {
			t.Errorf("Sns.Signature = %q, want empty without SignLambdaEvents", entity.Signature)
		}
		status, _ := entity.MessageAttributes["status"].(map[string]any)
		if status["Type"] != "String" || status["Value"] != "failed" {
			t.Errorf("MessageAttributes.status = %v", entity.MessageAttributes["status"])
		}
		attempt, _ := entity.MessageAttributes["attempt"].(map[string]any)
		if attempt["Type"] != "Number" || attempt["Value"] != "3" {
			t.Errorf("MessageAttributes.attempt = %v", entity.MessageAttributes["attempt"])
		}
	}},
	{"message attribute types", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "sqs", queueARN, nil)
		_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"s":      {DataType: aws.String("String"), StringValue: aws.String("v")},
				"n":      {DataType: aws.String("Number"), StringValue: aws.String("-1.5e3")},
				"b":      {DataType: aws.String("Binary"), BinaryValue: []byte("bytes")},
				"a":      {DataType: aws.String("String.Array"), StringValue: aws.String(`["x",1,true,null]`)},
				"custom": {DataType: aws.String("String.job"), StringValue: aws.String("c")},
			}})
		if err != nil {
			t.Fatal(err)
		}
		var attrs map[string]map[string]string
		if err := json.Unmarshal(envelopeOf(t, env.queues.all()[0].body)["MessageAttributes"], &attrs); err != nil {
			t.Fatal(err)
		}
		want := map[string][2]string{"s": {"String", "v"}, "n": {"Number", "-1.5e3"},
			"b": {"Binary", base64.StdEncoding.EncodeToString([]byte("bytes"))}, "a": {"String.Array", `["x",1,true,null]`},
			"custom": {"String.job", "c"}}
		for name, w := range want {
			if attrs[name]["Type"] != w[0] || attrs[name]["Value"] != w[1] {
				t.Errorf("attribute %s = %v, want Type %s Value %s", name, attrs[name], w[0], w[1])
			}
		}
	}},
	{"invalid message attributes", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		invalid := map[string]types.MessageAttributeValue{
			"n":         {DataType: aws.String("Number"), StringValue: aws.String("twelve")},
			"weird":     {DataType: aws.String("Blob"), StringValue: aws.String("x")},
			"array":     {DataType: aws.String("String.Array"), StringValue: aws.String(`{"not":"array"}`)},
			"empty":     {DataType: aws.String("String"), StringValue: aws.String("")},
			"AWS.trace": {DataType: aws.String("String"), StringValue: aws.String("x")},
		}
		for name, value := range invalid {
			_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m"),
				MessageAttributes: map[string]types.MessageAttributeValue{name: value}})
			if err == nil {
				t.Errorf("attribute %s %+v accepted, want ParameterValueInvalid", name, value)
				continue
			}
			requireErrorAs[*types.InvalidParameterValueException](t, err)
		}
	}},
	{"Publish validates", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN + "-missing"), Message: aws.String("m")})
		requireErrorAs[*types.NotFoundException](t, err)
		_, err = env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("")})
		requireErrorAs[*types.InvalidParameterException](t, err)
		for _, subject := range []string{"", strings.Repeat("s", 101), "line\nbreak"} {
			_, err = env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m"), Subject: aws.String(subject)})
			requireErrorAs[*types.InvalidParameterException](t, err)
		}
		_, err = env.client.Publish(ctx, &awssns.PublishInput{Message: aws.String("m")})
		requireErrorAs[*types.InvalidParameterException](t, err)
	}},
	{"Publish size limit follows MaximumMessageSize", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "sqs", queueARN, nil)
		atLimit := strings.Repeat("x", 262144)
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: &atLimit}); err != nil {
			t.Fatalf("Publish of 262144 bytes: %v", err)
		}
		overLimit := atLimit + "x"
		_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: &overLimit})
		e := requireErrorAs[*types.InvalidParameterException](t, err)
		if e.ErrorMessage() != "Invalid parameter: Message too long" {
			t.Errorf("message = %q", e.ErrorMessage())
		}
		withAttribute := strings.Repeat("x", 262140)
		_, err = env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: &withAttribute,
			MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
		requireErrorAs[*types.InvalidParameterException](t, err)

		_, err = env.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topicARN,
			AttributeName: aws.String("MaximumMessageSize"), AttributeValue: aws.String("1048576")})
		if err != nil {
			t.Fatal(err)
		}
		large := strings.Repeat("y", 1048576)
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: &large}); err != nil {
			t.Fatalf("Publish of 1 MiB to a topic allowing it: %v", err)
		}
		if got := len(env.queues.all()); got != 2 {
			t.Fatalf("%d deliveries, want 2", got)
		}
	}},
	{"failed sqs delivery does not fail Publish", func(t *testing.T, env *testEnv) {
		env.queues.fail = errors.New("queue relay-jobs does not exist")
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "sqs", queueARN, nil)
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m")}); err != nil {
			t.Fatal(err)
		}
		if got := env.svc.Stats().DeliveryFailures; got != 1 {
			t.Fatalf("DeliveryFailures = %d, want 1", got)
		}
	}},
	{"unknown action", func(t *testing.T, env *testEnv) {
		resp, err := http.PostForm(env.server.URL, url.Values{"Action": {"DescribeEverything"}, "Version": {"2010-03-31"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidAction</Code>") {
			t.Fatalf("status %d body %s, want 400 InvalidAction", resp.StatusCode, body)
		}
	}},
	{"oversized request body", func(t *testing.T, env *testEnv) {
		body := "Action=Publish&Message=" + strings.Repeat("x", maxRequestBytes)
		resp, err := http.Post(env.server.URL, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413", resp.StatusCode)
		}
	}},
}

var batchCases = []conformanceCase{
	{"PublishBatch reports each entry", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
		out, err := env.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topicARN, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
			{Id: aws.String("ok-1"), Message: aws.String(`{"default":"one"}`), MessageStructure: aws.String("json"),
				MessageAttributes: map[string]types.MessageAttributeValue{"status": {DataType: aws.String("String"), StringValue: aws.String("succeeded")}}},
			{Id: aws.String("bad"), Message: aws.String(`{"sqs":"no default"}`), MessageStructure: aws.String("json")},
			{Id: aws.String("ok_2"), Message: aws.String("two"), Subject: aws.String("s")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 2 || *out.Successful[0].Id != "ok-1" || *out.Successful[1].Id != "ok_2" {
			t.Fatalf("Successful = %+v, want ok-1 and ok_2", out.Successful)
		}
		if len(out.Failed) != 1 {
			t.Fatalf("Failed = %+v, want one entry", out.Failed)
		}
		failed := out.Failed[0]
		if *failed.Id != "bad" || *failed.Code != "InvalidParameter" || !failed.SenderFault ||
			*failed.Message != "Invalid parameter: Message Structure - No default entry in JSON message body" {
			t.Errorf("Failed[0] = Id %s Code %s SenderFault %v Message %q", *failed.Id, *failed.Code, failed.SenderFault, *failed.Message)
		}
		deliveries := env.queues.all()
		if len(deliveries) != 2 || deliveries[0].body != "one" || deliveries[1].body != "two" {
			t.Fatalf("deliveries = %+v, want bodies one and two", deliveries)
		}
		if got := deliveries[0].attrs["status"].StringValue; got != "succeeded" {
			t.Errorf("status attribute = %q, want succeeded", got)
		}
	}},
	{"PublishBatch rejects malformed batches", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		entry := func(id string) types.PublishBatchRequestEntry {
			return types.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String("m")}
		}
		var eleven []types.PublishBatchRequestEntry
		for i := range 11 {
			eleven = append(eleven, entry(fmt.Sprint(i)))
		}
		publish := func(entries []types.PublishBatchRequestEntry) error {
			_, err := env.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topicARN, PublishBatchRequestEntries: entries})
			return err
		}
		requireErrorAs[*types.TooManyEntriesInBatchRequestException](t, publish(eleven))
		requireErrorAs[*types.BatchEntryIdsNotDistinctException](t, publish([]types.PublishBatchRequestEntry{entry("a"), entry("a")}))
		requireErrorAs[*types.InvalidBatchEntryIdException](t, publish([]types.PublishBatchRequestEntry{entry("not valid!")}))
		requireErrorAs[*types.EmptyBatchRequestException](t, publish([]types.PublishBatchRequestEntry{}))
		big := strings.Repeat("x", 100000)
		requireErrorAs[*types.BatchRequestTooLongException](t, publish([]types.PublishBatchRequestEntry{
			{Id: aws.String("a"), Message: &big}, {Id: aws.String("b"), Message: &big}, {Id: aws.String("c"), Message: &big}}))
		_, err := env.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(topicARN + "-missing"),
			PublishBatchRequestEntries: []types.PublishBatchRequestEntry{entry("a")}})
		requireErrorAs[*types.NotFoundException](t, err)
	}},
}

var filterCases = []conformanceCase{
	{"attribute filter policy routes deliveries", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		failures := queueARN + "-failures"
		env.subscribe(t, topicARN, "sqs", failures, map[string]string{
			"FilterPolicy":       `{"status":["failed"],"attempt":[{"numeric":[">=",2]}]}`,
			"RawMessageDelivery": "true",
		})
		env.subscribe(t, topicARN, "sqs", queueARN, map[string]string{"RawMessageDelivery": "true"})
		publish := func(body, status, attempt string) {
			_, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: &body,
				MessageAttributes: map[string]types.MessageAttributeValue{
					"status":  {DataType: aws.String("String"), StringValue: &status},
					"attempt": {DataType: aws.String("Number"), StringValue: &attempt},
				}})
			if err != nil {
				t.Fatal(err)
			}
		}
		publish("a", "succeeded", "3")
		publish("b", "failed", "1")
		publish("c", "failed", "2")
		if got := env.queues.to(failures); len(got) != 1 || got[0].body != "c" {
			t.Fatalf("filtered queue got %+v, want only c", got)
		}
		if got := len(env.queues.to(queueARN)); got != 3 {
			t.Fatalf("unfiltered queue got %d, want 3", got)
		}
		if got := env.svc.Stats().FilteredOut; got != 2 {
			t.Fatalf("FilteredOut = %d, want 2", got)
		}
	}},
	{"body filter policy with nested keys", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "sqs", queueARN, map[string]string{
			"FilterPolicyScope":  "MessageBody",
			"FilterPolicy":       `{"result":{"status":["failed"],"task":[{"prefix":"img-"}]}}`,
			"RawMessageDelivery": "true",
		})
		for _, body := range []string{
			`{"result":{"status":"failed","task":"img-resize"}}`,
			`{"result":{"status":"failed","task":"txt"}}`,
			`{"result":{"status":"succeeded","task":"img-x"}}`,
			`not json`,
		} {
			if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(body)}); err != nil {
				t.Fatal(err)
			}
		}
		if got := env.queues.all(); len(got) != 1 || !strings.Contains(got[0].body, "img-resize") {
			t.Fatalf("deliveries = %+v, want only the img-resize failure", got)
		}
	}},
	{"invalid filter policies on Subscribe", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		cases := map[string]string{
			`{"price":[{"numeric":["<","100"]}]}`: "Invalid parameter: FilterPolicy: Value of < must be numeric",
			`{"a":[{"exists":"yes"}]}`:            "Invalid parameter: FilterPolicy: exists match pattern must be either true or false.",
			`{"a":[{"regex":"x"}]}`:               "Invalid parameter: FilterPolicy: Unrecognized match type regex",
			`{"a":"x"}`:                           `Invalid parameter: FilterPolicy: "a" must be an object or an array`,
			`{"a":{"b":["x"]}}`:                   "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
			`{"a":[],"b":["x"]}`:                  "Invalid parameter: FilterPolicy: Empty arrays are not allowed",
			`{"a":["x"],"b":["x"],"c":["x"],"d":["x"],"e":["x"],"f":["x"]}`: "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys",
		}
		for policy, want := range cases {
			_, err := env.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("sqs"),
				Endpoint: aws.String(queueARN), Attributes: map[string]string{"FilterPolicy": policy}})
			if err == nil {
				t.Errorf("policy %s accepted", policy)
				continue
			}
			e := requireErrorAs[*types.InvalidParameterException](t, err)
			if e.ErrorMessage() != want {
				t.Errorf("policy %s: message = %q, want %q", policy, e.ErrorMessage(), want)
			}
		}
	}},
}

var httpCases = []conformanceCase{
	{"http subscription confirmation handshake", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		endpoint := newHTTPSubscriber(t, nil)
		out, err := env.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("http"), Endpoint: aws.String(endpoint.server.URL + "/hook")})
		if err != nil {
			t.Fatal(err)
		}
		if *out.SubscriptionArn != "pending confirmation" {
			t.Fatalf("SubscriptionArn = %q, want %q", *out.SubscriptionArn, "pending confirmation")
		}
		confirmation := endpoint.wait(t, 1)[0]
		if got := confirmation.header.Get("x-amz-sns-message-type"); got != "SubscriptionConfirmation" {
			t.Fatalf("x-amz-sns-message-type = %q", got)
		}
		fields := envelopeOf(t, string(confirmation.body))
		token := stringField(t, fields, "Token")
		subscribeURL := stringField(t, fields, "SubscribeURL")
		if !strings.HasPrefix(subscribeURL, env.server.URL+"/?Action=ConfirmSubscription&") {
			t.Fatalf("SubscribeURL = %q, want this server's ConfirmSubscription", subscribeURL)
		}
		verifySignature(t, fields)

		// Nothing is delivered before confirmation.
		list, err := env.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: &topicARN})
		if err != nil {
			t.Fatal(err)
		}
		if got := *list.Subscriptions[0].SubscriptionArn; got != "PendingConfirmation" {
			t.Fatalf("listed SubscriptionArn = %q, want PendingConfirmation", got)
		}
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("early")}); err != nil {
			t.Fatal(err)
		}

		_, err = env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: aws.String("wrong")})
		requireErrorAs[*types.InvalidParameterException](t, err)
		resp, err := http.Get(subscribeURL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<SubscriptionArn>"+topicARN+":") {
			t.Fatalf("GET SubscribeURL: %d %s", resp.StatusCode, body)
		}
		confirmed, err := env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: &token})
		if err != nil {
			t.Fatalf("ConfirmSubscription again: %v", err)
		}

		published, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("late"), Subject: aws.String("subj")})
		if err != nil {
			t.Fatal(err)
		}
		notification := endpoint.wait(t, 2)[1]
		for header, want := range map[string]string{"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": *published.MessageId,
			"x-amz-sns-topic-arn": topicARN, "x-amz-sns-subscription-arn": *confirmed.SubscriptionArn,
			"Content-Type": "text/plain; charset=UTF-8"} {
			if got := notification.header.Get(header); got != want {
				t.Errorf("header %s = %q, want %q", header, got, want)
			}
		}
		fields = envelopeOf(t, string(notification.body))
		if got := stringField(t, fields, "Message"); got != "late" {
			t.Fatalf("delivered Message = %q, want only the message published after confirmation", got)
		}
		verifySignature(t, fields)
	}},
	{"http raw delivery and UnsubscribeURL", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		endpoint := newHTTPSubscriber(t, nil)
		env.subscribe(t, topicARN, "http", endpoint.server.URL, map[string]string{"RawMessageDelivery": "true"})
		token := stringField(t, envelopeOf(t, string(endpoint.wait(t, 1)[0].body)), "Token")
		confirmed, err := env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: &token})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("raw body")}); err != nil {
			t.Fatal(err)
		}
		post := endpoint.wait(t, 2)[1]
		if string(post.body) != "raw body" || post.header.Get("x-amz-sns-rawdelivery") != "true" {
			t.Fatalf("raw post = %q with headers %v", post.body, post.header)
		}

		resp, err := http.Get(unsubscribeURL(env.server.URL, *confirmed.SubscriptionArn))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET UnsubscribeURL: status %d", resp.StatusCode)
		}
		_, err = env.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: confirmed.SubscriptionArn})
		requireErrorAs[*types.NotFoundException](t, err)
	}},
	{"http delivery retries failed attempts", func(t *testing.T, env *testEnv) {
		topicARN := env.createTopic(t, "t")
		endpoint := newHTTPSubscriber(t, func(n int, post httpPost) int {
			if post.header.Get("x-amz-sns-message-type") == "Notification" && n < 4 {
				return http.StatusServiceUnavailable // the first two notification attempts fail
			}
			return http.StatusOK
		})
		env.subscribe(t, topicARN, "http", endpoint.server.URL, nil)
		token := stringField(t, envelopeOf(t, string(endpoint.wait(t, 1)[0].body)), "Token")
		if _, err := env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: &token}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m")}); err != nil {
			t.Fatal(err)
		}
		posts := endpoint.wait(t, 4)
		if stringField(t, envelopeOf(t, string(posts[3].body)), "Message") != "m" {
			t.Fatalf("third attempt body = %s", posts[3].body)
		}
		env.svc.Close() // drains the queue, so the counters are final
		stats := env.svc.Stats()
		if stats.Delivered != 2 || stats.DeliveryFailures != 0 {
			t.Fatalf("stats = %+v, want 2 delivered (confirmation, notification) and no failures", stats)
		}
		if got := endpoint.count(); got != 4 {
			t.Fatalf("%d posts, want 4 (confirmation and three attempts)", got)
		}
	}},
	{"slow http endpoint does not stall Publish", func(t *testing.T, _ *testEnv) {
		env := newTestEnv(t, func(c *Config) { c.HTTPAttempts, c.HTTPAttemptTimeout = 1, 10*time.Second })
		release := make(chan struct{})
		endpoint := newHTTPSubscriber(t, func(n int, post httpPost) int {
			if post.header.Get("x-amz-sns-message-type") == "Notification" {
				<-release
			}
			return http.StatusOK
		})
		defer close(release)
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "http", endpoint.server.URL, nil)
		env.subscribe(t, topicARN, "sqs", queueARN, nil)
		token := stringField(t, envelopeOf(t, string(endpoint.wait(t, 1)[0].body)), "Token")
		if _, err := env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: &token}); err != nil {
			t.Fatal(err)
		}
		// Every worker ends up blocked on the endpoint, yet each Publish returns and
		// delivers to sqs.
		for i := range 8 {
			if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String(fmt.Sprint(i))}); err != nil {
				t.Fatal(err)
			}
		}
		if got := len(env.queues.all()); got != 8 {
			t.Fatalf("%d sqs deliveries while the http endpoint hangs, want 8", got)
		}
	}},
	{"http delivery gives up after its attempts", func(t *testing.T, _ *testEnv) {
		env := newTestEnv(t, func(c *Config) { c.HTTPAttempts, c.HTTPAttemptTimeout = 2, 100*time.Millisecond })
		endpoint := newHTTPSubscriber(t, func(n int, post httpPost) int {
			if post.header.Get("x-amz-sns-message-type") == "Notification" {
				time.Sleep(300 * time.Millisecond) // longer than the attempt timeout
			}
			return http.StatusOK
		})
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "http", endpoint.server.URL, nil)
		token := stringField(t, envelopeOf(t, string(endpoint.wait(t, 1)[0].body)), "Token")
		if _, err := env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: &token}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m")}); err != nil {
			t.Fatal(err)
		}
		endpoint.wait(t, 3)
		env.svc.Close()
		if got := env.svc.Stats().DeliveryFailures; got != 1 {
			t.Fatalf("DeliveryFailures = %d, want 1 after two timed-out attempts", got)
		}
	}},
	{"http redirect is not followed", func(t *testing.T, _ *testEnv) {
		env := newTestEnv(t, func(c *Config) { c.HTTPAttempts = 1 })
		target := newHTTPSubscriber(t, nil)
		posts := make(chan httpPost, 10)
		endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			posts <- httpPost{header: r.Header.Clone(), body: body}
			if r.Header.Get("x-amz-sns-message-type") == "Notification" {
				http.Redirect(w, r, target.server.URL+"/moved", http.StatusTemporaryRedirect)
			}
		}))
		defer endpoint.Close()
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "http", endpoint.URL, nil)
		confirmation := <-posts
		token := stringField(t, envelopeOf(t, string(confirmation.body)), "Token")
		if _, err := env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: &token}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m")}); err != nil {
			t.Fatal(err)
		}
		<-posts
		env.svc.Close() // waits for the delivery to finish
		if got := env.svc.Stats().DeliveryFailures; got != 1 {
			t.Fatalf("DeliveryFailures = %d, want 1 for a 307 response", got)
		}
		if got := target.count(); got != 0 {
			t.Fatalf("redirect target got %d posts, want 0", got)
		}
	}},
	{"Close drains with a deadline", func(t *testing.T, _ *testEnv) {
		env := newTestEnv(t, func(c *Config) {
			c.HTTPAttempts, c.HTTPAttemptTimeout, c.DrainTimeout, c.HTTPWorkers = 1, time.Minute, 200*time.Millisecond, 1
		})
		release := make(chan struct{})
		defer close(release)
		endpoint := newHTTPSubscriber(t, func(n int, post httpPost) int {
			if post.header.Get("x-amz-sns-message-type") == "Notification" {
				select {
				case <-release:
				case <-time.After(30 * time.Second):
				}
			}
			return http.StatusOK
		})
		topicARN := env.createTopic(t, "t")
		env.subscribe(t, topicARN, "http", endpoint.server.URL, nil)
		token := stringField(t, envelopeOf(t, string(endpoint.wait(t, 1)[0].body)), "Token")
		if _, err := env.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: &topicARN, Token: &token}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("m")}); err != nil {
				t.Fatal(err)
			}
		}
		endpoint.wait(t, 2) // the one worker is now blocked on the first notification

		closed := make(chan struct{})
		go func() {
			env.svc.Close()
			env.svc.Close() // a second Close is a no-op
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not return within 10 s although DrainTimeout is 200 ms")
		}
		stats := env.svc.Stats()
		if stats.DeliveryFailures != 1 || stats.HTTPDropped != 2 {
			t.Fatalf("stats = %+v, want the blocked delivery failed and the 2 queued dropped", stats)
		}
		if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("after close")}); err != nil {
			t.Fatalf("Publish after Close: %v", err)
		}
		if got := env.svc.Stats().HTTPDropped; got != 3 {
			t.Fatalf("HTTPDropped after publishing to a closed service = %d, want 3", got)
		}
	}},
}

// TestLambdaEventSignature checks that with SignLambdaEvents the Sns object of a lambda
// event carries a signature that verifies against the signing certificate.
func TestLambdaEventSignature(t *testing.T) {
	env := newTestEnv(t, func(cfg *Config) { cfg.SignLambdaEvents = true })
	topicARN := env.createTopic(t, "signed")
	env.subscribe(t, topicARN, "lambda", functionARN, nil)
	if _, err := env.client.Publish(ctx, &awssns.PublishInput{TopicArn: &topicARN, Message: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	invocations := env.functions.all()
	if len(invocations) != 1 {
		t.Fatalf("%d invocations, want 1", len(invocations))
	}
	var event struct {
		Records []struct {
			Sns map[string]json.RawMessage `json:"Sns"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(invocations[0].payload, &event); err != nil || len(event.Records) != 1 {
		t.Fatalf("payload %s: %v", invocations[0].payload, err)
	}
	fields := event.Records[0].Sns
	// The Lambda event spells the certificate URL SigningCertUrl, and sets Subject to null
	// when there is none, which the canonical string leaves out.
	fields["SigningCertURL"] = fields["SigningCertUrl"]
	if string(fields["Subject"]) == "null" {
		delete(fields, "Subject")
	}
	verifySignature(t, fields)
}
