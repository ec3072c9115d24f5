package lambda

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestFaultKillFailsInvokeAndRestarts(t *testing.T) {
	r := newTestRuntime(t, Config{Faults: &Faults{Seed: 1, KillRate: 1}})
	register(t, r, Function{})

	resp := invoke(t, r, "echo", `{}`)
	e := decodeError(t, resp)
	if e.ErrorType != "Runtime.ExitError" || !strings.HasSuffix(e.ErrorMessage, "Runtime exited with error: signal: killed") {
		t.Errorf("killed invoke error = %+v, want Runtime.ExitError ... signal: killed", e)
	}
	invoke(t, r, "echo", `{}`)
	if got := r.Stats().Faults; got.Kills != 2 || got.Seed != 1 {
		t.Errorf("fault counts = %+v, want 2 kills and seed 1", got)
	}
	if s := r.Stats().Functions["echo"]; s.Crashes != 2 {
		t.Errorf("crashes = %d, want 2", s.Crashes)
	}
}

func TestFaultTimeout(t *testing.T) {
	r := newTestRuntime(t, Config{Faults: &Faults{Seed: 1, TimeoutRate: 1, TimeoutAfter: 50 * time.Millisecond}})
	register(t, r, Function{Timeout: 10 * time.Second})

	start := time.Now()
	resp := invoke(t, r, "echo", `{}`)
	e := decodeError(t, resp)
	want := "RequestId: " + resp.RequestID + " Error: Task timed out after 10.00 seconds"
	if e.ErrorType != "Sandbox.Timedout" || e.ErrorMessage != want {
		t.Errorf("timed-out invoke error = %+v, want Sandbox.Timedout %q", e, want)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the injected timeout took %s; TimeoutAfter is 50ms", time.Since(start))
	}
	if got := r.Stats().Faults.Timeouts; got != 1 {
		t.Errorf("timeout faults = %d, want 1", got)
	}
	if s := r.Stats().Functions["echo"]; s.Timeouts != 1 {
		t.Errorf("timeouts = %d, want 1", s.Timeouts)
	}
}

func TestFaultDelay(t *testing.T) {
	r := newTestRuntime(t, Config{Faults: &Faults{Seed: 1, DelayRate: 1, Delay: 150 * time.Millisecond}})
	register(t, r, Function{})
	invoke(t, r, "echo", `{}`) // cold start outside the measurement

	start := time.Now()
	decodeEcho(t, invoke(t, r, "echo", `{}`))
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("delayed invoke returned after %s, want at least the 150ms delay", elapsed)
	}
	if got := r.Stats().Faults.Delays; got != 2 {
		t.Errorf("delay faults = %d, want 2", got)
	}
}

func TestFaultsLimitedToFunctions(t *testing.T) {
	r := newTestRuntime(t, Config{Faults: &Faults{Seed: 1, KillRate: 1, Functions: []string{"process"}}})
	register(t, r, Function{})
	decodeEcho(t, invoke(t, r, "echo", `{}`))
	if got := r.Stats().Faults.Kills; got != 0 {
		t.Errorf("kills = %d on a function outside Faults.Functions, want 0", got)
	}
}

func TestFaultDecisionsAreReproducible(t *testing.T) {
	cfg := &Faults{Seed: 42, KillRate: 0.1, TimeoutRate: 0.1, DelayRate: 0.1}
	sequence := func(cfg *Faults) string {
		fi, err := newFaultInjector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for seq := uint64(1); seq <= 1000; seq++ {
			kind, _ := fi.decide("process", seq)
			b.WriteByte("nktd"[kind])
		}
		return b.String()
	}

	first, again := sequence(cfg), sequence(cfg)
	if first != again {
		t.Error("the same seed gave two fault sequences")
	}
	other := *cfg
	other.Seed = 43
	if sequence(&other) == first {
		t.Error("seeds 42 and 43 gave the same fault sequence")
	}
	for kind, name := range map[byte]string{'k': "kills", 't': "timeouts", 'd': "delays"} {
		// 10% of 1000 draws; the bounds are wide enough for any fair generator.
		if n := strings.Count(first, string(kind)); n < 50 || n > 150 {
			t.Errorf("%s = %d of 1000 at rate 0.1, want about 100", name, n)
		}
	}
}

func TestFaultsValidation(t *testing.T) {
	for _, cfg := range []Faults{
		{KillRate: -0.1},
		{TimeoutRate: 1.5},
		{KillRate: 0.6, DelayRate: 0.6},
		{Delay: -time.Second},
	} {
		if _, err := New(Config{Faults: &cfg}); err == nil {
			t.Errorf("New with faults %+v: got no error", cfg)
		}
	}
}

func TestFaultKillDuringAsyncRetries(t *testing.T) {
	var sink recordSink
	r := newTestRuntime(t, Config{AsyncRetryDelay: 10 * time.Millisecond, Faults: &Faults{Seed: 7, KillRate: 1}})
	register(t, r, Function{OnFailure: sink.onFailure})

	if err := r.InvokeAsync(context.Background(), "echo", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the on-failure record", func() bool { return sink.count() == 1 })
	rec := sink.decode(t, 0)
	if rec.RequestContext.ApproximateInvokeCount != 3 || !strings.Contains(string(rec.ResponsePayload), "Runtime.ExitError") {
		t.Errorf("record count=%d response=%s, want 3 attempts ending in Runtime.ExitError", rec.RequestContext.ApproximateInvokeCount, rec.ResponsePayload)
	}
}

func TestFaultsUnderLoadLoseNothing(t *testing.T) {
	var sink recordSink
	r := newTestRuntime(t, Config{
		AsyncRetryDelay: time.Millisecond,
		Faults:          &Faults{Seed: 2026, KillRate: 0.1, TimeoutRate: 0.05, DelayRate: 0.1, Delay: 5 * time.Millisecond, TimeoutAfter: 20 * time.Millisecond},
	})
	register(t, r, Function{Name: "notified", MaxInstances: 4, OnFailure: sink.onFailure})
	register(t, r, Function{Name: "process", MaxInstances: 2})

	const events = 300
	for range events {
		if err := r.InvokeAsync(context.Background(), "notified", []byte(`{"action":"respond","response":null}`)); err != nil {
			t.Fatal(err)
		}
	}
	var syncErrors int
	for range 100 {
		resp := invoke(t, r, "process", `{"action":"respond","response":{"batchItemFailures":[]}}`)
		if resp.FunctionError != "" {
			syncErrors++
		}
	}

	waitFor(t, "every event to succeed or reach the destination", func() bool {
		s := r.Stats().Functions["notified"]
		return s.AsyncSucceeded+s.AsyncFailed == events
	})
	s := r.Stats().Functions["notified"]
	if s.AsyncDropped != 0 || int(s.AsyncFailed) != sink.count() {
		t.Errorf("dropped=%d failed=%d records=%d, want none dropped and one record per failed event", s.AsyncDropped, s.AsyncFailed, sink.count())
	}
	faults := r.Stats().Faults
	if faults.Kills == 0 || faults.Timeouts == 0 || faults.Delays == 0 {
		t.Errorf("fault counts %+v, want every kind injected", faults)
	}
	p := r.Stats().Functions["process"]
	if int(p.Errors) != syncErrors || p.Invokes != 100 {
		t.Errorf("process errors=%d invokes=%d, want %d errors seen by callers and 100 invokes", p.Errors, p.Invokes, syncErrors)
	}
}
