package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/relay-pipeline/relay/internal/settings"
)

// TestMain ends the jsii kernel, a node process, after the tests.
//
// NOTE: the kernel starts while the CDK packages initialize, before TestMain, so only the
// environment of `go test` can silence its Node.js end-of-life warning:
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 go test ./infra/...
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// cdkJSONContext returns the context of the repository's cdk.json, so that tests
// synthesize with the same feature flags as `npx cdk synth`.
func cdkJSONContext(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	return file.Context
}

// newTestApp returns an app with the cdk.json context, path and asset metadata on (as
// the CDK CLI sets them), and extra on top.
func newTestApp(t *testing.T, extra map[string]any) awscdk.App {
	t.Helper()
	context := cdkJSONContext(t)
	context["aws:cdk:enable-path-metadata"] = true
	context["aws:cdk:enable-asset-metadata"] = true
	for key, value := range extra {
		context[key] = value
	}
	return awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(t.TempDir()),
		Context: &context,
	})
}

// testAssetRoot returns a folder with a bootstrap for every function, each with its own
// content so that each function gets its own asset.
func testAssetRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range settings.Default().Functions() {
		dir := filepath.Join(root, f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		content := []byte("#!/bin/sh\n# test bootstrap of " + f.Name + "\n")
		if err := os.WriteFile(filepath.Join(dir, settings.Handler), content, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// synth builds the stack the way main does, from an app with the given context, and
// returns it with its template.
func synth(t *testing.T, context map[string]any) (awscdk.Stack, *template) {
	t.Helper()
	app := newTestApp(t, context)
	props, err := propsFromContext(app.Node())
	if err != nil {
		t.Fatalf("propsFromContext: %v", err)
	}
	props.AssetRoot = testAssetRoot(t)
	stack, err := NewRelayStack(app, stackID, props)
	if err != nil {
		t.Fatalf("NewRelayStack: %v", err)
	}
	return stack, newTemplate(t, assertions.Template_FromStack(stack, nil))
}

// template is a synthesized CloudFormation template decoded into Go values, so that
// checks report what they expected and what they found instead of a jsii panic.
type template struct {
	Resources map[string]resource `json:"Resources"`
	Outputs   map[string]struct {
		Description string `json:"Description"`
		Value       any    `json:"Value"`
	} `json:"Outputs"`
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
	DependsOn  []string       `json:"DependsOn"`
}

func newTemplate(t *testing.T, tmpl assertions.Template) *template {
	t.Helper()
	data, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var decoded template
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	return &decoded
}

// ofType returns the resources of a CloudFormation type by logical ID.
func (tp *template) ofType(resourceType string) map[string]resource {
	found := map[string]resource{}
	for id, r := range tp.Resources {
		if r.Type == resourceType {
			found[id] = r
		}
	}
	return found
}

// byPath returns the resource whose aws:cdk:path is Relay/<path>/Resource, with its
// logical ID.
func (tp *template) byPath(t *testing.T, path string) (string, resource) {
	t.Helper()
	want := stackID + "/" + path + "/Resource"
	for id, r := range tp.Resources {
		if r.Metadata["aws:cdk:path"] == want {
			return id, r
		}
	}
	t.Fatalf("template has no resource at %s", want)
	return "", resource{}
}

// ref returns the CloudFormation {"Ref": id} value.
func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// getAtt returns the CloudFormation {"Fn::GetAtt": [id, attribute]} value.
func getAtt(id, attribute string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{id, attribute}}
}

// jsonEqual reports whether a and b encode to the same JSON, which compares values
// decoded from JSON with values written in Go (int and float64, []string and []any).
func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// show formats a value as JSON for failure messages.
func show(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
