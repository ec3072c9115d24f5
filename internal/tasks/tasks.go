// Package tasks is relay's task registry and its built-in tasks.
//
// A task is a function from an input to an output. Its error carries the
// kind of failure, and process acts on the kind:
//   - Invalid: the input can never work (permanent; the job goes to the DLQ);
//   - Fail: the task ran and reached a definite negative outcome (a result
//     with status failed is published);
//   - Retryable, or the context's deadline passing: try again later
//     (transient; the record is a batch item failure).
//
// Any other error is treated as transient too.
package tasks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Request is the input of one task run.
type Request struct {
	// Input is the job's input.
	Input string
	// Attempt is the delivery count of the job's message, 1 for the first.
	Attempt int
}

// Func runs one task. It returns the output on success. It must return when
// ctx is done.
type Func func(ctx context.Context, req Request) (string, error)

// The kinds of task failure. Test them with errors.Is.
var (
	// ErrInvalidInput marks an input that the task rejects for good.
	ErrInvalidInput = errors.New("invalid input")
	// ErrFailed marks a definite negative outcome.
	ErrFailed = errors.New("task failed")
	// ErrRetryable marks a failure that may pass on a later attempt.
	ErrRetryable = errors.New("retryable")
)

type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }

func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// Invalid returns an error marked ErrInvalidInput with the formatted message.
func Invalid(format string, args ...any) error {
	return &kindError{kind: ErrInvalidInput, err: fmt.Errorf(format, args...)}
}

// Fail returns an error marked ErrFailed with the formatted message.
func Fail(format string, args ...any) error {
	return &kindError{kind: ErrFailed, err: fmt.Errorf(format, args...)}
}

// Retryable marks err as ErrRetryable. It returns nil when err is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &kindError{kind: ErrRetryable, err: err}
}

// Registry maps task names to functions. The zero value has no tasks.
type Registry struct {
	funcs map[string]Func
}

// NewRegistry returns a registry of the given tasks.
func NewRegistry(funcs map[string]Func) *Registry {
	return &Registry{funcs: maps.Clone(funcs)}
}

// Builtin returns a registry of relay's built-in tasks. Adding a task is one
// function and one line here.
func Builtin() *Registry {
	return NewRegistry(map[string]Func{
		"checksum":  Checksum,
		"wordcount": WordCount,
		"sleep":     Sleep,
		"verify":    Verify,
		"flaky":     Flaky,
	})
}

// Lookup returns the task named name.
func (r *Registry) Lookup(name string) (Func, bool) {
	if r == nil {
		return nil, false
	}
	f, ok := r.funcs[name]
	return f, ok
}

// Has reports whether the registry has a task named name.
func (r *Registry) Has(name string) bool {
	_, ok := r.Lookup(name)
	return ok
}

// Names returns the task names in sorted order.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(r.funcs))
}
