package sns

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func str(value string) MessageAttribute {
	return MessageAttribute{DataType: "String", StringValue: value}
}

func num(value string) MessageAttribute {
	return MessageAttribute{DataType: "Number", StringValue: value}
}

func array(value string) MessageAttribute {
	return MessageAttribute{DataType: "String.Array", StringValue: value}
}

// attributeCase is one policy evaluated against one set of message attributes.
type attributeCase struct {
	name   string
	policy string
	attrs  map[string]MessageAttribute
	want   bool
}

func TestFilterPolicyAttributes(t *testing.T) {
	cases := []attributeCase{
		// exact match
		{"string equal", `{"s":["a","b"]}`, map[string]MessageAttribute{"s": str("b")}, true},
		{"string differs", `{"s":["a","b"]}`, map[string]MessageAttribute{"s": str("c")}, false},
		{"string is case sensitive", `{"s":["a"]}`, map[string]MessageAttribute{"s": str("A")}, false},
		{"missing attribute", `{"s":["a"]}`, map[string]MessageAttribute{"t": str("a")}, false},
		{"number equal", `{"n":[300]}`, map[string]MessageAttribute{"n": num("3.0e2")}, true},
		{"number differs", `{"n":[300]}`, map[string]MessageAttribute{"n": num("301")}, false},
		{"number rule ignores string type", `{"n":[300]}`, map[string]MessageAttribute{"n": str("300")}, false},
		{"string rule ignores number type", `{"n":["300"]}`, map[string]MessageAttribute{"n": num("300")}, false},
		{"custom string type", `{"s":["a"]}`, map[string]MessageAttribute{"s": {DataType: "String.id", StringValue: "a"}}, true},
		{"array element matches", `{"tags":["red"]}`, map[string]MessageAttribute{"tags": array(`["blue","red"]`)}, true},
		{"array without element", `{"tags":["red"]}`, map[string]MessageAttribute{"tags": array(`["blue"]`)}, false},
		{"array numbers", `{"tags":[{"numeric":[">",5]}]}`, map[string]MessageAttribute{"tags": array(`[1,7]`)}, true},
		{"binary never matches a value", `{"b":["AAE="]}`, map[string]MessageAttribute{"b": {DataType: "Binary", BinaryValue: []byte{0, 1}}}, false},
		// all keys must match
		{"two keys both match", `{"a":["x"],"b":["y"]}`, map[string]MessageAttribute{"a": str("x"), "b": str("y")}, true},
		{"two keys one fails", `{"a":["x"],"b":["y"]}`, map[string]MessageAttribute{"a": str("x"), "b": str("z")}, false},
		// prefix and suffix
		{"prefix matches", `{"s":[{"prefix":"img-"}]}`, map[string]MessageAttribute{"s": str("img-resize")}, true},
		{"prefix fails", `{"s":[{"prefix":"img-"}]}`, map[string]MessageAttribute{"s": str("txt-img-")}, false},
		{"suffix matches", `{"s":[{"suffix":".png"}]}`, map[string]MessageAttribute{"s": str("a.png")}, true},
		{"suffix fails", `{"s":[{"suffix":".png"}]}`, map[string]MessageAttribute{"s": str("a.png.gz")}, false},
		{"prefix ignores numbers", `{"n":[{"prefix":"1"}]}`, map[string]MessageAttribute{"n": num("12")}, false},
		{"equals-ignore-case", `{"s":[{"equals-ignore-case":"FAILED"}]}`, map[string]MessageAttribute{"s": str("Failed")}, true},
		// anything-but
		{"anything-but value excluded", `{"s":[{"anything-but":"a"}]}`, map[string]MessageAttribute{"s": str("a")}, false},
		{"anything-but value other", `{"s":[{"anything-but":"a"}]}`, map[string]MessageAttribute{"s": str("b")}, true},
		{"anything-but list excluded", `{"s":[{"anything-but":["a","b"]}]}`, map[string]MessageAttribute{"s": str("b")}, false},
		{"anything-but list other", `{"s":[{"anything-but":["a","b"]}]}`, map[string]MessageAttribute{"s": str("c")}, true},
		{"anything-but number excluded", `{"n":[{"anything-but":[100]}]}`, map[string]MessageAttribute{"n": num("100")}, false},
		{"anything-but number other", `{"n":[{"anything-but":[100]}]}`, map[string]MessageAttribute{"n": num("101")}, true},
		{"anything-but prefix excluded", `{"s":[{"anything-but":{"prefix":"tmp-"}}]}`, map[string]MessageAttribute{"s": str("tmp-1")}, false},
		{"anything-but prefix other", `{"s":[{"anything-but":{"prefix":"tmp-"}}]}`, map[string]MessageAttribute{"s": str("job-1")}, true},
		{"anything-but suffix excluded", `{"s":[{"anything-but":{"suffix":".tmp"}}]}`, map[string]MessageAttribute{"s": str("a.tmp")}, false},
		{"anything-but needs the attribute", `{"s":[{"anything-but":"a"}]}`, map[string]MessageAttribute{}, false},
		// numeric ranges
		{"numeric equal", `{"n":[{"numeric":["=",5]}]}`, map[string]MessageAttribute{"n": num("5")}, true},
		{"numeric greater open bound", `{"n":[{"numeric":[">",5]}]}`, map[string]MessageAttribute{"n": num("5")}, false},
		{"numeric greater or equal", `{"n":[{"numeric":[">=",5]}]}`, map[string]MessageAttribute{"n": num("5")}, true},
		{"numeric less", `{"n":[{"numeric":["<",5]}]}`, map[string]MessageAttribute{"n": num("4.999")}, true},
		{"numeric less or equal fails", `{"n":[{"numeric":["<=",5]}]}`, map[string]MessageAttribute{"n": num("5.001")}, false},
		{"numeric range inside", `{"n":[{"numeric":[">",0,"<=",150]}]}`, map[string]MessageAttribute{"n": num("150")}, true},
		{"numeric range below", `{"n":[{"numeric":[">",0,"<=",150]}]}`, map[string]MessageAttribute{"n": num("0")}, false},
		{"numeric range above", `{"n":[{"numeric":[">",0,"<",150]}]}`, map[string]MessageAttribute{"n": num("150")}, false},
		{"numeric ignores strings", `{"n":[{"numeric":[">",0]}]}`, map[string]MessageAttribute{"n": str("5")}, false},
		// exists
		{"exists true present", `{"s":[{"exists":true}]}`, map[string]MessageAttribute{"s": str("x")}, true},
		{"exists true absent", `{"s":[{"exists":true}]}`, map[string]MessageAttribute{}, false},
		{"exists false absent", `{"s":[{"exists":false}]}`, map[string]MessageAttribute{"t": str("x")}, true},
		{"exists false present", `{"s":[{"exists":false}]}`, map[string]MessageAttribute{"s": str("x")}, false},
		{"exists true binary", `{"b":[{"exists":true}]}`, map[string]MessageAttribute{"b": {DataType: "Binary", BinaryValue: []byte{1}}}, true},
		// rules of one key are alternatives
		{"value or exists false", `{"s":["a",{"exists":false}]}`, map[string]MessageAttribute{}, true},
		// $or
		{"or first branch", `{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, map[string]MessageAttribute{"a": str("x"), "b": str("1")}, true},
		{"or second branch", `{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, map[string]MessageAttribute{"a": str("x"), "c": str("2")}, true},
		{"or no branch", `{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, map[string]MessageAttribute{"a": str("x"), "c": str("3")}, false},
		{"or other keys still apply", `{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, map[string]MessageAttribute{"a": str("y"), "b": str("1")}, false},
		{"nested or", `{"$or":[{"a":["x"]},{"$or":[{"b":["1"]},{"c":["2"]}]}]}`, map[string]MessageAttribute{"c": str("2")}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			policy, err := compileFilterPolicy(tc.policy, scopeAttributes)
			if err != nil {
				t.Fatalf("compile %s: %v", tc.policy, err)
			}
			if got := policy.matchAttributes(tc.attrs); got != tc.want {
				t.Fatalf("policy %s on %v = %v, want %v", tc.policy, tc.attrs, got, tc.want)
			}
		})
	}
}

func TestFilterPolicyBody(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		body   string
		want   bool
	}{
		{"top-level string", `{"status":["failed"]}`, `{"status":"failed"}`, true},
		{"nested key", `{"job":{"status":["failed"]}}`, `{"job":{"status":"failed","id":"1"}}`, true},
		{"nested key differs", `{"job":{"status":["failed"]}}`, `{"job":{"status":"ok"}}`, false},
		{"nested key missing parent", `{"job":{"status":["failed"]}}`, `{"status":"failed"}`, false},
		{"deep nesting", `{"a":{"b":{"c":[{"prefix":"x"}]}}}`, `{"a":{"b":{"c":"xyz"}}}`, true},
		{"number in body", `{"attempt":[{"numeric":[">=",3]}]}`, `{"attempt":3}`, true},
		{"boolean", `{"retry":[true]}`, `{"retry":true}`, true},
		{"boolean differs", `{"retry":[true]}`, `{"retry":false}`, false},
		{"null", `{"error":[null]}`, `{"error":null}`, true},
		{"array value", `{"tags":["b"]}`, `{"tags":["a","b"]}`, true},
		{"object is not a leaf", `{"job":["x"]}`, `{"job":{"x":1}}`, false},
		{"exists false on nested", `{"job":{"error":[{"exists":false}]}}`, `{"job":{"status":"ok"}}`, true},
		{"exists true on nested", `{"job":{"error":[{"exists":true}]}}`, `{"job":{"error":"boom"}}`, true},
		{"anything-but in body", `{"status":[{"anything-but":["succeeded"]}]}`, `{"status":"failed"}`, true},
		{"or in nested object", `{"job":{"$or":[{"a":["1"]},{"b":["2"]}]}}`, `{"job":{"b":"2"}}`, true},
		{"body is not an object", `{"status":["failed"]}`, `["failed"]`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			policy, err := compileFilterPolicy(tc.policy, scopeBody)
			if err != nil {
				t.Fatalf("compile %s: %v", tc.policy, err)
			}
			var body any
			if err := json.Unmarshal([]byte(tc.body), &body); err != nil {
				t.Fatal(err)
			}
			if got := policy.matchBody(body); got != tc.want {
				t.Fatalf("policy %s on %s = %v, want %v", tc.policy, tc.body, got, tc.want)
			}
		})
	}
}

func TestFilterPolicyValidation(t *testing.T) {
	cases := []struct {
		policy string
		scope  string
		reason string // expected message after "Invalid parameter: "
	}{
		{`[]`, scopeAttributes, "FilterPolicy: Filter policy must be a JSON object"},
		{`{"a":["x"]} extra`, scopeAttributes, "FilterPolicy: failed to parse JSON"},
		{`{"a":1}`, scopeAttributes, `FilterPolicy: "a" must be an object or an array`},
		{`{"a":[]}`, scopeAttributes, "FilterPolicy: Empty arrays are not allowed"},
		{`{"a":[["x"]]}`, scopeAttributes, "FilterPolicy: Match value must be String, number, true, false, or null"},
		{`{"a":[{"prefix":1}]}`, scopeAttributes, "FilterPolicy: prefix match pattern must be a string"},
		{`{"a":[{"suffix":true}]}`, scopeAttributes, "FilterPolicy: suffix match pattern must be a string"},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, scopeAttributes, "FilterPolicy: Only one key allowed in match expression"},
		{`{"a":[{"exists":1}]}`, scopeAttributes, "FilterPolicy: exists match pattern must be either true or false."},
		{`{"a":[{"wildcard":"*"}]}`, scopeAttributes, "FilterPolicy: Unrecognized match type wildcard"},
		{`{"a":[{"anything-but":[true]}]}`, scopeAttributes, "FilterPolicy: Inside anything but list"},
		{`{"a":[{"anything-but":{"wildcard":"x"}}]}`, scopeAttributes, "FilterPolicy: Unsupported anything-but pattern: wildcard"},
		{`{"a":[{"numeric":[]}]}`, scopeAttributes, "FilterPolicy: Value of numeric must be an array."},
		{`{"a":[{"numeric":[5]}]}`, scopeAttributes, "FilterPolicy: Invalid member in numeric match: 5"},
		{`{"a":[{"numeric":["!=",5]}]}`, scopeAttributes, "FilterPolicy: Unrecognized numeric range operator: !="},
		{`{"a":[{"numeric":["<","5"]}]}`, scopeAttributes, "FilterPolicy: Value of < must be numeric"},
		{`{"a":[{"numeric":[">"]}]}`, scopeAttributes, "FilterPolicy: Value of > must be numeric"},
		{`{"a":[{"numeric":["=",5,"<",6]}]}`, scopeAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{`{"a":[{"numeric":[">",5,">",6]}]}`, scopeAttributes, "FilterPolicy: Bad numeric range operator: >"},
		{`{"a":[{"numeric":[">",5,"<","6"]}]}`, scopeAttributes, "FilterPolicy: Value of < must be numeric"},
		{`{"a":[{"numeric":[">",5,"<",5]}]}`, scopeAttributes, "FilterPolicy: Bottom must be less than top"},
		{`{"a":[{"numeric":[">",0,"<",10,"<",11]}]}`, scopeAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{`{"a":[1000000000]}`, scopeAttributes, "FilterPolicy: Numeric value 1000000000 is out of range"},
		{`{"a":{"b":["x"]}}`, scopeAttributes, "Filter policy scope MessageAttributes does not support nested filter policy"},
		{`{"$or":[{"a":["x"]}]}`, scopeAttributes, `FilterPolicy: "$or" must be an array of at least two objects`},
		{`{"$or":"x"}`, scopeAttributes, `FilterPolicy: "$or" must be an array of at least two objects`},
		{`{"a":["1","2","3","4","5"],"b":["1","2","3","4","5"],"c":["1","2","3","4","5","6","7"]}`, scopeAttributes, "FilterPolicy: Filter policy is too complex"},
		{`{"a":["x"],"b":["x"],"c":["x"],"d":["x"],"e":["x"],"f":["x"]}`, scopeBody, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{`{"a":["` + strings.Repeat("x", maxPolicyBytes) + `"]}`, scopeBody, "FilterPolicy: Filter policy is too long"},
	}
	for _, tc := range cases {
		_, err := compileFilterPolicy(tc.policy, tc.scope)
		var apiErr *apiError
		if !errors.As(err, &apiErr) {
			t.Errorf("policy %.80s: error %v, want InvalidParameter", tc.policy, err)
			continue
		}
		if apiErr.code != "InvalidParameter" || !strings.HasPrefix(apiErr.message, "Invalid parameter: "+tc.reason) {
			t.Errorf("policy %.80s: %s %q, want InvalidParameter starting %q", tc.policy, apiErr.code, apiErr.message, "Invalid parameter: "+tc.reason)
		}
	}
}

// FuzzFilterPolicy checks that compiling and evaluating any policy against any message
// never panics, and that a policy that compiles in MessageAttributes scope also compiles in
// MessageBody scope, which accepts a superset of policies.
func FuzzFilterPolicy(f *testing.F) {
	f.Add(`{"status":["failed"]}`, `{"status":"failed"}`, "failed")
	f.Add(`{"n":[{"numeric":[">",0,"<=",150]}]}`, `{"n":5}`, "5")
	f.Add(`{"s":[{"anything-but":{"prefix":"tmp"}}],"$or":[{"a":["x"]},{"b":[{"exists":false}]}]}`, `{"s":"x","a":"x"}`, "tmp-1")
	f.Add(`{"job":{"tags":[{"suffix":".png"},null,true]}}`, `{"job":{"tags":["a.png"]}}`, `["a.png"]`)
	f.Fuzz(func(t *testing.T, policyText, body, value string) {
		attrs := map[string]MessageAttribute{
			"status": str(value),
			"n":      num(value),
			"s":      str(value),
			"tags":   array(value),
		}
		if policy, err := compileFilterPolicy(policyText, scopeAttributes); err == nil {
			policy.matchAttributes(attrs)
			if _, err := compileFilterPolicy(policyText, scopeBody); err != nil {
				t.Fatalf("policy %q compiles for attributes but not for body: %v", policyText, err)
			}
		}
		if policy, err := compileFilterPolicy(policyText, scopeBody); err == nil {
			var decoded any
			_ = json.Unmarshal([]byte(body), &decoded)
			policy.matchBody(decoded)
		}
	})
}
