package sqs

import (
	"testing"
)

func TestAttributesMD5(t *testing.T) {
	// Digests published with the SQS developer guide's examples and by independent
	// implementations checked against SQS.
	cases := []struct {
		name  string
		attrs []messageAttribute
		want  string
	}{
		{"one string", []messageAttribute{{name: "SellerName", dataType: "String", stringValue: "Example Store"}}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{"two strings", []messageAttribute{
			{name: "test_attribute_name_1", dataType: "String", stringValue: "test_attribute_value_1"},
			{name: "test_attribute_name_2", dataType: "String", stringValue: "test_attribute_value_2"},
		}, "d53f3b558fe951154770f25cb63dbba9"},
		{"binary", []messageAttribute{{name: "test_attribute_name", dataType: "Binary", binaryValue: []byte("test_attribute_value"), binary: true}}, "23f6bd27ea87aab7dfeadcc9aebee495"},
		{"number and string", []messageAttribute{
			{name: "category", dataType: "String", stringValue: "test"},
			{name: "ordinal", dataType: "Number", stringValue: "1"},
		}, "d21ae90c49061e927f57df5f5d72be1f"},
	}
	for _, tc := range cases {
		if got := hexSum(attributesMD5(tc.attrs)); got != tc.want {
			t.Errorf("%s: MD5 = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestParseMessageAttributesSortsByName(t *testing.T) {
	v := "x"
	attrs, size, err := parseMessageAttributes(map[string]wireAttribute{
		"b": {DataType: "String", StringValue: &v},
		"a": {DataType: "Binary", BinaryValue: []byte{1, 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(attrs) != 2 || attrs[0].name != "a" || attrs[1].name != "b" {
		t.Fatalf("attributes = %+v, want a then b", attrs)
	}
	if want := len("a") + len("Binary") + 2 + len("b") + len("String") + 1; size != want {
		t.Fatalf("size = %d, want %d", size, want)
	}
}

func TestParseDecimal(t *testing.T) {
	cases := []struct {
		in       string
		digits   string
		exponent int
		negative bool
		ok       bool
	}{
		{"12.5", "125", 2, false, true},
		{"-0.05", "5", -1, true, true},
		{"1e126", "1", 127, false, true},
		{"+100", "1", 3, false, true},
		{".5", "5", 0, false, true},
		{"5.", "5", 1, false, true},
		{"0", "", 0, false, true},
		{"1E-3", "1", -2, false, true},
		{"", "", 0, false, false},
		{".", "", 0, false, false},
		{"1e", "", 0, false, false},
		{"1e+", "", 0, false, false},
		{"--1", "", 0, false, false},
		{"1,5", "", 0, false, false},
		{"Infinity", "", 0, false, false},
	}
	for _, tc := range cases {
		digits, exponent, negative, ok := parseDecimal(tc.in)
		if ok != tc.ok || ok && (digits != tc.digits || exponent != tc.exponent || negative != tc.negative) {
			t.Errorf("parseDecimal(%q) = %q, %d, %v, %v; want %q, %d, %v, %v", tc.in, digits, exponent, negative, ok, tc.digits, tc.exponent, tc.negative, tc.ok)
		}
	}
}

func TestFirstInvalidCharacter(t *testing.T) {
	valid := []string{"plain", "\t\n\r", "\u0020\ud7ff", "\ue000\ufffd", "\U00010000\U0010ffff"}
	for _, s := range valid {
		if r, bad := firstInvalidCharacter(s); bad {
			t.Errorf("%q: rejected character %U", s, r)
		}
	}
	invalid := map[string]rune{"a\x00": 0, "\x08": 8, "\x1f": 0x1f, "\ufffe": 0xfffe, "x\uffff": 0xffff, "\xff": 0xfffd}
	for s, want := range invalid {
		r, bad := firstInvalidCharacter(s)
		if !bad || r != want {
			t.Errorf("%q: got %U, %v; want %U rejected", s, r, bad, want)
		}
	}
}

func TestValidAttributeName(t *testing.T) {
	for _, name := range []string{"a", "job_id", "order.total", "A-b.c_d", "awsx", "amazonian"} {
		if !validAttributeName(name) {
			t.Errorf("%q rejected", name)
		}
	}
	for _, name := range []string{"", ".a", "a.", "a..b", "AWS.x", "aws.x", "Amazon.x", "a b", "a/b"} {
		if validAttributeName(name) {
			t.Errorf("%q accepted", name)
		}
	}
}

func TestReceiptHandleRoundTrip(t *testing.T) {
	q := &queue{handleKey: 7}
	h := receiptHandle{queueKey: 7, seq: 42, nonce: 99}
	parsed, err := parseReceiptHandle(q, string(appendReceiptHandle(nil, h)))
	if err != nil || parsed != h {
		t.Fatalf("round trip = %+v, %v, want %+v", parsed, err, h)
	}
	other := &queue{handleKey: 8}
	if _, err := parseReceiptHandle(other, string(appendReceiptHandle(nil, h))); err == nil {
		t.Fatalf("a handle of another queue was accepted")
	}
	for _, s := range []string{"", "short", string(make([]byte, 64)), "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"} {
		if _, err := parseReceiptHandle(q, s); err == nil {
			t.Errorf("handle %q accepted", s)
		}
	}
}
