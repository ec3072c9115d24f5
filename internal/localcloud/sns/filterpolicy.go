package sns

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Limits of a filter policy, from the Amazon SNS Developer Guide ("Filter policy
// constraints"): five keys per object, 150 combinations of values, 256 KiB of JSON, and
// numbers from -1e9 to 1e9.
const (
	maxPolicyBytes        = 256 * 1024
	maxPolicyKeys         = 5
	maxPolicyCombinations = 150
	maxPolicyNumber       = 1e9
)

// filterPolicy is a compiled subscription filter policy. A message matches when every
// field of the root object matches.
type filterPolicy struct {
	scope string // MessageAttributes or MessageBody
	root  policyObject
}

// policyObject is a JSON object of a policy: all fields must match, and for each $or at
// least one alternative must match.
type policyObject struct {
	fields []policyField
	ors    [][]policyObject
}

// policyField is one key of a policy object: a list of rules, any of which may match the
// value, or (in MessageBody scope) a nested object matched against the nested value.
type policyField struct {
	key    string
	rules  []rule
	nested *policyObject
}

type ruleKind int

const (
	ruleExactString ruleKind = iota
	ruleExactNumber
	ruleBool
	ruleNull
	rulePrefix
	ruleSuffix
	ruleEqualsIgnoreCase
	ruleAnythingBut
	ruleNumeric
	ruleExists
)

// rule is one element of a policy field's list.
type rule struct {
	kind    ruleKind
	str     string  // exact, prefix, suffix, equals-ignore-case
	num     float64 // exact number
	boolean bool    // true/false match, exists
	// anything-but: a value matches unless it equals one of these, starts with butPrefix
	// or ends with butSuffix.
	butStrings []string
	butNumbers []float64
	butPrefix  string
	butSuffix  string
	// numeric: a range with optional bounds.
	lower, upper         float64
	hasLower, hasUpper   bool
	lowerOpen, upperOpen bool // exclusive bound (> or <)
}

// leaf is a scalar value found in a message: an attribute value or a JSON body value.
type leaf struct {
	kind  leafKind
	str   string
	num   float64
	truth bool
}

type leafKind int

const (
	leafString leafKind = iota
	leafNumber
	leafBool
	leafNull
)

func policyError(format string, args ...any) error {
	// NOTE: AWS's messages also name the position of the error in the policy, as in
	// "\n at [Source: ...; line: 1, column: 28]"; these give the reason only.
	return invalidParameter("FilterPolicy: "+format, args...)
}

// compileFilterPolicy validates a FilterPolicy for scope (MessageAttributes or MessageBody)
// and compiles it. Its errors are InvalidParameter errors with AWS's reasons.
func compileFilterPolicy(text, scope string) (*filterPolicy, error) {
	if len(text) > maxPolicyBytes {
		return nil, policyError("Filter policy is too long")
	}
	decoder := json.NewDecoder(strings.NewReader(text))
	decoder.UseNumber()
	var root any
	if err := decoder.Decode(&root); err != nil {
		return nil, policyError("failed to parse JSON. %v", err)
	}
	if decoder.More() {
		return nil, policyError("failed to parse JSON. Unexpected text after the policy object")
	}
	object, ok := root.(map[string]any)
	if !ok {
		return nil, policyError("Filter policy must be a JSON object")
	}

	c := &policyCompiler{scope: scope}
	compiled, combinations, err := c.object(object, 1)
	if err != nil {
		return nil, err
	}
	if combinations > maxPolicyCombinations {
		return nil, policyError("Filter policy is too complex")
	}
	return &filterPolicy{scope: scope, root: compiled}, nil
}

type policyCompiler struct {
	scope string
}

// object compiles a policy object and returns it with its number of value combinations.
func (c *policyCompiler) object(object map[string]any, depth int) (policyObject, int, error) {
	if depth > 32 {
		return policyObject{}, 0, policyError("Filter policy is nested too deeply")
	}
	keys := 0
	for key := range object {
		if key != "$or" {
			keys++
		}
	}
	if keys > maxPolicyKeys {
		return policyObject{}, 0, policyError("Filter policy can not have more than %d keys", maxPolicyKeys)
	}

	var out policyObject
	combinations := 1
	for _, key := range slices.Sorted(maps.Keys(object)) {
		value := object[key]
		if key == "$or" {
			alternatives, total, err := c.or(value, depth)
			if err != nil {
				return policyObject{}, 0, err
			}
			out.ors = append(out.ors, alternatives)
			combinations = saturatingMultiply(combinations, total)
			continue
		}
		switch value := value.(type) {
		case []any:
			rules, err := compileRules(value)
			if err != nil {
				return policyObject{}, 0, err
			}
			out.fields = append(out.fields, policyField{key: key, rules: rules})
			combinations = saturatingMultiply(combinations, len(rules))
		case map[string]any:
			if c.scope != scopeBody {
				return policyObject{}, 0, invalidParameter("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			nested, nestedCombinations, err := c.object(value, depth+1)
			if err != nil {
				return policyObject{}, 0, err
			}
			out.fields = append(out.fields, policyField{key: key, nested: &nested})
			combinations = saturatingMultiply(combinations, nestedCombinations)
		default:
			return policyObject{}, 0, policyError("%q must be an object or an array", key)
		}
	}
	return out, combinations, nil
}

func (c *policyCompiler) or(value any, depth int) ([]policyObject, int, error) {
	list, ok := value.([]any)
	if !ok || len(list) < 2 {
		return nil, 0, policyError("\"$or\" must be an array of at least two objects")
	}
	alternatives := make([]policyObject, 0, len(list))
	total := 0
	for _, item := range list {
		object, ok := item.(map[string]any)
		if !ok {
			return nil, 0, policyError("\"$or\" must be an array of at least two objects")
		}
		alternative, combinations, err := c.object(object, depth+1)
		if err != nil {
			return nil, 0, err
		}
		alternatives = append(alternatives, alternative)
		total = min(total+combinations, math.MaxInt32)
	}
	return alternatives, total, nil
}

func saturatingMultiply(a, b int) int {
	if a > 0 && b > math.MaxInt32/a {
		return math.MaxInt32
	}
	return a * b
}

func compileRules(list []any) ([]rule, error) {
	if len(list) == 0 {
		return nil, policyError("Empty arrays are not allowed")
	}
	rules := make([]rule, 0, len(list))
	for _, item := range list {
		r, err := compileRule(item)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func compileRule(item any) (rule, error) {
	switch value := item.(type) {
	case string:
		return rule{kind: ruleExactString, str: value}, nil
	case json.Number:
		n, err := policyNumber(value)
		return rule{kind: ruleExactNumber, num: n}, err
	case bool:
		return rule{kind: ruleBool, boolean: value}, nil
	case nil:
		return rule{kind: ruleNull}, nil
	case map[string]any:
		return compileOperator(value)
	default:
		return rule{}, policyError("Match value must be String, number, true, false, or null")
	}
}

func policyNumber(value json.Number) (float64, error) {
	n, err := strconv.ParseFloat(string(value), 64)
	if err != nil || n <= -maxPolicyNumber || n >= maxPolicyNumber {
		return 0, policyError("Numeric value %s is out of range; numbers must be greater than -1e9 and less than 1e9", value)
	}
	return n, nil
}

func compileOperator(object map[string]any) (rule, error) {
	if len(object) != 1 {
		return rule{}, policyError("Only one key allowed in match expression")
	}
	for operator, operand := range object {
		switch operator {
		case "prefix", "suffix", "equals-ignore-case":
			text, ok := operand.(string)
			if !ok {
				return rule{}, policyError("%s match pattern must be a string", operator)
			}
			kind := map[string]ruleKind{"prefix": rulePrefix, "suffix": ruleSuffix, "equals-ignore-case": ruleEqualsIgnoreCase}[operator]
			return rule{kind: kind, str: text}, nil
		case "exists":
			exists, ok := operand.(bool)
			if !ok {
				return rule{}, policyError("exists match pattern must be either true or false.")
			}
			return rule{kind: ruleExists, boolean: exists}, nil
		case "anything-but":
			return compileAnythingBut(operand)
		case "numeric":
			return compileNumeric(operand)
		default:
			return rule{}, policyError("Unrecognized match type %s", operator)
		}
	}
	panic("unreachable: the object has exactly one key")
}

func compileAnythingBut(operand any) (rule, error) {
	r := rule{kind: ruleAnythingBut}
	add := func(value any) error {
		switch value := value.(type) {
		case string:
			r.butStrings = append(r.butStrings, value)
		case json.Number:
			n, err := policyNumber(value)
			if err != nil {
				return err
			}
			r.butNumbers = append(r.butNumbers, n)
		default:
			return policyError("Inside anything but list, start|null|boolean is not supported.")
		}
		return nil
	}

	switch value := operand.(type) {
	case string, json.Number:
		return r, add(value)
	case []any:
		if len(value) == 0 {
			return rule{}, policyError("Empty arrays are not allowed")
		}
		for _, item := range value {
			if err := add(item); err != nil {
				return rule{}, err
			}
		}
		return r, nil
	case map[string]any:
		if len(value) != 1 {
			return rule{}, policyError("Only one key allowed in match expression")
		}
		if prefix, ok := value["prefix"].(string); ok {
			r.butPrefix = prefix
			return r, nil
		}
		if suffix, ok := value["suffix"].(string); ok {
			r.butSuffix = suffix
			return r, nil
		}
		return rule{}, policyError("Unsupported anything-but pattern: %s", firstKey(value))
	default:
		return rule{}, policyError("Value of anything-but must be an array or single string/number value.")
	}
}

// compileNumeric compiles ["op", n] or [">"|">=", low, "<"|"<=", high].
func compileNumeric(operand any) (rule, error) {
	list, ok := operand.([]any)
	if !ok || len(list) == 0 {
		return rule{}, policyError("Value of numeric must be an array.")
	}
	r := rule{kind: ruleNumeric}

	operator, ok := list[0].(string)
	if !ok {
		return rule{}, policyError("Invalid member in numeric match: %v", list[0])
	}
	first, err := numericOperand(operator, list, 1)
	if err != nil {
		return rule{}, err
	}
	switch operator {
	case "=":
		r.lower, r.upper, r.hasLower, r.hasUpper = first, first, true, true
	case ">", ">=":
		r.lower, r.hasLower, r.lowerOpen = first, true, operator == ">"
	case "<", "<=":
		r.upper, r.hasUpper, r.upperOpen = first, true, operator == "<"
	default:
		return rule{}, policyError("Unrecognized numeric range operator: %s", operator)
	}
	if len(list) == 2 {
		return r, nil
	}
	if len(list) != 4 || !r.hasLower || r.hasUpper {
		return rule{}, policyError("Too many elements in numeric expression")
	}

	second, ok := list[2].(string)
	if !ok || (second != "<" && second != "<=") {
		return rule{}, policyError("Bad numeric range operator: %v", list[2])
	}
	top, err := numericOperand(second, list, 3)
	if err != nil {
		return rule{}, err
	}
	if top <= r.lower {
		return rule{}, policyError("Bottom must be less than top")
	}
	r.upper, r.hasUpper, r.upperOpen = top, true, second == "<"
	return r, nil
}

func numericOperand(operator string, list []any, i int) (float64, error) {
	switch operator {
	case "=", ">", ">=", "<", "<=":
	default:
		return 0, policyError("Unrecognized numeric range operator: %s", operator)
	}
	if i >= len(list) {
		return 0, policyError("Value of %s must be numeric", operator)
	}
	number, ok := list[i].(json.Number)
	if !ok {
		return 0, policyError("Value of %s must be numeric", operator)
	}
	return policyNumber(number)
}

func firstKey(object map[string]any) string {
	for key := range object {
		return key
	}
	return ""
}

// matchAttributes reports whether message attributes match a MessageAttributes policy.
func (p *filterPolicy) matchAttributes(attrs map[string]MessageAttribute) bool {
	lookup := func(key string) ([]leaf, bool) { return attributeLeaves(attrs, key) }
	return p.root.matchAttributes(lookup)
}

func (o *policyObject) matchAttributes(lookup func(string) ([]leaf, bool)) bool {
	for _, field := range o.fields {
		values, present := lookup(field.key)
		if !matchRules(field.rules, values, present) {
			return false
		}
	}
	for _, alternatives := range o.ors {
		matched := false
		for i := range alternatives {
			if alternatives[i].matchAttributes(lookup) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// attributeLeaves returns the values of attribute key: one for String and Number, each
// element for String.Array, and none for Binary, which policies cannot match except by
// exists.
func attributeLeaves(attrs map[string]MessageAttribute, key string) ([]leaf, bool) {
	attr, ok := attrs[key]
	if !ok {
		return nil, false
	}
	base, _, _ := strings.Cut(attr.DataType, ".")
	switch {
	case attr.DataType == "String.Array":
		var values []any
		decoder := json.NewDecoder(strings.NewReader(attr.StringValue))
		decoder.UseNumber()
		if decoder.Decode(&values) != nil {
			return nil, true
		}
		return jsonLeaves(values), true
	case base == "String":
		return []leaf{{kind: leafString, str: attr.StringValue}}, true
	case base == "Number":
		n, err := strconv.ParseFloat(attr.StringValue, 64)
		if err != nil {
			return nil, true
		}
		return []leaf{{kind: leafNumber, num: n}}, true
	default:
		return nil, true
	}
}

// matchBody reports whether a decoded JSON message body matches a MessageBody policy. A
// body that is not a JSON object matches nothing.
func (p *filterPolicy) matchBody(body any) bool {
	object, ok := body.(map[string]any)
	if !ok {
		return false
	}
	return p.root.matchBody(object)
}

func (o *policyObject) matchBody(object map[string]any) bool {
	for _, field := range o.fields {
		value, present := object[field.key]
		if field.nested != nil {
			nested, ok := value.(map[string]any)
			if !ok {
				nested = map[string]any{}
			}
			if !field.nested.matchBody(nested) {
				return false
			}
			continue
		}
		var values []leaf
		switch value := value.(type) {
		case map[string]any:
			present = false // a rule list matches scalar values only
		case []any:
			values = jsonLeaves(value)
		default:
			values = jsonLeaves([]any{value})
		}
		if !matchRules(field.rules, values, present) {
			return false
		}
	}
	for _, alternatives := range o.ors {
		matched := false
		for i := range alternatives {
			if alternatives[i].matchBody(object) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// jsonLeaves converts decoded JSON scalars to leaves, skipping nested arrays and objects.
// Numbers may be float64 (json.Unmarshal) or json.Number (a decoder with UseNumber).
func jsonLeaves(values []any) []leaf {
	out := make([]leaf, 0, len(values))
	for _, value := range values {
		switch value := value.(type) {
		case string:
			out = append(out, leaf{kind: leafString, str: value})
		case float64:
			out = append(out, leaf{kind: leafNumber, num: value})
		case json.Number:
			if n, err := strconv.ParseFloat(string(value), 64); err == nil {
				out = append(out, leaf{kind: leafNumber, num: n})
			}
		case bool:
			out = append(out, leaf{kind: leafBool, truth: value})
		case nil:
			out = append(out, leaf{kind: leafNull})
		}
	}
	return out
}

// matchRules reports whether any rule matches: exists rules test presence, anything-but
// needs a present value outside its set, and the others need one value that matches.
func matchRules(rules []rule, values []leaf, present bool) bool {
	for i := range rules {
		r := &rules[i]
		if r.kind == ruleExists {
			if r.boolean == present {
				return true
			}
			continue
		}
		for _, value := range values {
			if r.matches(value) {
				return true
			}
		}
	}
	return false
}

func (r *rule) matches(value leaf) bool {
	switch r.kind {
	case ruleExactString:
		return value.kind == leafString && value.str == r.str
	case ruleExactNumber:
		return value.kind == leafNumber && value.num == r.num
	case ruleBool:
		return value.kind == leafBool && value.truth == r.boolean
	case ruleNull:
		return value.kind == leafNull
	case rulePrefix:
		return value.kind == leafString && strings.HasPrefix(value.str, r.str)
	case ruleSuffix:
		return value.kind == leafString && strings.HasSuffix(value.str, r.str)
	case ruleEqualsIgnoreCase:
		return value.kind == leafString && strings.EqualFold(value.str, r.str)
	case ruleNumeric:
		return value.kind == leafNumber && r.inRange(value.num)
	case ruleAnythingBut:
		return r.notExcluded(value)
	}
	return false
}

func (r *rule) inRange(n float64) bool {
	if r.hasLower && (n < r.lower || r.lowerOpen && n == r.lower) {
		return false
	}
	if r.hasUpper && (n > r.upper || r.upperOpen && n == r.upper) {
		return false
	}
	return true
}

func (r *rule) notExcluded(value leaf) bool {
	switch value.kind {
	case leafString:
		if r.butPrefix != "" && strings.HasPrefix(value.str, r.butPrefix) {
			return false
		}
		if r.butSuffix != "" && strings.HasSuffix(value.str, r.butSuffix) {
			return false
		}
		for _, excluded := range r.butStrings {
			if value.str == excluded {
				return false
			}
		}
		return true
	case leafNumber:
		for _, excluded := range r.butNumbers {
			if value.num == excluded {
				return false
			}
		}
		return true
	default:
		return true
	}
}
