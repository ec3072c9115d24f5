package sns

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeQueryMembers(t *testing.T) {
	body := "Action=PublishBatch&TopicArn=arn&" +
		"PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=two&" +
		"PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=one&" +
		"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=k&" +
		"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType=Binary&" +
		"PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.BinaryValue=AAE%3D"
	p, err := decodeQuery([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := p.members("PublishBatchRequestEntries.member")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].get("Id") != "a" || entries[1].get("Message") != "two" {
		t.Fatalf("entries = %v, want a then b", entries)
	}
	attrs, err := entries[0].messageAttributes("MessageAttributes")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]MessageAttribute{"k": {DataType: "Binary", BinaryValue: []byte{0, 1}}}
	if !reflect.DeepEqual(attrs, want) {
		t.Fatalf("attributes = %+v, want %+v", attrs, want)
	}
}

func TestDecodeQueryRejects(t *testing.T) {
	for _, body := range []string{
		"Attributes.entry.0.key=a",
		"Attributes.entry.x.key=a",
		"Attributes.entry.99999999999999999999.key=a",
		"Attributes.entry.1.value=no-key",
	} {
		p, err := decodeQuery([]byte(body))
		if err != nil {
			t.Fatalf("decode %q: %v", body, err)
		}
		if _, err := p.attributeMap("Attributes"); err == nil {
			t.Errorf("attributeMap of %q succeeded, want an error", body)
		}
	}
	if _, err := decodeQuery([]byte("a=%zz")); err == nil {
		t.Error("decode of invalid percent-encoding succeeded, want an error")
	}
}

func TestActionKeepsBody(t *testing.T) {
	body := "Action=Publish&Version=2010-03-31&Message=hello"
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if got := Action(r); got != "Publish" {
		t.Fatalf("Action = %q, want Publish", got)
	}
	if !IsRequest(r) {
		t.Fatal("IsRequest = false for a Publish POST")
	}
	rest, _ := io.ReadAll(r.Body)
	if string(rest) != body {
		t.Fatalf("body after Action and IsRequest = %q, want it unchanged", rest)
	}

	json := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"QueueName":"q"}`))
	json.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if IsRequest(json) {
		t.Fatal("IsRequest = true for an AWS JSON request")
	}
	if !IsRequest(httptest.NewRequest(http.MethodGet, signingCertPath, nil)) {
		t.Fatal("IsRequest = false for the signing certificate")
	}
	if !IsRequest(httptest.NewRequest(http.MethodGet, "/?Action=Unsubscribe&SubscriptionArn=x", nil)) {
		t.Fatal("IsRequest = false for an UnsubscribeURL")
	}
}

// FuzzDecodeQuery checks that decoding any body, and reading members, string maps and
// message attributes from it, never panics and keeps members in order.
func FuzzDecodeQuery(f *testing.F) {
	f.Add("Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=hi")
	f.Add("Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=x&Attributes.entry.2.key=Policy")
	f.Add("PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=k&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.BinaryValue=%%%")
	f.Add("MessageAttributes.entry.10000.Name=n&MessageAttributes.entry.10001.Name=m")
	f.Fuzz(func(t *testing.T, body string) {
		p, err := decodeQuery([]byte(body))
		if err != nil {
			return
		}
		_, _ = p.attributeMap("Attributes")
		_, _ = p.messageAttributes("MessageAttributes")
		entries, err := p.members("PublishBatchRequestEntries.member")
		if err != nil {
			return
		}
		if len(entries) > maxMemberIndex {
			t.Fatalf("%d members, more than the index bound %d", len(entries), maxMemberIndex)
		}
		for _, entry := range entries {
			_, _ = entry.messageAttributes("MessageAttributes")
		}
	})
}
