package dsl_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/value"
)

// TestLoadKeepsOrderAndNumbers: a definition's values keep their key order
// and their number texts through Load, in JSON and YAML alike, so that a
// Pass Result and a template (and States.JsonToString of them) give back
// what was written. Only the canonical form (the version's identity) sorts
// and reprints. Each testdata/order/FILE has FILE.golden: the loaded source,
// the Result and the evaluated Parameters; refresh with -update.
func TestLoadKeepsOrderAndNumbers(t *testing.T) {
	t.Parallel()
	files := definitionFiles(t, filepath.Join("testdata", "order"))
	if len(files) < 2 {
		t.Fatal("no definitions in testdata/order")
	}
	canonical := map[string]string{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		def, ps := dsl.Load(data, dsl.Options{Filename: filepath.Base(file), Format: dsl.Sniff})
		if def == nil {
			t.Fatalf("%s: %s", file, ps.Error())
		}
		if def.Format != formatOf(file) {
			t.Errorf("%s: Format %v, want %v (sniffed)", file, def.Format, formatOf(file))
		}
		canonical[file] = string(value.Canonical(def.Source))

		result := value.MarshalString(def.States["Result"].Result)
		const want = `{"b":1,"a":12345678901234567890,"c":1.0,"d":[1.50,-0.0,1e2,2E-3,0.1],"nested":{"z":true,"y":null}}`
		if result != want {
			t.Errorf("%s: Pass Result\n got %s\nwant %s", file, result, want)
		}
		input := value.ObjectOf("result", def.States["Result"].Result)
		params, err := def.States["Template"].Parameters.Eval(dsl.Env{Input: input, Context: value.NewObject(0)})
		if err != nil {
			t.Fatalf("%s: Parameters: %v", file, err)
		}
		got := value.MarshalString(params)
		wantParams := `{"zeta":1.0,"text":` + string(value.Marshal(want)) + `,"alpha":{"y":2,"x":10.00},"big":98765432109876543210}`
		if got != wantParams {
			t.Errorf("%s: Parameters\n got %s\nwant %s", file, got, wantParams)
		}
		if filepath.Ext(file) == ".json" {
			var compact bytes.Buffer
			if err := json.Compact(&compact, data); err != nil {
				t.Fatal(err)
			}
			if src := value.MarshalString(def.Source); src != compact.String() {
				t.Errorf("%s: Source is not the text as written\n got %s\nwant %s", file, src, compact.String())
			}
		}

		golden := strings.Join([]string{
			"format: " + def.Format.String(),
			"source: " + value.MarshalString(def.Source),
			"canonical: " + canonical[file],
			"Result: " + result,
			"Parameters: " + got,
		}, "\n") + "\n"
		checkGolden(t, file+".golden", golden)
	}
	// The YAML twin is the same definition: one identity.
	if c := canonical[filepath.Join("testdata", "order", "pass.json")]; c != canonical[filepath.Join("testdata", "order", "pass.yaml")] {
		t.Errorf("pass.json and pass.yaml differ in canonical form:\n%s\n%s", c, canonical[filepath.Join("testdata", "order", "pass.yaml")])
	}
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", golden, diff)
	}
}
