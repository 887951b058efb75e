package dsl

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/jsonpath"
	"github.com/sfn-project/sfn/dsl/value"
)

// compiler turns a definition's value tree into a Definition, collecting
// problems instead of stopping at the first.
type compiler struct {
	problems []rawProblem
	// schemaBad holds the pointers the schema already complained about, so
	// that a type mistake is reported once, by the schema, not again here.
	schemaBad map[string]bool
	def       *Definition
	activity  map[string]bool
	// topJSONata: the definition's QueryLanguage is JSONata, the default
	// of its states; jsonata: the state being compiled is a JSONata state.
	topJSONata bool
	jsonata    bool
}

// rawProblem is a problem before its position in the source is known.
type rawProblem struct {
	ptr      string
	onKey    bool
	code     string
	severity Severity
	msg      string
	// offset, when positive, is where in the string value the problem is
	// (characters from its start): inside a JSONata expression.
	offset int
}

func (c *compiler) errorf(ptr, code, format string, args ...any) {
	c.problems = append(c.problems, rawProblem{ptr: ptr, code: code, severity: SeverityError, msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) keyErrorf(ptr, code, format string, args ...any) {
	c.problems = append(c.problems, rawProblem{ptr: ptr, onKey: true, code: code, severity: SeverityError, msg: fmt.Sprintf(format, args...)})
}

// notPortable notes an sfn extension, which AWS Step Functions would
// refuse (sfn validate --portable makes it an error).
func (c *compiler) notPortable(ptr, format string, args ...any) {
	c.problems = append(c.problems, rawProblem{ptr: ptr, onKey: true, code: CodeNotPortable, severity: SeverityInfo,
		msg: fmt.Sprintf(format, args...) + " (not portable to AWS)"})
}

// typeErrorf reports a wrong type unless the schema already did.
func (c *compiler) typeErrorf(ptr, format string, args ...any) {
	// The member or an ancestor below the root: a schema problem at the
	// root (a missing StartAt, say) must not hide a type mistake elsewhere.
	for p := ptr; p != ""; {
		if c.schemaBad[p] {
			return
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	c.errorf(ptr, CodeSchema, format, args...)
}

// fields gives typed access to an object's members for one state or rule.
type fields struct {
	c   *compiler
	obj *value.Object
	ptr string
}

func (f fields) ptrOf(k string) string { return f.ptr + "/" + escapePointer(k) }

func (f fields) has(k string) bool { return f.obj.Has(k) }

func (f fields) raw(k string) (value.Value, bool) { return f.obj.Get(k) }

func (f fields) str(k string) (string, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		f.c.typeErrorf(f.ptrOf(k), "%q must be a string, got %s", k, value.TypeName(v))
		return "", false
	}
	return s, true
}

func (f fields) boolean(k string) (bool, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		f.c.typeErrorf(f.ptrOf(k), "%q must be true or false, got %s", k, value.TypeName(v))
		return false, false
	}
	return b, true
}

func (f fields) integer(k string) (int64, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return 0, false
	}
	n, ok := v.(value.Number)
	if ok {
		if i, ok := n.Int64(); ok {
			return i, true
		}
	}
	f.c.typeErrorf(f.ptrOf(k), "%q must be an integer, got %s", k, value.MarshalString(v))
	return 0, false
}

// seconds reads a number of seconds (Wait's Seconds, a timeout). An integer
// too large for int64 is left to the validator, which reports it as over
// MaxSeconds rather than as "not an integer".
func (f fields) seconds(k string) (int64, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return 0, false
	}
	if n, isNum := v.(value.Number); isNum && n.IsInteger() {
		if _, fits := n.Int64(); !fits {
			return 0, false
		}
	}
	return f.integer(k)
}

func (f fields) number(k string) (float64, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return 0, false
	}
	n, ok := v.(value.Number)
	if !ok {
		f.c.typeErrorf(f.ptrOf(k), "%q must be a number, got %s", k, value.TypeName(v))
		return 0, false
	}
	return n.Float64(), true
}

// path compiles a path field (InputPath, ItemsPath, SecondsPath …).
func (f fields) path(k string) *Path {
	s, ok := f.str(k)
	if !ok {
		return nil
	}
	p, err := compilePath(s)
	if err != nil {
		if !f.c.schemaBad[f.ptrOf(k)] {
			f.c.errorf(f.ptrOf(k), CodeInvalidPath, "%s: %v", k, err)
		}
		return nil
	}
	return p
}

// nullablePath compiles InputPath/OutputPath: absent is "$", null discards.
func (f fields) nullablePath(k string) (*Path, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	return f.path(k), false
}

// resultPath compiles a ResultPath: a reference path, or null.
func (f fields) resultPath(k string) (*jsonpath.Path, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	s, ok := f.str(k)
	if !ok {
		return nil, false
	}
	if !strings.HasPrefix(s, "$") || strings.HasPrefix(s, "$$") {
		f.c.errorf(f.ptrOf(k), CodeInvalidPath, "%s %q must be a reference path into the state's data, starting with \"$\"", k, s)
		return nil, false
	}
	p, err := jsonpath.Parse(s)
	if err != nil {
		f.c.errorf(f.ptrOf(k), CodeInvalidPath, "%s: %v", k, err)
		return nil, false
	}
	if !p.IsReference() {
		f.c.errorf(f.ptrOf(k), CodeInvalidPath, "%s %q must be a reference path (names and indexes only: no wildcards, filters, slices or negative indexes)", k, s)
		return nil, false
	}
	return p, false
}

// referencePath compiles a field that must be a reference path (ItemsPath):
// names and indexes only, over the state's data or the context object.
func (f fields) referencePath(k string) *Path {
	p := f.path(k)
	if p != nil && !p.IsReference() {
		f.c.errorf(f.ptrOf(k), CodeInvalidPath, "%s %q must be a reference path (names and indexes only: no wildcards, filters, slices or negative indexes)", k, p.String())
		return nil
	}
	return p
}

func (f fields) template(k string) *Template {
	v, ok := f.obj.Get(k)
	if !ok {
		return nil
	}
	return compileTemplate(v, f.ptrOf(k), func(ptr string, err error) {
		var dup *DuplicateFieldError
		if errors.As(err, &dup) {
			f.c.keyErrorf(ptr, CodeSchema, "%s: %v", k, err)
			return
		}
		code := CodeInvalidPath
		if strings.Contains(err.Error(), "States.") {
			code = CodeInvalidIntrinsic
		}
		f.c.errorf(ptr, code, "%v", err)
	})
}

func (f fields) expr(k string) *Expr {
	s, ok := f.str(k)
	if !ok {
		return nil
	}
	e, err := compileExpr(s)
	if err != nil {
		code := CodeInvalidPath
		if e == nil && strings.HasPrefix(s, "States.") {
			code = CodeInvalidIntrinsic
		}
		f.c.errorf(f.ptrOf(k), code, "%s: %v", k, err)
		return nil
	}
	return e
}

func (f fields) object(k string) (*value.Object, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return nil, false
	}
	o, ok := v.(*value.Object)
	if !ok {
		f.c.typeErrorf(f.ptrOf(k), "%q must be an object, got %s", k, value.TypeName(v))
		return nil, false
	}
	return o, true
}

// objects calls each for every element of the array k, as the fields of
// that element; an element that is not an object is a type error, with
// notObject as its message, and is skipped.
func (f fields) objects(k, notObject string, each func(fields)) {
	list, _ := f.array(k)
	for i, e := range list {
		ptr := fmt.Sprintf("%s/%d", f.ptrOf(k), i)
		o, ok := e.(*value.Object)
		if !ok {
			f.c.typeErrorf(ptr, "%s", notObject)
			continue
		}
		each(fields{c: f.c, obj: o, ptr: ptr})
	}
}

func (f fields) array(k string) ([]any, bool) {
	v, ok := f.obj.Get(k)
	if !ok {
		return nil, false
	}
	a, ok := v.([]any)
	if !ok {
		f.c.typeErrorf(f.ptrOf(k), "%q must be an array, got %s", k, value.TypeName(v))
		return nil, false
	}
	return a, true
}

// compileMachine compiles a scope: the top level, a branch or a processor.
func (c *compiler) compileMachine(obj *value.Object, ptr string) *Machine {
	f := fields{c: c, obj: obj, ptr: ptr}
	m := &Machine{Pointer: ptr, States: map[string]*State{}}
	m.StartAt, _ = f.str("StartAt")
	states, ok := f.object("States")
	if !ok {
		return m
	}
	for _, mem := range states.Members() {
		sptr := f.ptrOf("States") + "/" + escapePointer(mem.Key)
		so, ok := mem.Value.(*value.Object)
		if !ok {
			c.typeErrorf(sptr, "state %q must be an object, got %s", mem.Key, value.TypeName(mem.Value))
			continue
		}
		s := c.compileState(mem.Key, so, sptr)
		m.States[mem.Key] = s
		m.Names = append(m.Names, mem.Key)
	}
	return m
}

func (c *compiler) compileState(name string, obj *value.Object, ptr string) *State {
	f := fields{c: c, obj: obj, ptr: ptr}
	s := &State{Name: name, Pointer: ptr, UsesContext: mentionsContext(obj)}
	typ, _ := f.str("Type")
	s.Kind = Kind(typ)
	s.Comment, _ = f.str("Comment")
	s.Next, _ = f.str("Next")
	s.End, _ = f.boolean("End")
	s.JSONata = c.stateLanguage(f)
	prev := c.jsonata
	c.jsonata = s.JSONata
	defer func() { c.jsonata = prev }()
	if s.JSONata {
		c.compileQueryState(f, s)
		return s
	}
	s.InputPath, s.InputPathNull = f.nullablePath("InputPath")
	s.OutputPath, s.OutputPathNull = f.nullablePath("OutputPath")
	s.ResultPath, s.ResultPathNull = f.resultPath("ResultPath")
	s.ResultSelector = f.template("ResultSelector")
	c.compileStateAssign(f, s)
	for _, k := range []string{"Output", "Arguments", "Items"} {
		if f.has(k) {
			c.keyErrorf(f.ptrOf(k), CodeInvalidQueryLanguage, "%q belongs to JSONata states; this state uses JSONPath (set \"QueryLanguage\": \"JSONata\" on the state or the definition, or use %s)", k, jsonPathEquivalent[k])
		}
	}

	switch s.Kind {
	case Pass:
		s.Parameters = f.template("Parameters")
		s.Result, s.HasResult = f.raw("Result")
	case Task:
		s.Parameters = f.template("Parameters")
		s.Task = c.compileResource(f)
		s.TimeoutSeconds, _ = f.seconds("TimeoutSeconds")
		s.TimeoutSecondsPath = f.path("TimeoutSecondsPath")
		s.HeartbeatSeconds, _ = f.seconds("HeartbeatSeconds")
		s.HeartbeatSecondsPath = f.path("HeartbeatSecondsPath")
		c.compileErrorHandling(f, s)
	case Choice:
		s.Default, _ = f.str("Default")
		if rules, ok := f.array("Choices"); ok {
			for i, r := range rules {
				s.Choices = append(s.Choices, c.compileChoiceRule(r, fmt.Sprintf("%s/%d", f.ptrOf("Choices"), i), true))
			}
		}
	case Wait:
		if f.has("Seconds") {
			if n, ok := f.seconds("Seconds"); ok {
				s.Seconds = &n
			}
		}
		s.SecondsPath = f.path("SecondsPath")
		if ts, ok := f.str("Timestamp"); ok {
			t, ok := ParseTimestamp(ts)
			switch {
			case !ok:
				c.errorf(f.ptrOf("Timestamp"), CodeInvalidTimestamp, "Timestamp %q is not an ISO-8601 extended offset date-time such as 2026-11-27T12:00:00Z (a time zone or Z is required)", ts)
			case t.After(MaxTime):
				c.errorf(f.ptrOf("Timestamp"), CodeInvalidTimestamp, "Timestamp %q is after %s, the latest time sfn can represent", ts, MaxTime.Format(time.RFC3339Nano))
			default:
				s.Timestamp = &t
			}
		}
		s.TimestampPath = f.path("TimestampPath")
	case Succeed:
	case Fail:
		s.Error, _ = f.str("Error")
		s.Cause, _ = f.str("Cause")
		s.ErrorExpr = f.expr("ErrorPath")
		s.CauseExpr = f.expr("CausePath")
	case Parallel:
		s.Parameters = f.template("Parameters")
		f.objects("Branches", "a branch must be an object with StartAt and States", func(bf fields) {
			s.Branches = append(s.Branches, c.compileMachine(bf.obj, bf.ptr))
		})
		c.compileErrorHandling(f, s)
	case Map:
		c.compileMap(f, s)
		c.compileErrorHandling(f, s)
	}
	return s
}

func (c *compiler) compileMap(f fields, s *State) {
	s.ItemsPath = f.referencePath("ItemsPath")
	if f.has("ItemSelector") {
		s.Parameters = f.template("ItemSelector")
		if f.has("Parameters") {
			c.keyErrorf(f.ptrOf("Parameters"), CodeInvalidMap, "use either ItemSelector or the legacy Parameters, not both")
		}
	} else {
		s.Parameters = f.template("Parameters")
	}
	c.compileMapProcessor(f, s)
	s.MaxConcurrency, _ = f.integer("MaxConcurrency")
	s.MaxConcurrencyPath = f.path("MaxConcurrencyPath")
	s.ToleratedFailurePercentage, s.HasToleratedFailurePercentage = f.number("ToleratedFailurePercentage")
	c.checkToleratedPercentage(f, s)
	s.ToleratedFailurePercentagePath = f.path("ToleratedFailurePercentagePath")
	s.ToleratedFailureCount, s.HasToleratedFailureCount = f.integer("ToleratedFailureCount")
	c.checkToleratedCount(f, s)
	s.ToleratedFailureCountPath = f.path("ToleratedFailureCountPath")
	if s.Distributed == nil {
		for _, k := range []string{"ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath"} {
			if f.has(k) {
				c.notPortable(f.ptrOf(k), "%s on an inline Map is an sfn extension; AWS allows it on distributed Maps only", k)
			}
		}
	}
}

// compileStateAssign compiles the state's Assign, which only Pass, Task,
// Choice, Wait, Parallel and Map states may have.
func (c *compiler) compileStateAssign(f fields, s *State) {
	if !f.has("Assign") {
		return
	}
	switch s.Kind {
	case Pass, Task, Choice, Wait, Parallel, Map:
		s.Assign = c.compileAssign(f)
	default:
		if c.schemaBad[f.ptrOf("Assign")] {
			return // the schema said so
		}
		c.keyErrorf(f.ptrOf("Assign"), CodeSchema, "a %s state cannot assign variables: Assign belongs to Pass, Task, Choice, Wait, Parallel and Map states", s.Kind)
	}
}

// checkToleratedPercentage refuses a literal ToleratedFailurePercentage
// outside 0…100.
func (c *compiler) checkToleratedPercentage(f fields, s *State) {
	if s.HasToleratedFailurePercentage && (s.ToleratedFailurePercentage < 0 || s.ToleratedFailurePercentage > 100) {
		c.errorf(f.ptrOf("ToleratedFailurePercentage"), CodeInvalidMap, "ToleratedFailurePercentage must be between 0 and 100")
	}
}

// checkToleratedCount refuses a negative literal ToleratedFailureCount.
func (c *compiler) checkToleratedCount(f fields, s *State) {
	if s.HasToleratedFailureCount && s.ToleratedFailureCount < 0 {
		c.errorf(f.ptrOf("ToleratedFailureCount"), CodeInvalidMap, "ToleratedFailureCount must be 0 or more")
	}
}

// compileMapProcessor compiles a Map's ItemProcessor (or legacy Iterator)
// and, in distributed mode, what a distributed Map adds; an inline Map may
// have none of that.
func (c *compiler) compileMapProcessor(f fields, s *State) {
	procKey := "ItemProcessor"
	if !f.has(procKey) && f.has("Iterator") {
		procKey = "Iterator"
	} else if f.has(procKey) && f.has("Iterator") {
		c.keyErrorf(f.ptrOf("Iterator"), CodeInvalidMap, "use either ItemProcessor or the legacy Iterator, not both")
	}
	var cf *fields // the ProcessorConfig
	if po, ok := f.object(procKey); ok {
		s.Processor = c.compileMachine(po, f.ptrOf(procKey))
		pf := fields{c: c, obj: po, ptr: f.ptrOf(procKey)}
		if cfg, ok := pf.object("ProcessorConfig"); ok {
			cf = &fields{c: c, obj: cfg, ptr: pf.ptrOf("ProcessorConfig")}
		}
	} else if !f.has(procKey) {
		c.errorf(f.ptr, CodeInvalidMap, "a Map state needs an ItemProcessor (or the legacy Iterator) with StartAt and States")
	}
	if cf != nil {
		if mode, _ := cf.str("Mode"); mode == "DISTRIBUTED" {
			s.Distributed = c.compileDistributed(f, *cf)
			return
		}
		if cf.has("ExecutionType") {
			c.keyErrorf(cf.ptrOf("ExecutionType"), CodeInvalidMap, "ExecutionType belongs to a distributed Map (ProcessorConfig.Mode DISTRIBUTED), as the type of its child executions; this Map is inline and runs its iterations inside the execution")
		}
	}
	for _, k := range distributedFields {
		if f.has(k) {
			c.keyErrorf(f.ptrOf(k), CodeInvalidMap, "%s belongs to a distributed Map (ProcessorConfig.Mode DISTRIBUTED); this Map is inline", k)
		}
	}
}

// distributedFields are the Map fields only a distributed Map may have.
var distributedFields = []string{"Label", "ItemReader", "ItemBatcher", "ResultWriter"}

// compileDistributed compiles what a distributed Map adds to a Map: its
// ProcessorConfig's ExecutionType (cf), Label, ItemBatcher, ItemReader and
// ResultWriter.
func (c *compiler) compileDistributed(f, cf fields) *DistributedMap {
	d := &DistributedMap{}
	if et, ok := cf.str("ExecutionType"); ok {
		d.ExecutionType = et // the schema holds it to STANDARD or EXPRESS
	} else if !cf.has("ExecutionType") {
		c.errorf(cf.ptr, CodeInvalidMap, "a distributed Map needs ProcessorConfig.ExecutionType: STANDARD or EXPRESS, the type of its child executions")
	}
	if label, ok := f.str("Label"); ok {
		if why := labelProblem(label); why != "" {
			c.errorf(f.ptrOf("Label"), CodeInvalidMap, "Label %q %s", label, why)
		}
		d.Label = label
	}
	if o, ok := f.object("ItemBatcher"); ok {
		d.Batcher = c.compileBatcher(fields{c: c, obj: o, ptr: f.ptrOf("ItemBatcher")})
	}
	if o, ok := f.object("ItemReader"); ok {
		d.Reader = c.compileReader(fields{c: c, obj: o, ptr: f.ptrOf("ItemReader")})
	}
	if o, ok := f.object("ResultWriter"); ok {
		d.Writer = c.compileWriter(fields{c: c, obj: o, ptr: f.ptrOf("ResultWriter")})
	}
	return d
}

// maxLabel is AWS's limit on a distributed Map's Label, in characters.
const maxLabel = 40

// labelProblem says what is wrong with a distributed Map's Label, "" when
// nothing is. AWS's rules: 1 to 40 characters, none of them whitespace,
// brackets, wildcards, the special characters " # % \ ^ | ~ ` $ & , ; : /
// or a control character (U+0000-001F, U+007F-009F).
func labelProblem(label string) string {
	n := utf8.RuneCountInString(label)
	switch {
	case n == 0:
		return "is empty: a Label names the Map Run and its child executions, in 1 to 40 characters"
	case n > maxLabel:
		return fmt.Sprintf("is %d characters long; the limit is %d", n, maxLabel)
	}
	for _, r := range label {
		var what string
		switch {
		case r <= 0x1f || r >= 0x7f && r <= 0x9f:
			what = fmt.Sprintf("the control character U+%04X", r)
		case unicode.IsSpace(r):
			what = fmt.Sprintf("whitespace (U+%04X)", r)
		case strings.ContainsRune(labelForbidden, r):
			what = fmt.Sprintf("%q", r)
		default:
			continue
		}
		return "contains " + what + ", which a Label may not: no whitespace, brackets < > { } [ ], wildcards ? *, special characters \" # % \\ ^ | ~ ` $ & , ; : / or control characters"
	}
	return ""
}

// labelForbidden are the printable characters a Label may not contain.
const labelForbidden = "<>{}[]?*\"#%\\^|~`$&,;:/"

// maxBatchBytes is the most MaxInputBytesPerBatch may be: 256 KiB, the
// most an execution's input may hold (the schema has the same bound).
const maxBatchBytes = 262144

// compileBatcher compiles a distributed Map's ItemBatcher (f). The
// literal bounds' ranges are the schema's to check.
func (c *compiler) compileBatcher(f fields) *ItemBatcher {
	b := &ItemBatcher{}
	b.MaxItems, b.MaxItemsPath, b.MaxItemsQuery = c.bound(f, "MaxItemsPerBatch")
	b.MaxBytes, b.MaxBytesPath, b.MaxBytesQuery = c.bound(f, "MaxInputBytesPerBatch")
	if !f.has("MaxItemsPerBatch") && !f.has("MaxItemsPerBatchPath") && !f.has("MaxInputBytesPerBatch") && !f.has("MaxInputBytesPerBatchPath") {
		c.errorf(f.ptr, CodeInvalidMap, "an ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (in a JSONPath state also MaxItemsPerBatchPath or MaxInputBytesPerBatchPath): the most items, or bytes, a batch holds")
	}
	if c.jsonata {
		b.BatchInputQuery = f.queryTemplate("BatchInput")
	} else {
		b.BatchInput = f.template("BatchInput")
	}
	return b
}

// bound compiles an integer field k of a distributed Map's object f that
// may instead be read from the input: as k+"Path" in a JSONPath state, as
// a "{% … %}" expression in a JSONata one. Giving both k and k+"Path" is
// refused.
func (c *compiler) bound(f fields, k string) (int64, *Path, *QueryTemplate) {
	pathKey := k + "Path"
	if c.jsonata {
		if f.has(pathKey) {
			c.keyErrorf(f.ptrOf(pathKey), CodeInvalidQueryLanguage, "%q is a JSONPath field; a JSONata state gives %s as a JSONata expression \"{%% … %%}\"", pathKey, k)
		}
		if v, _ := f.raw(k); isQueryString(v) {
			return 0, nil, f.queryTemplate(k)
		}
		n, _ := f.integer(k)
		return n, nil, nil
	}
	if f.has(k) && f.has(pathKey) && !c.schemaBad[f.ptrOf(pathKey)] {
		c.keyErrorf(f.ptrOf(pathKey), CodeInvalidMap, "%s and %s are mutually exclusive; keep one", k, pathKey)
	}
	n, _ := f.integer(k)
	return n, f.path(pathKey), nil
}

// The ItemReader and ResultWriter resources.
const (
	readS3Object  = "arn:aws:states:::s3:getObject"
	listS3Objects = "arn:aws:states:::s3:listObjectsV2"
	readHTTP      = "arn:aws:states:::http:invoke"
	writeS3Object = "arn:aws:states:::s3:putObject"
)

// compileReader compiles a distributed Map's ItemReader (f). Resource and
// the ReaderConfig's names (InputType …) are the schema's to check; the
// rules between fields are checked here.
func (c *compiler) compileReader(f fields) *ItemReader {
	r := &ItemReader{}
	r.Resource, _ = f.str("Resource")
	r.Parameters, r.Arguments = c.taskInput(f)
	cfg := fields{c: c, obj: value.NewObject(0), ptr: f.ptrOf("ReaderConfig")}
	if o, ok := f.object("ReaderConfig"); ok {
		cfg.obj = o
	}
	r.InputType, _ = cfg.str("InputType")
	if r.Resource == readHTTP {
		c.notPortable(f.ptrOf("Resource"), "an ItemReader reading items over HTTP is an sfn extension")
	}
	switch {
	case r.Resource == listS3Objects && cfg.has("InputType"):
		c.keyErrorf(cfg.ptrOf("InputType"), CodeInvalidMap, "InputType does not apply to %s: each item is the description of one object (Key, Size, …)", listS3Objects)
	case (r.Resource == readS3Object || r.Resource == readHTTP) && !cfg.has("InputType"):
		at := f.ptr // the ItemReader, or its ReaderConfig when there is one
		if f.has("ReaderConfig") {
			at = cfg.ptr
		}
		c.errorf(at, CodeInvalidMap, "an ItemReader with %s needs ReaderConfig.InputType: JSON, JSONL, CSV, MANIFEST or PARQUET, the format of what it reads", r.Resource)
	case r.InputType == "PARQUET":
		// Refused here rather than when the Map runs (issue 17: "implemented
		// or refused at upload").
		c.keyErrorf(cfg.ptrOf("InputType"), CodeUnsupported, "InputType PARQUET is not supported by sfn: convert the objects to JSON Lines or CSV, or list them (s3:listObjectsV2)")
	}
	if r.InputType == "CSV" {
		r.CSVHeaderLocation, r.CSVDelimiter = "FIRST_ROW", "COMMA"
		if loc, ok := cfg.str("CSVHeaderLocation"); ok {
			r.CSVHeaderLocation = loc
		}
		if d, ok := cfg.str("CSVDelimiter"); ok {
			r.CSVDelimiter = d
		}
		r.CSVHeaders = c.csvHeaders(cfg)
		switch {
		case r.CSVHeaderLocation == "GIVEN" && !cfg.has("CSVHeaders"):
			c.errorf(cfg.ptr, CodeInvalidMap, "CSVHeaderLocation GIVEN needs CSVHeaders: the names of the columns")
		case r.CSVHeaderLocation == "GIVEN" && len(r.CSVHeaders) == 0 && !c.schemaBad[cfg.ptrOf("CSVHeaders")]:
			c.errorf(cfg.ptrOf("CSVHeaders"), CodeInvalidMap, "CSVHeaders must name at least one column")
		case r.CSVHeaderLocation != "GIVEN" && cfg.has("CSVHeaders"):
			c.keyErrorf(cfg.ptrOf("CSVHeaders"), CodeInvalidMap, "CSVHeaders are read only with CSVHeaderLocation GIVEN; with FIRST_ROW the first row names the columns")
		}
	} else {
		for _, k := range []string{"CSVHeaderLocation", "CSVHeaders", "CSVDelimiter"} {
			if cfg.has(k) {
				c.keyErrorf(cfg.ptrOf(k), CodeInvalidMap, "%s applies to InputType CSV only", k)
			}
		}
	}
	r.MaxItems, r.MaxItemsPath, r.MaxItemsQuery = c.bound(cfg, "MaxItems")
	return r
}

// csvHeaders reads ReaderConfig.CSVHeaders, an array of strings.
func (c *compiler) csvHeaders(cfg fields) []string {
	list, _ := cfg.array("CSVHeaders")
	out := make([]string, 0, len(list))
	for i, e := range list {
		h, ok := e.(string)
		if !ok {
			c.typeErrorf(fmt.Sprintf("%s/%d", cfg.ptrOf("CSVHeaders"), i), "a CSV header is a string, got %s", value.TypeName(e))
			continue
		}
		out = append(out, h)
	}
	return out
}

// compileWriter compiles a distributed Map's ResultWriter (f): WriterConfig
// alone shapes the results without writing them; Resource with Parameters
// (or Arguments) writes them, as they are or shaped by a WriterConfig.
func (c *compiler) compileWriter(f fields) *ResultWriter {
	w := &ResultWriter{OutputType: "JSON", Transformation: "NONE"}
	w.Resource, _ = f.str("Resource")
	w.Parameters, w.Arguments = c.taskInput(f)
	input := "Parameters"
	if c.jsonata {
		input = "Arguments"
	}
	// Either name counts as given: the wrong one is already reported.
	given := f.has("Parameters") || f.has("Arguments")
	switch {
	case f.has("Resource") && !given:
		c.errorf(f.ptr, CodeInvalidMap, "a ResultWriter with a Resource needs %s: the Bucket (and Prefix) to write the results to", input)
	case !f.has("Resource") && given:
		c.errorf(f.ptr, CodeInvalidMap, "a ResultWriter with %s needs a Resource: %q", input, writeS3Object)
	case !f.has("Resource") && !f.has("WriterConfig"):
		c.errorf(f.ptr, CodeInvalidMap, "a ResultWriter needs a WriterConfig (to shape the results), a Resource with %s (to write them), or all three", input)
	}
	if o, ok := getObject(f.obj, input); ok {
		c.writerBucket(f.ptrOf(input), o)
	}
	if o, ok := f.object("WriterConfig"); ok {
		cfg := fields{c: c, obj: o, ptr: f.ptrOf("WriterConfig")}
		if t, ok := cfg.str("OutputType"); ok {
			w.OutputType = t
		}
		if t, ok := cfg.str("Transformation"); ok {
			w.Transformation = t
		}
	}
	return w
}

// writerBucket checks the keys of a ResultWriter's Parameters or Arguments
// object o (at ptr): Bucket, and optionally Prefix (in Parameters also as
// "Bucket.$" and "Prefix.$").
func (c *compiler) writerBucket(ptr string, o *value.Object) {
	hasBucket := false
	for _, key := range o.Keys() {
		k := key
		if !c.jsonata {
			k = strings.TrimSuffix(key, ".$")
		}
		switch k {
		case "Bucket":
			hasBucket = true
		case "Prefix":
		default:
			c.keyErrorf(ptr+"/"+escapePointer(key), CodeInvalidMap, "a ResultWriter writes to a Bucket, under an optional Prefix; %q is neither", key)
		}
	}
	if !hasBucket {
		c.errorf(ptr, CodeInvalidMap, "a ResultWriter needs a Bucket to write the results to")
	}
}

// taskInput compiles what an ItemReader or ResultWriter (f) passes to its
// resource: Parameters, a payload template, in a JSONPath state; Arguments,
// an object or an expression giving one, in a JSONata state.
func (c *compiler) taskInput(f fields) (*Template, *QueryTemplate) {
	if !c.jsonata {
		if f.has("Arguments") {
			c.keyErrorf(f.ptrOf("Arguments"), CodeInvalidQueryLanguage, "\"Arguments\" belongs to JSONata states; this state uses JSONPath (use Parameters)")
		}
		return f.template("Parameters"), nil
	}
	if f.has("Parameters") {
		c.keyErrorf(f.ptrOf("Parameters"), CodeInvalidQueryLanguage, "\"Parameters\" is a JSONPath field; a JSONata state uses Arguments")
	}
	t := f.queryTemplate("Arguments")
	if t != nil {
		if v, ok := t.Static(); ok {
			if _, isObj := v.(*value.Object); !isObj {
				c.errorf(f.ptrOf("Arguments"), CodeInvalidMap, "Arguments must be an object or a JSONata expression \"{%% … %%}\" giving one, got %s", value.TypeName(v))
			}
		}
	}
	return nil, t
}

func (c *compiler) compileErrorHandling(f fields, s *State) {
	f.objects("Retry", "a retrier must be an object", func(rf fields) {
		rt := &Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2}
		rt.ErrorEquals = c.errorEquals(rf)
		if v, ok := rf.integer("IntervalSeconds"); ok {
			rt.IntervalSeconds = v
		}
		if v, ok := rf.integer("MaxAttempts"); ok {
			rt.MaxAttempts = v
		}
		if v, ok := rf.number("BackoffRate"); ok {
			rt.BackoffRate = v
		}
		if v, ok := rf.integer("MaxDelaySeconds"); ok {
			rt.MaxDelaySeconds = v
		}
		if v, ok := rf.integer("MaxElapsedSeconds"); ok {
			rt.MaxElapsedSeconds = v
			c.notPortable(rf.ptrOf("MaxElapsedSeconds"), "MaxElapsedSeconds, a retry budget in time, is an sfn extension")
		}
		if v, ok := rf.str("JitterStrategy"); ok {
			rt.JitterFull = v == "FULL"
		}
		s.Retry = append(s.Retry, rt)
	})
	f.objects("Catch", "a catcher must be an object", func(cf fields) {
		ct := &Catcher{}
		ct.ErrorEquals = c.errorEquals(cf)
		ct.Next, _ = cf.str("Next")
		switch {
		case c.jsonata && cf.has("ResultPath"):
			c.keyErrorf(cf.ptrOf("ResultPath"), CodeInvalidQueryLanguage, "\"ResultPath\" is a JSONPath field; a JSONata catcher uses Output, with $states.input and $states.errorOutput")
		case c.jsonata:
			ct.Output = cf.queryTemplate("Output")
		case cf.has("Output"):
			c.keyErrorf(cf.ptrOf("Output"), CodeInvalidQueryLanguage, "\"Output\" belongs to JSONata catchers; this state uses JSONPath (use ResultPath)")
		default:
			ct.ResultPath, ct.ResultPathNull = cf.resultPath("ResultPath")
		}
		if cf.has("Assign") {
			ct.Assign = c.compileAssign(cf)
		}
		s.Catch = append(s.Catch, ct)
	})
}

func (c *compiler) errorEquals(f fields) []string {
	list, ok := f.array("ErrorEquals")
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			c.typeErrorf(fmt.Sprintf("%s/%d", f.ptrOf("ErrorEquals"), i), "error names are strings")
			continue
		}
		out = append(out, s)
	}
	return out
}

// compileResource recognises the task resources sfn runs.
func (c *compiler) compileResource(f fields) *TaskSpec {
	res, ok := f.str("Resource")
	if !ok {
		return nil
	}
	spec, err := ParseResource(res)
	if err != nil {
		c.errorf(f.ptrOf("Resource"), CodeInvalidResource, "%v", err)
		return nil
	}
	switch base := strings.TrimSuffix(res, waitForTaskToken); {
	case spec.Kind == HandlerTask:
		c.notPortable(f.ptrOf("Resource"), "Resource %q: in-process handlers are an sfn extension", res)
	case base == "http:invoke":
		c.notPortable(f.ptrOf("Resource"), "Resource %q: the short form is an sfn extension; AWS needs \"arn:aws:states:::http:invoke\"", res)
	case spec.Kind == ActivityTask && strings.HasPrefix(res, "activity:"):
		c.notPortable(f.ptrOf("Resource"), "Resource %q: the short form is an sfn extension; AWS needs the activity's ARN", res)
	}
	if spec.Kind == ActivityTask && !c.activity[spec.Name] {
		c.activity[spec.Name] = true
		c.def.Activities = append(c.def.Activities, spec.Name)
	}
	return spec
}

const waitForTaskToken = ".waitForTaskToken"

// startExecution is the service integration that starts a child execution
// (nested workflows): request-response, .sync, .sync:2, .waitForTaskToken.
const startExecution = "arn:aws:states:::states:startExecution"

// ParseResource parses a Task's Resource: http:invoke (or
// arn:aws:states:::http:invoke), optionally with .waitForTaskToken; an
// activity ARN or activity:<name>; handler:<name>.
func ParseResource(res string) (*TaskSpec, error) {
	spec := &TaskSpec{Resource: res}
	r := res
	if strings.HasSuffix(r, waitForTaskToken) {
		spec.WaitForToken = true
		r = strings.TrimSuffix(r, waitForTaskToken)
	}
	switch {
	case r == "http:invoke" || r == "arn:aws:states:::http:invoke":
		spec.Kind, spec.Name = HTTPTask, "invoke"
		return spec, nil
	case r == startExecution:
		spec.Kind, spec.Name = ExecutionTask, "startExecution"
		return spec, nil
	case (r == startExecution+".sync" || r == startExecution+".sync:2") && spec.WaitForToken:
		return nil, fmt.Errorf("Resource %q asks for two integration patterns: %q waits for the child execution to end, %q for a callback with the task token; keep one", res, strings.TrimPrefix(r, startExecution), waitForTaskToken)
	case r == startExecution+".sync" || r == startExecution+".sync:2":
		spec.Kind, spec.Name, spec.Sync = ExecutionTask, "startExecution", 1
		if strings.HasSuffix(r, ":2") {
			spec.Sync = 2
		}
		return spec, nil
	case strings.HasPrefix(r, "activity:") && !spec.WaitForToken:
		spec.Kind, spec.Name = ActivityTask, strings.TrimPrefix(r, "activity:")
	case strings.HasPrefix(r, "arn:") && !spec.WaitForToken:
		// arn:<partition>:states:<region>:<account>:activity:<name>
		parts := strings.Split(r, ":")
		if len(parts) == 7 && parts[2] == "states" && parts[5] == "activity" {
			spec.Kind, spec.Name = ActivityTask, parts[6]
		}
	case strings.HasPrefix(r, "handler:") && !spec.WaitForToken:
		spec.Kind, spec.Name = HandlerTask, strings.TrimPrefix(r, "handler:")
	}
	if spec.Kind == "" {
		return nil, fmt.Errorf("unsupported Resource %q: sfn runs \"http:invoke\" (or \"arn:aws:states:::http:invoke\", each also with \".waitForTaskToken\"), activities (\"activity:<name>\" or \"arn:aws:states:<region>:<account>:activity:<name>\"), child executions (\"arn:aws:states:::states:startExecution\", with \".sync\", \".sync:2\" or \".waitForTaskToken\") and in-process handlers (\"handler:<name>\")", res)
	}
	if !validName(spec.Name) {
		return nil, fmt.Errorf("Resource %q: the %s name must be 1-80 characters of letters, digits, '-' and '_'", res, spec.Kind)
	}
	return spec, nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 80 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// mentionsContext reports whether any string in v refers to the context
// object ("$$"). Over-approximating is harmless: it only costs building the
// context for a state that did not need it.
func mentionsContext(v value.Value) bool {
	return anyString(v, func(s string) bool { return strings.Contains(s, "$$") })
}

// anyString reports whether test holds for any string in v, at any depth
// (array items and object member values; keys are not tested).
func anyString(v value.Value, test func(string) bool) bool {
	switch t := v.(type) {
	case string:
		return test(t)
	case []any:
		for _, e := range t {
			if anyString(e, test) {
				return true
			}
		}
	case *value.Object:
		for _, m := range t.Members() {
			if anyString(m.Value, test) {
				return true
			}
		}
	}
	return false
}
