package sfntest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/internal/fastclock"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/mockconfig"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// Machine is a loaded definition, ready to run any number of times.
type Machine struct {
	name   string // the state machine's name
	file   string // where it was read from, for messages
	source []byte
	format dsl.Format
	tasks  map[string]*dsl.State // the Task states by name, in branches and Map processors too
}

// Load reads a definition file (YAML or JSON: by the extension, .json,
// .yaml or .yml; sniffed otherwise) and checks it as sfn does. Every
// problem fails the test at once, each as FILE:LINE:COLUMN: message.
// The state machine is named after the file's base name without its
// extension (as `sfn run` names it).
func Load(t testing.TB, path string) *Machine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("sfntest: %v", err)
	}
	return load(t, dsl.NameFromFile(path), path, data, dsl.FormatOfFile(path))
}

// Parse is Load for a definition given as text (YAML or JSON, sniffed);
// name names the state machine and the problems' file.
func Parse(t testing.TB, name string, source []byte) *Machine {
	t.Helper()
	if !interpreter.ValidName(name) {
		t.Fatalf("sfntest: state machine name %q: use 1 to 80 letters, digits, '-' and '_'", name)
	}
	return load(t, name, name, source, dsl.Sniff)
}

func load(t testing.TB, name, file string, source []byte, format dsl.Format) *Machine {
	t.Helper()
	def, problems := dsl.Load(source, dsl.Options{Filename: file, Format: format})
	if def == nil {
		t.Fatalf("sfntest: %s is not a valid definition:\n%s", file, problems.Errors().Error())
	}
	m := &Machine{name: name, file: file, source: source, format: format, tasks: def.Machine.TaskStates()}
	return m
}

// Name is the state machine's name.
func (m *Machine) Name() string { return m.name }

// Run is Load(t, path).Run(t, input, opts...): one execution of the
// definition file at path.
func Run(t testing.TB, path string, input any, opts ...Option) *Result {
	t.Helper()
	return Load(t, path).Run(t, input, opts...)
}

// Run runs one execution of the state machine with input and waits for its
// end. input is JSON text when it is a string, []byte or json.RawMessage,
// and any other Go value is encoded with encoding/json; nil is {}.
//
// Problems with the options (a mock for a state that is not a Task state,
// a mock configuration file with errors, an unknown test case) fail the
// test at once, as does an execution that has not ended after the
// timeout. A task call that the test cannot answer fails the test once
// the execution has ended. Whatever the execution's outcome, Run returns
// it: assert on it with the Result's methods.
func (m *Machine) Run(t testing.TB, input any, opts ...Option) *Result {
	t.Helper()
	c := &config{machine: m.name, timeout: time.Minute, mocks: map[string]*goMock{}, handlers: map[string]interpreter.Handler{}}
	for _, o := range opts {
		o(c)
	}
	if len(c.problems) > 0 {
		t.Fatalf("sfntest: %s", strings.Join(c.problems, "\n"))
	}
	in, err := jsonOf(input)
	if err != nil {
		t.Fatalf("sfntest: the input: %v", err)
	}
	if in == nil {
		in = json.RawMessage(`{}`)
	}
	tc, err := c.testCase()
	if err != nil {
		t.Fatalf("sfntest: %v", err)
	}
	if err := m.checkMocks(c, tc); err != nil {
		t.Fatalf("sfntest: %v", err)
	}

	clock := fastclock.New()
	mem := memory.New()
	defer mem.Close()
	st := clock.Watch(mem)
	ic := &interceptor{machine: m, mocks: c.mocks, testCase: tc, handlers: c.handlers, clock: clock}
	eng := interpreter.New(interpreter.Config{
		Store: st, Clock: clock, Logger: slog.New(slog.DiscardHandler),
		// Timers fire when the clock jumps to them; the poll is for the
		// ones the clock reaches in real time.
		TimerPoll:          50 * time.Millisecond,
		TaskInterceptor:    ic.intercept,
		UUID:               sequentialUUIDs(),
		Random:             seededRandom(),
		CheckCachedThreads: true,
	})
	for name, h := range c.handlers {
		eng.RegisterHandler(name, h)
	}
	ctx := t.Context()
	if err := eng.Start(ctx); err != nil {
		t.Fatalf("sfntest: starting the engine: %v", err)
	}
	defer eng.Stop()
	if _, err := eng.PutStateMachine(ctx, c.machine, m.source, m.format); err != nil {
		t.Fatalf("sfntest: %s: %v", m.file, err)
	}
	ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: c.machine, Name: "test", Input: in})
	if err != nil {
		t.Fatalf("sfntest: starting the execution: %v", err)
	}
	dctx, stopDriving := context.WithCancel(ctx)
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		clock.Drive(dctx, st, ex.ID)
	}()
	defer func() {
		stopDriving()
		<-driven // before the store closes
	}()

	wctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ended, werr := eng.Wait(wctx, ex.ID)
	// The history is read on the test's context: the wait's may be over.
	raw, herr := eng.History(ctx, store.HistoryQuery{ID: ex.ID, Limit: 1 << 30})
	if herr != nil {
		t.Fatalf("sfntest: reading the history: %v", herr)
	}
	r := &Result{t: t, machine: c.machine, history: parseEvents(raw), calls: ic.recorded()}
	if werr != nil || ended == nil {
		if ctx.Err() != nil {
			t.Fatalf("sfntest: the test ended before the execution: %v", ctx.Err())
		}
		t.Fatalf("sfntest: the execution had not ended after %s of real time (a real HTTP call or handler still under way? sfntest.Timeout sets the limit)%s", c.timeout, r.tail())
	}
	r.status, r.output, r.errName, r.cause = ended.Status, ended.Output, ended.Error, ended.Cause
	for _, msg := range ic.unanswerable() {
		t.Errorf("%s%s", msg, r.tail())
	}
	return r
}

// checkMocks refuses mocks of states that are not Task states of the
// definition: a typo would otherwise let the state run unmocked.
func (m *Machine) checkMocks(c *config, tc *mockconfig.TestCase) error {
	var bad []string
	for _, name := range sortedKeys(c.mocks) {
		if m.tasks[name] == nil {
			bad = append(bad, fmt.Sprintf("%s: %q is not a Task state of %s", c.mocks[name].option, name, m.file))
		}
	}
	if tc != nil {
		for _, name := range tc.States() {
			if m.tasks[name] == nil {
				bad = append(bad, fmt.Sprintf("MockConfig: test case %q mocks %q, which is not a Task state of %s", tc.Name, name, m.file))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s (its Task states: %s)", strings.Join(bad, "\n"), strings.Join(sortedKeys(m.tasks), ", "))
}

// testCase reads the mock configuration file of MockConfig and picks its
// test case; nil without MockConfig.
func (c *config) testCase() (*mockconfig.TestCase, error) {
	if c.mockFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(c.mockFile)
	if err != nil {
		return nil, fmt.Errorf("MockConfig: %v", err)
	}
	cfg, err := mockconfig.Parse(data, c.mockFile)
	if err != nil {
		var ps mockconfig.Problems
		if errors.As(err, &ps) {
			return nil, fmt.Errorf("MockConfig: %s is not a valid mock configuration:\n%v", c.mockFile, err)
		}
		return nil, fmt.Errorf("MockConfig: %v", err)
	}
	tc, err := cfg.TestCase(c.machine, c.mockCase)
	if err != nil {
		return nil, fmt.Errorf("MockConfig %s: %v (StateMachine sets the name to look under)", c.mockFile, err)
	}
	return tc, nil
}

// jsonOf is v as JSON text: strings, []byte and json.RawMessage are JSON
// text already (checked), other values are encoded; nil stays nil.
func jsonOf(v any) (json.RawMessage, error) {
	var text []byte
	switch x := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		text = x
	case []byte:
		text = x
	case string:
		text = []byte(x)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	if !json.Valid(text) {
		var probe any
		err := json.Unmarshal(text, &probe)
		return nil, fmt.Errorf("%q is not JSON text (%v); a string is taken as JSON, so a JSON string is written with its quotes: `\"text\"`", abbreviate(string(text), 60), err)
	}
	return bytes.Clone(text), nil
}

// sequentialUUIDs gives version-4-shaped UUIDs that count from 1.
func sequentialUUIDs() func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012x", n)
	}
}

// seededRandom gives the same numbers in every run.
func seededRandom() func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(1, 2))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// abbreviate cuts s to about n bytes for a message, at a character's start.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
