package dsl_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
)

// foodDeliveryJSON is definitions/food-delivery.yaml as JSON, for the JSON
// benchmark. TestFoodDeliveryJSONTwin keeps it in step with the YAML
// (refresh with go test ./dsl -run TestFoodDeliveryJSONTwin -update).
var foodDeliveryJSON = filepath.Join("testdata", "bench", "food-delivery.json")

func TestFoodDeliveryJSONTwin(t *testing.T) {
	t.Parallel()
	yml, err := os.ReadFile(filepath.Join("..", "definitions", "food-delivery.yaml"))
	if err != nil {
		t.Skipf("food-delivery definition not there: %v", err)
	}
	fromYAML, ps := dsl.Load(yml, dsl.Options{Format: dsl.YAML})
	if ps.HasErrors() {
		t.Fatalf("food-delivery.yaml: %s", ps.Error())
	}
	if *update {
		text := value.Marshal(fromYAML.Source)
		if err := os.MkdirAll(filepath.Dir(foodDeliveryJSON), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(foodDeliveryJSON, append(indentJSON(t, text), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, err := os.ReadFile(foodDeliveryJSON)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	fromJSON, ps := dsl.Load(js, dsl.Options{Format: dsl.JSON})
	if ps.HasErrors() {
		t.Fatalf("%s: %s", foodDeliveryJSON, ps.Error())
	}
	if diff := cmp.Diff(string(value.Marshal(fromYAML.Source)), string(value.Marshal(fromJSON.Source))); diff != "" {
		t.Errorf("%s differs from food-delivery.yaml (-yaml +json):\n%s", foodDeliveryJSON, diff)
	}
}

// indentJSON lays compact JSON out two spaces per level, as people write it.
func indentJSON(t *testing.T, compact []byte) []byte {
	t.Helper()
	v, err := value.Decode(compact)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	writeJSON(&b, v, "")
	return []byte(b.String())
}

func writeJSON(b *strings.Builder, v value.Value, indent string) {
	switch t := v.(type) {
	case *value.Object:
		if t.Len() == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, m := range t.Members() {
			b.WriteString(indent + "  ")
			b.Write(value.AppendString(nil, m.Key))
			b.WriteString(": ")
			writeJSON(b, m.Value, indent+"  ")
			if i < t.Len()-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, e := range t {
			b.WriteString(indent + "  ")
			writeJSON(b, e, indent+"  ")
			if i < len(t)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	default:
		b.Write(value.Marshal(v))
	}
}

func BenchmarkLoadFoodDeliveryJSON(b *testing.B) {
	data, err := os.ReadFile(foodDeliveryJSON)
	if err != nil {
		b.Skipf("JSON twin not there: %v", err)
	}
	benchmarkLoad(b, data, dsl.JSON)
}

// BenchmarkLoad100States loads a generated definition of 100 states of
// every kind, in YAML and in JSON.
func BenchmarkLoad100States(b *testing.B) {
	def := hundredStates()
	b.Run("yaml", func(b *testing.B) { benchmarkLoad(b, []byte(blockYAML(def)), dsl.YAML) })
	b.Run("json", func(b *testing.B) { benchmarkLoad(b, value.Marshal(def), dsl.JSON) })
}

func benchmarkLoad(b *testing.B, data []byte, f dsl.Format) {
	if _, ps := dsl.Load(data, dsl.Options{Format: f}); ps.HasErrors() {
		b.Fatalf("benchmark definition is invalid:\n%s", ps.Error())
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dsl.Load(data, dsl.Options{Format: f})
	}
}

func TestHundredStatesIsValid(t *testing.T) {
	t.Parallel()
	def := hundredStates()
	if n := def.(*value.Object).Members()[1].Value.(*value.Object).Len(); n != 100 {
		t.Fatalf("%d states, want 100", n)
	}
	for _, c := range []struct {
		text []byte
		f    dsl.Format
	}{{[]byte(blockYAML(def)), dsl.YAML}, {value.Marshal(def), dsl.JSON}} {
		d, ps := dsl.Load(c.text, dsl.Options{Format: c.f})
		if len(ps) > 0 {
			t.Fatalf("%v: problems:\n%s", c.f, ps.Error())
		}
		if diff := cmp.Diff(string(value.Marshal(def)), string(value.Marshal(d.Source))); diff != "" {
			t.Errorf("%v text does not read back as the definition (-want +got):\n%s", c.f, diff)
		}
	}
}

// hundredStates builds a definition of 100 states: 16 rounds of Pass, Task
// (Retry, Catch), Choice, Wait, Parallel and Map, then Done, Failed, Last and
// Extra, chained with Next.
func hundredStates() value.Value {
	d := func(s string) value.Value { return value.MustDecode(s) }
	states := value.NewObject(100)
	const rounds = 16
	for i := range rounds {
		n := func(k string) string { return k + strconv.Itoa(i) }
		next := "Pass" + strconv.Itoa(i+1)
		if i == rounds-1 {
			next = "Last"
		}
		states.Set(n("Pass"), d(fmt.Sprintf(`{"Type": "Pass", "Parameters": {"id.$": "$.id", "n": %d}, "ResultPath": "$.p", "Next": %q}`, i, n("Task"))))
		states.Set(n("Task"), d(fmt.Sprintf(`{"Type": "Task", "Resource": "handler:step", "TimeoutSeconds": 30, "HeartbeatSeconds": 10,
			"Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2, "JitterStrategy": "FULL"}],
			"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": "$.error"}], "Next": %q}`, n("Choice"))))
		states.Set(n("Choice"), d(fmt.Sprintf(`{"Type": "Choice", "Choices": [
			{"And": [{"Variable": "$.a", "IsPresent": true}, {"Variable": "$.a", "NumericGreaterThan": 3}], "Next": %q},
			{"Variable": "$.b", "StringMatches": "x*", "Next": %q}], "Default": %q}`, n("Wait"), n("Parallel"), n("Wait"))))
		states.Set(n("Wait"), d(fmt.Sprintf(`{"Type": "Wait", "Seconds": 1, "Next": %q}`, n("Parallel"))))
		states.Set(n("Parallel"), d(fmt.Sprintf(`{"Type": "Parallel", "Branches": [
			{"StartAt": %q, "States": {%[1]q: {"Type": "Pass", "End": true}}},
			{"StartAt": %q, "States": {%[2]q: {"Type": "Succeed"}}}], "ResultPath": "$.par", "Next": %q}`, n("B"), n("C"), n("Map"))))
		states.Set(n("Map"), d(fmt.Sprintf(`{"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 4, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
			"ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": %q, "States": {%[1]q: {"Type": "Task", "Resource": "handler:item", "End": true}}},
			"ResultPath": "$.m", "Next": %q}`, n("I"), next)))
	}
	states.Set("Last", d(`{"Type": "Pass", "Next": "Extra"}`))
	states.Set("Extra", d(`{"Type": "Pass", "Result": {"ok": true}, "Next": "Done"}`))
	states.Set("Done", d(`{"Type": "Succeed"}`))
	states.Set("Failed", d(`{"Type": "Fail", "Error": "Failed", "Cause": "a step failed"}`))
	return value.ObjectOf("StartAt", "Pass0", "States", states)
}

// blockYAML writes v as block-style YAML, strings double-quoted.
func blockYAML(v value.Value) string {
	var b strings.Builder
	writeYAML(&b, v, "")
	return b.String()
}

func writeYAML(b *strings.Builder, v value.Value, indent string) {
	switch t := v.(type) {
	case *value.Object:
		for _, m := range t.Members() {
			b.WriteString(indent)
			b.Write(value.AppendString(nil, m.Key))
			b.WriteByte(':')
			writeYAMLChild(b, m.Value, indent+"  ")
		}
	case []any:
		for _, e := range t {
			b.WriteString(indent + "-")
			writeYAMLChild(b, e, indent+"  ")
		}
	}
}

func writeYAMLChild(b *strings.Builder, v value.Value, indent string) {
	switch t := v.(type) {
	case *value.Object:
		if t.Len() > 0 {
			b.WriteByte('\n')
			writeYAML(b, v, indent)
			return
		}
	case []any:
		if len(t) > 0 {
			b.WriteByte('\n')
			writeYAML(b, v, indent)
			return
		}
	}
	b.WriteByte(' ')
	b.Write(value.Marshal(v))
	b.WriteByte('\n')
}
