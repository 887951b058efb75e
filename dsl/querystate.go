package dsl

import (
	"fmt"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl/value"
)

// jsonPathFields are the fields of JSONPath states that a JSONata state
// may not have, with what takes their place there.
var jsonPathFields = []struct{ name, instead string }{
	{"InputPath", "$states.input in the expressions that need it"},
	{"Parameters", "Arguments (Task, Parallel) or ItemSelector (Map)"},
	{"ResultSelector", "Output, with $states.result"},
	{"ResultPath", "Output, with $states.input and $states.result"},
	{"OutputPath", "Output"},
	{"Result", "Output"},
	{"ItemsPath", "Items"},
	{"SecondsPath", "Seconds with an expression"},
	{"TimestampPath", "Timestamp with an expression"},
	{"TimeoutSecondsPath", "TimeoutSeconds with an expression"},
	{"HeartbeatSecondsPath", "HeartbeatSeconds with an expression"},
	{"ErrorPath", "Error with an expression"},
	{"CausePath", "Cause with an expression"},
	{"MaxConcurrencyPath", "MaxConcurrency with an expression"},
	{"ToleratedFailurePercentagePath", "ToleratedFailurePercentage with an expression"},
	{"ToleratedFailureCountPath", "ToleratedFailureCount with an expression"},
}

// jsonPathEquivalent names, for a JSONata field found in a JSONPath state,
// the JSONPath fields that do its work.
var jsonPathEquivalent = map[string]string{
	"Output":    "ResultSelector, ResultPath and OutputPath",
	"Arguments": "Parameters",
	"Items":     "ItemsPath",
}

// checkLanguageName refuses a QueryLanguage other than the two (unless
// the schema already did).
func (c *compiler) checkLanguageName(f fields, ql string) {
	if ql != LangJSONPath && ql != LangJSONata && !c.schemaBad[f.ptrOf("QueryLanguage")] {
		c.errorf(f.ptrOf("QueryLanguage"), CodeSchema, "QueryLanguage must be \"JSONPath\" or \"JSONata\", got %q", ql)
	}
}

// stateLanguage reports whether the state of f uses JSONata: its own
// QueryLanguage, else the definition's. A JSONPath state in a JSONata
// definition is refused, as AWS refuses it.
func (c *compiler) stateLanguage(f fields) bool {
	ql, ok := f.str("QueryLanguage")
	if !ok {
		return c.topJSONata
	}
	c.checkLanguageName(f, ql)
	if ql == LangJSONPath && c.topJSONata {
		c.errorf(f.ptrOf("QueryLanguage"), CodeInvalidQueryLanguage, "a state cannot use JSONPath when the definition's QueryLanguage is JSONata; remove the state's QueryLanguage or the definition's")
		return true
	}
	return ql == LangJSONata
}

// compileQueryState compiles a JSONata state's fields.
func (c *compiler) compileQueryState(f fields, s *State) {
	for _, jf := range jsonPathFields {
		if f.has(jf.name) {
			c.keyErrorf(f.ptrOf(jf.name), CodeInvalidQueryLanguage, "%q is a JSONPath field; a JSONata state uses %s", jf.name, jf.instead)
		}
	}
	s.UsesContext = s.UsesContext || readsStatesContext(f.obj)
	c.compileStateAssign(f, s)
	if f.has("Output") {
		if s.Kind == Fail {
			c.keyErrorf(f.ptrOf("Output"), CodeSchema, "a Fail state has no output: Output belongs to the other states")
		} else {
			s.Output = f.queryTemplate("Output")
		}
	}
	if f.has("Arguments") {
		if s.Kind == Task || s.Kind == Parallel {
			s.Arguments = f.queryTemplate("Arguments")
		} else if !c.schemaBad[f.ptrOf("Arguments")] {
			c.keyErrorf(f.ptrOf("Arguments"), CodeSchema, "Arguments belongs to Task and Parallel states")
		}
	}
	switch s.Kind {
	case Task:
		s.Task = c.compileResource(f)
		s.TimeoutSeconds, s.TimeoutSecondsQuery = c.queryInteger(f, "TimeoutSeconds")
		s.HeartbeatSeconds, s.HeartbeatSecondsQuery = c.queryInteger(f, "HeartbeatSeconds")
		c.compileErrorHandling(f, s)
	case Choice:
		s.Default, _ = f.str("Default")
		if rules, ok := f.array("Choices"); ok {
			for i, r := range rules {
				s.Choices = append(s.Choices, c.compileQueryRule(r, fmt.Sprintf("%s/%d", f.ptrOf("Choices"), i)))
			}
		}
	case Wait:
		if f.has("Seconds") {
			var n int64
			if n, s.SecondsQuery = c.queryInteger(f, "Seconds"); s.SecondsQuery == nil {
				s.Seconds = &n
			}
		}
		if ts, ok := f.raw("Timestamp"); ok {
			if str, isStr := ts.(string); isStr {
				if _, isQuery := queryText(str); isQuery {
					s.TimestampQuery = f.queryTemplate("Timestamp")
				} else if t, ok := ParseTimestamp(str); ok && !t.After(MaxTime) {
					s.Timestamp = &t
				} else {
					c.errorf(f.ptrOf("Timestamp"), CodeInvalidTimestamp, "Timestamp %q is not an ISO-8601 extended offset date-time such as 2026-11-27T12:00:00Z (a time zone or Z is required) before %s", str, MaxTime.Format(time.RFC3339))
				}
			} else {
				f.str("Timestamp") // the type error
			}
		}
	case Fail:
		s.Error, s.ErrorQuery = c.queryString(f, "Error")
		s.Cause, s.CauseQuery = c.queryString(f, "Cause")
	case Parallel:
		f.objects("Branches", "a branch must be an object with StartAt and States", func(bf fields) {
			s.Branches = append(s.Branches, c.compileMachine(bf.obj, bf.ptr))
		})
		c.compileErrorHandling(f, s)
	case Map:
		if f.has("Items") {
			s.Items = f.queryTemplate("Items")
			if v, ok := s.Items.Static(); ok {
				if _, isArray := v.([]any); !isArray {
					c.errorf(f.ptrOf("Items"), CodeInvalidMap, "Items must be an array or a JSONata expression \"{%% … %%}\", got %s", value.TypeName(v))
				}
			}
		}
		if f.has("ItemSelector") {
			s.ItemSelector = f.queryTemplate("ItemSelector")
		}
		c.compileMapProcessor(f, s)
		s.MaxConcurrency, s.MaxConcurrencyQuery = c.queryInteger(f, "MaxConcurrency")
		if f.has("ToleratedFailurePercentage") {
			if v, _ := f.raw("ToleratedFailurePercentage"); isQueryString(v) {
				s.ToleratedFailurePercentageQuery = f.queryTemplate("ToleratedFailurePercentage")
			} else {
				s.ToleratedFailurePercentage, s.HasToleratedFailurePercentage = f.number("ToleratedFailurePercentage")
				c.checkToleratedPercentage(f, s)
			}
		}
		if f.has("ToleratedFailureCount") {
			s.ToleratedFailureCount, s.ToleratedFailureCountQuery = c.queryInteger(f, "ToleratedFailureCount")
			s.HasToleratedFailureCount = s.ToleratedFailureCountQuery == nil
			c.checkToleratedCount(f, s)
		}
		c.compileErrorHandling(f, s)
	}
}

func isQueryString(v value.Value) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, ok = queryText(s)
	return ok
}

// queryInteger reads a field that is an integer or, in a JSONata state, an
// expression giving one.
func (c *compiler) queryInteger(f fields, k string) (int64, *QueryTemplate) {
	v, ok := f.raw(k)
	if !ok {
		return 0, nil
	}
	if isQueryString(v) {
		return 0, f.queryTemplate(k)
	}
	n, _ := f.seconds(k)
	return n, nil
}

// queryString reads a string field that may be an expression (Fail's
// Error and Cause).
func (c *compiler) queryString(f fields, k string) (string, *QueryTemplate) {
	v, ok := f.raw(k)
	if !ok {
		return "", nil
	}
	if isQueryString(v) {
		return "", f.queryTemplate(k)
	}
	s, _ := f.str(k)
	return s, nil
}

// compileQueryRule compiles a JSONata choice rule: Condition, Next and
// optionally Assign and Output.
func (c *compiler) compileQueryRule(v value.Value, ptr string) *ChoiceRule {
	r := &ChoiceRule{}
	o, ok := v.(*value.Object)
	if !ok {
		c.typeErrorf(ptr, "a choice rule must be an object, got %s", value.TypeName(v))
		return r
	}
	f := fields{c: c, obj: o, ptr: ptr}
	for _, m := range o.Members() {
		switch m.Key {
		case "Condition", "Next", "Comment", "Assign", "Output":
		default:
			if !c.choiceSchemaFlagged(f.ptrOf(m.Key)) {
				c.keyErrorf(f.ptrOf(m.Key), CodeInvalidQueryLanguage, "%q is not a field of a JSONata choice rule: a rule has Condition, Next, and optionally Assign, Output and Comment", m.Key)
			}
		}
	}
	if !f.has("Next") {
		c.errorf(ptr, CodeInvalidChoiceRule, "a choice rule in Choices needs \"Next\": the state to go to when it matches")
	}
	r.Next, _ = f.str("Next")
	if cv, ok := f.raw("Condition"); ok {
		switch t := cv.(type) {
		case bool:
			r.Condition = f.queryTemplate("Condition")
		case string:
			if _, isQuery := queryText(t); !isQuery {
				c.errorf(f.ptrOf("Condition"), CodeInvalidChoiceRule, "Condition must be true, false or a JSONata expression \"{%% … %%}\", got the string %q", t)
			} else {
				r.Condition = f.queryTemplate("Condition")
			}
		default:
			c.typeErrorf(f.ptrOf("Condition"), "Condition must be true, false or a JSONata expression \"{%% … %%}\", got %s", value.TypeName(cv))
		}
	} else {
		c.errorf(ptr, CodeInvalidChoiceRule, "a JSONata choice rule needs \"Condition\": a JSONata expression \"{%% … %%}\" or a boolean")
	}
	r.kind = ruleTest
	if f.has("Assign") {
		r.Assign = c.compileAssign(f)
	}
	if f.has("Output") {
		r.Output = f.queryTemplate("Output")
	}
	return r
}

// readsStatesContext reports whether a JSONata state may read
// $states.context (or all of $states), so that the interpreter builds the
// context object for it. Over-approximating only costs building it.
func readsStatesContext(v value.Value) bool {
	return anyString(v, queryReadsStatesContext)
}

// queryReadsStatesContext reports whether t is a JSONata expression with
// a $states not followed by a plain "." member, or followed by ".context".
func queryReadsStatesContext(t string) bool {
	if _, ok := queryText(t); !ok {
		return false
	}
	for i := strings.Index(t, "$states"); i >= 0; {
		rest := t[i+len("$states"):]
		if !strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, ".context") {
			return true
		}
		j := strings.Index(rest, "$states")
		if j < 0 {
			break
		}
		i += len("$states") + j
	}
	return false
}
