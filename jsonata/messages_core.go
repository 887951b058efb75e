package jsonata

// coreMessages are the texts of the errors the parser and the evaluator
// raise, as jsonata-js 2.0.6 words them.
var coreMessages = map[string]string{
	"S0101": "String literal must be terminated by a matching quote",
	"S0102": "Number out of range: {{token}}",
	"S0103": "Unsupported escape sequence: \\{{token}}",
	"S0104": "The escape sequence \\u must be followed by 4 hex digits",
	"S0105": "Quoted property name must be terminated with a backquote (`)",
	"S0106": "Comment has no closing tag",
	"S0201": "Syntax error: {{token}}",
	"S0202": "Expected {{value}}, got {{token}}",
	"S0203": "Expected {{value}} before end of expression",
	"S0204": "Unknown operator: {{token}}",
	"S0205": "Unexpected token: {{token}}",
	"S0206": "Unknown expression type: {{token}}",
	"S0207": "Unexpected end of expression",
	"S0208": "Parameter {{value}} of function definition must be a variable name (start with $)",
	"S0209": "A predicate cannot follow a grouping expression in a step",
	"S0210": "Each step can only have one grouping expression",
	"S0211": "The symbol {{token}} cannot be used as a unary operator",
	"S0212": "The left side of := must be a variable name (start with $)",
	"S0213": "The literal value {{value}} cannot be used as a step within a path expression",
	"S0214": "The right side of {{token}} must be a variable name (start with $)",
	"S0215": "A context variable binding must precede any predicates on a step",
	"S0216": "A context variable binding must precede the 'order-by' clause on a step",
	"S0217": "The object representing the 'parent' cannot be derived from this expression",
	"S0301": "Empty regular expressions are not allowed",
	"S0302": "No terminating / in regular expression",
	"S0401": "Type parameters can only be applied to functions and arrays",
	"S0402": "Choice groups containing parameterized types are not supported",
	"D1001": "Number out of range: {{value}}",
	"D1002": "Cannot negate a non-numeric value: {{value}}",
	"T1003": "Key in object structure must evaluate to a string; got: {{value}}",
	"D1009": "Multiple key definitions evaluate to same key: {{value}}",
	"T1006": "Attempted to invoke a non-function",
	"T1008": "Attempted to partially apply a non-function",
	"T2001": "The left side of the {{token}} operator must evaluate to a number",
	"T2002": "The right side of the {{token}} operator must evaluate to a number",
	"T2003": "The left side of the range operator (..) must evaluate to an integer",
	"T2004": "The right side of the range operator (..) must evaluate to an integer",
	"T2006": "The right side of the function application operator ~> must be a function",
	"T2008": "The expressions within an order-by clause must evaluate to numeric or string values",
	"T2010": "The expressions either side of operator {{token}} must evaluate to numeric or string values",
	"T2011": "The insert/update clause of the transform expression must evaluate to an object: {{value}}",
	"T2012": "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}",
	"T2013": "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function.",
	"D3120": "Syntax error in expression passed to function eval: {{value}}",
	"D3121": "Dynamic error evaluating the expression passed to function eval: {{value}}",
}

func init() {
	for k, v := range coreMessages {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}

// coreErr builds an error whose message fills the code's text as
// jsonata-js does: the token and the value written as JSON.
func coreErr(code string, pos int, token string, value any) *Error {
	e := &Error{Code: code, Position: pos, Token: token, Value: value}
	e.Message = fillMessage(messages[code], jsonText(token), jsonText(value))
	return e
}

// tokenErr is coreErr for an error about a token, written as jsonata-js
// writes it (a number token as a number).
func tokenErr(code string, t token, value any) *Error {
	e := coreErr(code, t.pos, tokenValue(t), value)
	if t.kind == tokNumber {
		e.Message = fillMessage(messages[code], jsonText(t.num), jsonText(value))
	}
	return e
}
