package dsl_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/internal/testenv"
)

// mapDefinition is a one-state definition whose state M is a Map with the
// given fields (a JSON object's members, without braces) and ProcessorConfig
// ("" for none); jsonata makes the whole definition JSONata.
func mapDefinition(fields, config string, jsonata bool) string {
	top := ""
	if jsonata {
		top = `"QueryLanguage": "JSONata", `
	}
	if fields != "" {
		fields += ", "
	}
	if config != "" {
		config = `"ProcessorConfig": ` + config + `, `
	}
	return `{` + top + `"StartAt": "M", "States": {"M": {"Type": "Map", ` + fields +
		`"ItemProcessor": {` + config + `"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`
}

const distributed = `{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}`

// describeDistributed writes a compiled distributed Map as one line, so
// that a test compares all of it at once: paths by their text,
// expressions by theirs, templates as "template".
func describeDistributed(d *dsl.DistributedMap) string {
	if d == nil {
		return "inline"
	}
	path := func(p *dsl.Path) string {
		if p == nil {
			return ""
		}
		return p.String()
	}
	query := func(q *dsl.QueryTemplate) string {
		switch {
		case q == nil:
			return ""
		case q.Text() != "":
			return "{% " + q.Text() + " %}"
		}
		return "query"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s label=%q", d.ExecutionType, d.Label)
	if t := d.Batcher; t != nil {
		fmt.Fprintf(&b, " batcher(items=%d %s%s bytes=%d %s%s", t.MaxItems, path(t.MaxItemsPath), query(t.MaxItemsQuery),
			t.MaxBytes, path(t.MaxBytesPath), query(t.MaxBytesQuery))
		if t.BatchInput != nil {
			b.WriteString(" input=template")
		}
		if t.BatchInputQuery != nil {
			b.WriteString(" input=" + query(t.BatchInputQuery))
		}
		b.WriteString(")")
	}
	if r := d.Reader; r != nil {
		fmt.Fprintf(&b, " reader(%s %s", r.Resource, r.InputType)
		if r.Parameters != nil {
			b.WriteString(" parameters")
		}
		if r.Arguments != nil {
			b.WriteString(" arguments=" + query(r.Arguments))
		}
		if r.InputType == "CSV" {
			fmt.Fprintf(&b, " %s %q %s", r.CSVHeaderLocation, r.CSVHeaders, r.CSVDelimiter)
		}
		fmt.Fprintf(&b, " max=%d %s%s)", r.MaxItems, path(r.MaxItemsPath), query(r.MaxItemsQuery))
	}
	if w := d.Writer; w != nil {
		fmt.Fprintf(&b, " writer(%q %s %s", w.Resource, w.OutputType, w.Transformation)
		if w.Parameters != nil {
			b.WriteString(" parameters")
		}
		if w.Arguments != nil {
			b.WriteString(" arguments=" + query(w.Arguments))
		}
		b.WriteString(")")
	}
	return b.String()
}

// TestDistributedMapCompiles compiles the distributed Map's fields in both
// query languages into State.Distributed.
func TestDistributedMapCompiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		def     string
		want    string
		context bool // the state reads the context object
	}{
		{
			name: "items from the input",
			def:  mapDefinition(`"ItemsPath": "$.items", "MaxConcurrency": 1`, distributed, false),
			want: `STANDARD label=""`,
		},
		{
			name: "express children and a label",
			def:  mapDefinition(`"Label": "Test-Map_1.x"`, `{"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}`, false),
			want: `EXPRESS label="Test-Map_1.x"`,
		},
		{
			name: "a label of 40 characters",
			def:  mapDefinition(`"Label": "`+strings.Repeat("é", 40)+`"`, distributed, false),
			want: `STANDARD label="` + strings.Repeat("é", 40) + `"`,
		},
		{
			name: "legacy Iterator with a ProcessorConfig",
			def: `{"StartAt": "M", "States": {"M": {"Type": "Map", "Iterator": {"ProcessorConfig": ` + distributed +
				`, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}}`,
			want: `STANDARD label=""`,
		},
		{
			name:    "batcher literals and BatchInput",
			def:     mapDefinition(`"ItemBatcher": {"MaxItemsPerBatch": 3, "MaxInputBytesPerBatch": 262144, "BatchInput": {"f.$": "$$.Execution.Name"}}`, distributed, false),
			want:    `STANDARD label="" batcher(items=3  bytes=262144  input=template)`,
			context: true,
		},
		{
			name: "batcher paths, from the input and from variables",
			def:  mapDefinition(`"ItemBatcher": {"MaxItemsPerBatchPath": "$.n", "MaxInputBytesPerBatchPath": "$bytes"}`, distributed, false),
			want: `STANDARD label="" batcher(items=0 $.n bytes=0 $bytes)`,
		},
		{
			name: "batcher bytes only",
			def:  mapDefinition(`"ItemBatcher": {"MaxInputBytesPerBatch": 1}`, distributed, false),
			want: `STANDARD label="" batcher(items=0  bytes=1 )`,
		},
		{
			name: "JSONata batcher expressions",
			def: mapDefinition(`"ItemBatcher": {"MaxItemsPerBatch": "{% $states.input.n %}", "MaxInputBytesPerBatch": 1024,
				"BatchInput": {"at": "{% $states.context.State.EnteredTime %}"}}`, distributed, true),
			want:    `STANDARD label="" batcher(items=0 {% $states.input.n %} bytes=1024  input=query)`,
			context: true,
		},
		{
			name: "reader of a JSON object with MaxItems",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket.$": "$.Bucket", "Key": "k"},
				"ReaderConfig": {"InputType": "JSON", "MaxItems": 0}}`, distributed, false),
			want: `STANDARD label="" reader(arn:aws:states:::s3:getObject JSON parameters max=0 )`,
		},
		{
			name: "reader of a CSV object with given headers, ItemsPath ignored but allowed",
			def: mapDefinition(`"ItemsPath": "$.no_such_path", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"},
				"ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["H1", "H1", "H3"], "CSVDelimiter": "PIPE", "MaxItemsPath": "$.MaxItems"}}`, distributed, false),
			want: `STANDARD label="" reader(arn:aws:states:::s3:getObject CSV parameters GIVEN ["H1" "H1" "H3"] PIPE max=0 $.MaxItems)`,
		},
		{
			name: "CSV defaults: headers in the first row, comma-separated",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"},
				"ReaderConfig": {"InputType": "CSV"}}`, distributed, false),
			want: `STANDARD label="" reader(arn:aws:states:::s3:getObject CSV parameters FIRST_ROW [] COMMA max=0 )`,
		},
		{
			name: "listing objects needs no ReaderConfig",
			def:  mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket.$": "$.Bucket"}}`, distributed, false),
			want: `STANDARD label="" reader(arn:aws:states:::s3:listObjectsV2  parameters max=0 )`,
		},
		{
			name: "listing objects, at most 10",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": "p/"},
				"ReaderConfig": {"MaxItems": 10}}`, distributed, false),
			want: `STANDARD label="" reader(arn:aws:states:::s3:listObjectsV2  parameters max=10 )`,
		},
		{
			name: "reader over HTTPS",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::http:invoke", "Parameters": {"ApiEndpoint": "https://example.com/items.jsonl", "Method": "GET"},
				"ReaderConfig": {"InputType": "JSONL"}}`, distributed, false),
			want: `STANDARD label="" reader(arn:aws:states:::http:invoke JSONL parameters max=0 )`,
		},
		{
			name: "JSONata reader: Arguments and a MaxItems expression",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": "{% $states.input.Bucket %}", "Key": "k"},
				"ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $maxItems := 2 %}"}}`, distributed, true),
			want: `STANDARD label="" reader(arn:aws:states:::s3:getObject JSON arguments=query max=0 {% $maxItems := 2 %})`,
		},
		{
			name: "JSONata reader: Arguments as one expression",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": "{% $states.input.object %}",
				"ReaderConfig": {"InputType": "JSON"}}`, distributed, true),
			want: `STANDARD label="" reader(arn:aws:states:::s3:getObject JSON arguments={% $states.input.object %} max=0 )`,
		},
		{
			name: "writer to a bucket: NONE by default",
			def:  mapDefinition(`"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "result-bucket", "Prefix.$": "$.prefix"}}`, distributed, false),
			want: `STANDARD label="" writer("arn:aws:states:::s3:putObject" JSON NONE parameters)`,
		},
		{
			name: "writer that only shapes the results",
			def:  mapDefinition(`"ResultWriter": {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}`, distributed, false),
			want: `STANDARD label="" writer("" JSON FLATTEN)`,
		},
		{
			name: "writer shaping and writing",
			def: mapDefinition(`"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"},
				"WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}}`, distributed, false),
			want: `STANDARD label="" writer("arn:aws:states:::s3:putObject" JSONL COMPACT parameters)`,
		},
		{
			name: "JSONata writer",
			def:  mapDefinition(`"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Arguments": {"Bucket": "{% $bucket %}", "Prefix": "runs"}}`, distributed, true),
			want: `STANDARD label="" writer("arn:aws:states:::s3:putObject" JSON NONE arguments=query)`,
		},
		{
			name: "an inline Map",
			def:  mapDefinition(`"ItemsPath": "$.items"`, `{"Mode": "INLINE"}`, false),
			want: `inline`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def, ps := dsl.Load([]byte(tc.def), dsl.Options{Format: dsl.JSON})
			if ps.HasErrors() {
				t.Fatalf("Load: %s", ps.Error())
			}
			s := def.States["M"]
			if got := describeDistributed(s.Distributed); got != tc.want {
				t.Errorf("compiled\n got %s\nwant %s", got, tc.want)
			}
			if tc.context && !s.UsesContext {
				t.Error("UsesContext is false; the state reads the context object")
			}
		})
	}
}

// TestDistributedMapRefusals refuses what a distributed Map may not have,
// and a distributed Map's fields on an inline Map, each with its pointer
// and message.
func TestDistributedMapRefusals(t *testing.T) {
	t.Parallel()
	const readObject = `"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}`
	type problem struct{ path, code, msg string }
	const labelRules = ", which a Label may not: no whitespace, brackets < > { } [ ], wildcards ? *, special characters \" # % \\ ^ | ~ ` $ & , ; : / or control characters"
	for _, tc := range []struct {
		name string
		def  string
		want []problem
	}{
		{
			name: "empty Label",
			def:  mapDefinition(`"Label": ""`, distributed, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label "" is empty: a Label names the Map Run and its child executions, in 1 to 40 characters`}},
		},
		{
			name: "Label of 41 characters",
			def:  mapDefinition(`"Label": "12345678901234567890123456789012345678901"`, distributed, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label "12345678901234567890123456789012345678901" is 41 characters long; the limit is 40`}},
		},
		{
			name: "Label with a brace",
			def:  mapDefinition(`"Label": "label_{"`, distributed, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label "label_{" contains '{'` + labelRules}},
		},
		{
			name: "Label with a space",
			def:  mapDefinition(`"Label": "my map"`, distributed, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label "my map" contains whitespace (U+0020)` + labelRules}},
		},
		{
			name: "Label with a backslash",
			def:  mapDefinition(`"Label": "a\\b"`, distributed, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label "a\\b" contains '\\'` + labelRules}},
		},
		{
			name: "Label with a control character",
			def:  mapDefinition(`"Label": "a\u0007"`, distributed, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label "a\a" contains the control character U+0007` + labelRules}},
		},
		{
			name: "Label with a C1 control character",
			def:  mapDefinition(`"Label": "a\u0085"`, distributed, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label "a\u0085" contains the control character U+0085` + labelRules}},
		},
		{
			name: "Label on an inline Map",
			def:  mapDefinition(`"Label": "TestMap"`, `{"Mode": "INLINE"}`, false),
			want: []problem{{"/States/M/Label", "INVALID_MAP", `Label belongs to a distributed Map (ProcessorConfig.Mode DISTRIBUTED); this Map is inline`}},
		},
		{
			name: "distributed fields on a Map without ProcessorConfig",
			def: mapDefinition(`"ItemReader": {`+readObject+`, "ReaderConfig": {"InputType": "JSON"}}, "ItemBatcher": {"MaxItemsPerBatch": 2},
				"ResultWriter": {"WriterConfig": {"Transformation": "COMPACT"}}`, "", false),
			want: []problem{
				{"/States/M/ItemReader", "INVALID_MAP", `ItemReader belongs to a distributed Map (ProcessorConfig.Mode DISTRIBUTED); this Map is inline`},
				{"/States/M/ItemBatcher", "INVALID_MAP", `ItemBatcher belongs to a distributed Map (ProcessorConfig.Mode DISTRIBUTED); this Map is inline`},
				{"/States/M/ResultWriter", "INVALID_MAP", `ResultWriter belongs to a distributed Map (ProcessorConfig.Mode DISTRIBUTED); this Map is inline`},
			},
		},
		{
			name: "ExecutionType on an inline Map",
			def:  mapDefinition("", `{"Mode": "INLINE", "ExecutionType": "EXPRESS"}`, false),
			want: []problem{{"/States/M/ItemProcessor/ProcessorConfig/ExecutionType", "INVALID_MAP",
				`ExecutionType belongs to a distributed Map (ProcessorConfig.Mode DISTRIBUTED), as the type of its child executions; this Map is inline and runs its iterations inside the execution`}},
		},
		{
			name: "ExecutionType missing",
			def:  mapDefinition("", `{"Mode": "DISTRIBUTED"}`, false),
			want: []problem{{"/States/M/ItemProcessor/ProcessorConfig", "INVALID_MAP",
				`a distributed Map needs ProcessorConfig.ExecutionType: STANDARD or EXPRESS, the type of its child executions`}},
		},
		{
			name: "ExecutionType unknown",
			def:  mapDefinition("", `{"Mode": "DISTRIBUTED", "ExecutionType": "SYNC"}`, false),
			want: []problem{{"/States/M/ItemProcessor/ProcessorConfig/ExecutionType", "SCHEMA_VALIDATION_FAILED",
				`"ExecutionType" must be one of "STANDARD", "EXPRESS", got "SYNC"`}},
		},
		{
			name: "MaxItemsPerBatch and MaxItemsPerBatchPath",
			def:  mapDefinition(`"ItemBatcher": {"MaxItemsPerBatch": 2, "MaxItemsPerBatchPath": "$.size"}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher/MaxItemsPerBatchPath", "INVALID_MAP", `MaxItemsPerBatch and MaxItemsPerBatchPath are mutually exclusive; keep one`}},
		},
		{
			name: "MaxInputBytesPerBatch and MaxInputBytesPerBatchPath",
			def:  mapDefinition(`"ItemBatcher": {"MaxInputBytesPerBatch": 2, "MaxInputBytesPerBatchPath": "$.size"}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher/MaxInputBytesPerBatchPath", "INVALID_MAP", `MaxInputBytesPerBatch and MaxInputBytesPerBatchPath are mutually exclusive; keep one`}},
		},
		{
			name: "ItemBatcher without a bound",
			def:  mapDefinition(`"ItemBatcher": {"BatchInput": {"a": 1}}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher", "INVALID_MAP",
				`an ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (in a JSONPath state also MaxItemsPerBatchPath or MaxInputBytesPerBatchPath): the most items, or bytes, a batch holds`}},
		},
		{
			name: "MaxItemsPerBatch not positive",
			def:  mapDefinition(`"ItemBatcher": {"MaxItemsPerBatch": 0}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher/MaxItemsPerBatch", "SCHEMA_VALIDATION_FAILED",
				`"MaxItemsPerBatch" must be an integer ≥ 1 or a JSONata expression "{% … %}" (JSONata states), got 0`}},
		},
		{
			name: "MaxInputBytesPerBatch over 256 KiB",
			def:  mapDefinition(`"ItemBatcher": {"MaxInputBytesPerBatch": 262145}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher/MaxInputBytesPerBatch", "SCHEMA_VALIDATION_FAILED",
				`"MaxInputBytesPerBatch" must be an integer from 1 to 262144 or a JSONata expression "{% … %}" (JSONata states), got 262145`}},
		},
		{
			name: "MaxItemsPerBatch fractional",
			def:  mapDefinition(`"ItemBatcher": {"MaxItemsPerBatch": 1.5}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher/MaxItemsPerBatch", "SCHEMA_VALIDATION_FAILED",
				`"MaxItemsPerBatch" must be an integer ≥ 1 or a JSONata expression "{% … %}" (JSONata states), got 1.5`}},
		},
		{
			name: "an expression in a JSONPath state",
			def:  mapDefinition(`"ItemBatcher": {"MaxItemsPerBatch": "{% 2 %}"}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher/MaxItemsPerBatch", "SCHEMA_VALIDATION_FAILED", `"MaxItemsPerBatch" must be an integer, got "{% 2 %}"`}},
		},
		{
			name: "a path in a JSONata state",
			def:  mapDefinition(`"ItemBatcher": {"MaxItemsPerBatchPath": "$.n"}`, distributed, true),
			want: []problem{{"/States/M/ItemBatcher/MaxItemsPerBatchPath", "INVALID_QUERY_LANGUAGE",
				`"MaxItemsPerBatchPath" is a JSONPath field; a JSONata state gives MaxItemsPerBatch as a JSONata expression "{% … %}"`}},
		},
		{
			name: "a bad path",
			def:  mapDefinition(`"ItemBatcher": {"MaxItemsPerBatchPath": "$.["}`, distributed, false),
			want: []problem{{"/States/M/ItemBatcher/MaxItemsPerBatchPath", "INVALID_JSON_PATH", ""}},
		},
		{
			name: "getObject without InputType",
			def:  mapDefinition(`"ItemReader": {`+readObject+`}`, distributed, false),
			want: []problem{{"/States/M/ItemReader", "INVALID_MAP",
				`an ItemReader with arn:aws:states:::s3:getObject needs ReaderConfig.InputType: JSON, JSONL, CSV, MANIFEST or PARQUET, the format of what it reads`}},
		},
		{
			name: "http:invoke without InputType",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::http:invoke", "Parameters": {"ApiEndpoint": "https://example.com"},
				"ReaderConfig": {"MaxItems": 1}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/ReaderConfig", "INVALID_MAP",
				`an ItemReader with arn:aws:states:::http:invoke needs ReaderConfig.InputType: JSON, JSONL, CSV, MANIFEST or PARQUET, the format of what it reads`}},
		},
		{
			name: "PARQUET, refused at upload",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"},
				"ReaderConfig": {"InputType": "PARQUET"}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/ReaderConfig/InputType", "UNSUPPORTED_FEATURE",
				`InputType PARQUET is not supported by sfn: convert the objects to JSON Lines or CSV, or list them (s3:listObjectsV2)`}},
		},
		{
			name: "listObjectsV2 with an InputType",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b"},
				"ReaderConfig": {"InputType": "JSON"}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/ReaderConfig/InputType", "INVALID_MAP",
				`InputType does not apply to arn:aws:states:::s3:listObjectsV2: each item is the description of one object (Key, Size, …)`}},
		},
		{
			name: "an unknown reader",
			def:  mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::dynamodb:scan"}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/Resource", "SCHEMA_VALIDATION_FAILED",
				`"Resource" must be one of "arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2", "arn:aws:states:::http:invoke", got "arn:aws:states:::dynamodb:scan"`}},
		},
		{
			name: "GIVEN without CSVHeaders",
			def:  mapDefinition(`"ItemReader": {`+readObject+`, "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN"}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/ReaderConfig", "INVALID_MAP", `CSVHeaderLocation GIVEN needs CSVHeaders: the names of the columns`}},
		},
		{
			name: "GIVEN with no headers",
			def:  mapDefinition(`"ItemReader": {`+readObject+`, "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": []}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/ReaderConfig/CSVHeaders", "INVALID_MAP", `CSVHeaders must name at least one column`}},
		},
		{
			name: "CSVHeaders with FIRST_ROW",
			def:  mapDefinition(`"ItemReader": {`+readObject+`, "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVHeaders": ["a"]}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/ReaderConfig/CSVHeaders", "INVALID_MAP",
				`CSVHeaders are read only with CSVHeaderLocation GIVEN; with FIRST_ROW the first row names the columns`}},
		},
		{
			name: "CSV settings on JSON",
			def:  mapDefinition(`"ItemReader": {`+readObject+`, "ReaderConfig": {"InputType": "JSON", "CSVDelimiter": "TAB", "CSVHeaderLocation": "FIRST_ROW"}}`, distributed, false),
			want: []problem{
				{"/States/M/ItemReader/ReaderConfig/CSVDelimiter", "INVALID_MAP", `CSVDelimiter applies to InputType CSV only`},
				{"/States/M/ItemReader/ReaderConfig/CSVHeaderLocation", "INVALID_MAP", `CSVHeaderLocation applies to InputType CSV only`},
			},
		},
		{
			name: "MaxItems and MaxItemsPath",
			def:  mapDefinition(`"ItemReader": {`+readObject+`, "ReaderConfig": {"InputType": "JSON", "MaxItems": 2, "MaxItemsPath": "$.max"}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/ReaderConfig/MaxItemsPath", "INVALID_MAP", `MaxItems and MaxItemsPath are mutually exclusive; keep one`}},
		},
		{
			name: "MaxItemsPath in a JSONata state",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": "b", "Key": "k"},
				"ReaderConfig": {"InputType": "JSON", "MaxItemsPath": "$.max"}}`, distributed, true),
			want: []problem{{"/States/M/ItemReader/ReaderConfig/MaxItemsPath", "INVALID_QUERY_LANGUAGE",
				`"MaxItemsPath" is a JSONPath field; a JSONata state gives MaxItems as a JSONata expression "{% … %}"`}},
		},
		{
			name: "Arguments in a JSONPath reader",
			def: mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Arguments": {"Bucket": "b", "Key": "k"},
				"ReaderConfig": {"InputType": "JSON"}}`, distributed, false),
			want: []problem{{"/States/M/ItemReader/Arguments", "INVALID_QUERY_LANGUAGE", `"Arguments" belongs to JSONata states; this state uses JSONPath (use Parameters)`}},
		},
		{
			name: "Parameters in a JSONata reader",
			def:  mapDefinition(`"ItemReader": {`+readObject+`, "ReaderConfig": {"InputType": "JSON"}}`, distributed, true),
			want: []problem{{"/States/M/ItemReader/Parameters", "INVALID_QUERY_LANGUAGE", `"Parameters" is a JSONPath field; a JSONata state uses Arguments`}},
		},
		{
			name: "JSONata reader Arguments neither object nor expression",
			def:  mapDefinition(`"ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Arguments": "bucket"}`, distributed, true),
			want: []problem{{"/States/M/ItemReader/Arguments", "INVALID_MAP", `Arguments must be an object or a JSONata expression "{% … %}" giving one, got string`}},
		},
		{
			name: "an empty ResultWriter",
			def:  mapDefinition(`"ResultWriter": {}`, distributed, false),
			want: []problem{{"/States/M/ResultWriter", "INVALID_MAP",
				`a ResultWriter needs a WriterConfig (to shape the results), a Resource with Parameters (to write them), or all three`}},
		},
		{
			name: "ResultWriter Resource without Parameters",
			def:  mapDefinition(`"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject"}`, distributed, false),
			want: []problem{{"/States/M/ResultWriter", "INVALID_MAP", `a ResultWriter with a Resource needs Parameters: the Bucket (and Prefix) to write the results to`}},
		},
		{
			name: "ResultWriter Arguments without Resource",
			def:  mapDefinition(`"ResultWriter": {"Arguments": {"Bucket": "b"}, "WriterConfig": {"OutputType": "JSONL"}}`, distributed, true),
			want: []problem{{"/States/M/ResultWriter", "INVALID_MAP", `a ResultWriter with Arguments needs a Resource: "arn:aws:states:::s3:putObject"`}},
		},
		{
			name: "ResultWriter without Bucket, with a key of its own",
			def:  mapDefinition(`"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Prefix": "p", "Key.$": "$.k"}}`, distributed, false),
			want: []problem{
				{"/States/M/ResultWriter/Parameters", "INVALID_MAP", `a ResultWriter needs a Bucket to write the results to`},
				{"/States/M/ResultWriter/Parameters/Key.$", "INVALID_MAP", `a ResultWriter writes to a Bucket, under an optional Prefix; "Key.$" is neither`},
			},
		},
		{
			name: "ResultWriter Arguments in a JSONPath state",
			def:  mapDefinition(`"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Arguments": {"Bucket": "b"}}`, distributed, false),
			want: []problem{{"/States/M/ResultWriter/Arguments", "INVALID_QUERY_LANGUAGE", `"Arguments" belongs to JSONata states; this state uses JSONPath (use Parameters)`}},
		},
		{
			name: "ResultWriter writing elsewhere",
			def:  mapDefinition(`"ResultWriter": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}}`, distributed, false),
			want: []problem{{"/States/M/ResultWriter/Resource", "SCHEMA_VALIDATION_FAILED",
				`"Resource" must be one of "arn:aws:states:::s3:putObject", got "arn:aws:states:::s3:getObject"; did you mean "arn:aws:states:::s3:putObject"?`}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def, ps := dsl.Load([]byte(tc.def), dsl.Options{Format: dsl.JSON})
			if def != nil {
				t.Fatal("Load accepted the definition")
			}
			var got []problem
			for _, p := range ps.Errors() {
				if p.Line == 0 || p.Column == 0 {
					t.Errorf("%s has no position", p)
				}
				got = append(got, problem{p.Path, p.Code, p.Message})
			}
			want := tc.want
			if len(want) == 1 && want[0].msg == "" && len(got) == 1 {
				want = []problem{{want[0].path, want[0].code, got[0].msg}} // the message is another package's
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(problem{})); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChildExecutionResources compiles every form of the startExecution
// integration, in both query languages, and refuses .sync with
// .waitForTaskToken.
func TestChildExecutionResources(t *testing.T) {
	t.Parallel()
	task := func(resource, extra string, jsonata bool) string {
		input := `"Parameters": {"StateMachineArn.$": "$$.StateMachine.Id", "Input": {"role": "child"}}`
		top := ""
		if jsonata {
			input = `"Arguments": {"StateMachineArn": "{% $states.context.StateMachine.Id %}", "Input": {"role": "child"}}`
			top = `"QueryLanguage": "JSONata", `
		}
		return `{` + top + `"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "` + resource + `", ` + input + extra + `, "End": true}}}`
	}
	for _, tc := range []struct {
		name, resource, extra string
		sync                  int
		token                 bool
	}{
		{"request-response", "arn:aws:states:::states:startExecution", "", 0, false},
		{"run a job", "arn:aws:states:::states:startExecution.sync", `, "TimeoutSeconds": 60`, 1, false},
		{"run a job, JSON output", "arn:aws:states:::states:startExecution.sync:2", "", 2, false},
		{"callback", "arn:aws:states:::states:startExecution.waitForTaskToken", `, "TimeoutSeconds": 60, "HeartbeatSeconds": 10`, 0, true},
	} {
		for _, jsonata := range []bool{false, true} {
			name := tc.name
			if jsonata {
				name += " (JSONata)"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				def, ps := dsl.Load([]byte(task(tc.resource, tc.extra, jsonata)), dsl.Options{Format: dsl.JSON})
				if ps.HasErrors() {
					t.Fatal(ps.Error())
				}
				spec := def.States["T"].Task
				want := dsl.TaskSpec{Resource: tc.resource, Kind: dsl.ExecutionTask, Name: "startExecution", WaitForToken: tc.token, Sync: tc.sync}
				if diff := cmp.Diff(want, *spec); diff != "" {
					t.Errorf("TaskSpec (-want +got):\n%s", diff)
				}
				if len(def.Activities) != 0 {
					t.Errorf("Activities = %q, want none", def.Activities)
				}
			})
		}
	}
	for _, resource := range []string{"arn:aws:states:::states:startExecution.sync.waitForTaskToken", "arn:aws:states:::states:startExecution.sync:2.waitForTaskToken"} {
		t.Run(resource, func(t *testing.T) {
			t.Parallel()
			_, ps := dsl.Load([]byte(task(resource, "", false)), dsl.Options{Format: dsl.JSON})
			errs := ps.Errors()
			pattern := strings.TrimSuffix(strings.TrimPrefix(resource, "arn:aws:states:::states:startExecution"), ".waitForTaskToken")
			want := fmt.Sprintf(`Resource %q asks for two integration patterns: %q waits for the child execution to end, ".waitForTaskToken" for a callback with the task token; keep one`, resource, pattern)
			if len(errs) != 1 || errs[0].Path != "/States/T/Resource" || errs[0].Code != dsl.CodeInvalidResource || errs[0].Message != want {
				t.Errorf("problems %v\nwant one INVALID_RESOURCE at /States/T/Resource: %s", errs, want)
			}
		})
	}
}

// TestNextConformanceDefinitions loads the definitions of the shared
// suite's cases for child executions and distributed Maps (cases-next):
// AWS accepted every one, but those it refused (REJECTED).
func TestNextConformanceDefinitions(t *testing.T) {
	t.Parallel()
	files := append(testenv.SharedFiles(t, "conformance/cases-next/children-*.json"),
		testenv.SharedFiles(t, "conformance/cases-next/distmap-*.json")...)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cases []struct {
			Name       string          `json:"name"`
			Definition json.RawMessage `json:"definition"`
			Expect     struct {
				Status string `json:"status"`
			} `json:"expect"`
		}
		if err := json.Unmarshal(data, &cases); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range cases {
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				_, ps := dsl.Load(c.Definition, dsl.Options{Format: dsl.JSON})
				switch rejected := c.Expect.Status == "REJECTED"; {
				case rejected && !ps.HasErrors():
					t.Error("accepted a definition AWS refuses")
				case !rejected && ps.HasErrors():
					t.Errorf("refused a definition AWS accepts:\n%s", ps.Error())
				}
			})
		}
	}
}
