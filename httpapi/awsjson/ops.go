package awsjson

import "context"

// op is one operation: the role it needs, whether it may run long (its own
// deadline), and its handler.
type op struct {
	role string
	long bool
	fn   func(s *Server, ctx context.Context, c *call) (any, error)
}

// operations are the Step Functions operations sfn serves, by name. The
// role follows the REST API's: Describe/List/Get read; Start, Stop, Redrive
// operate; GetActivityTask and SendTask* work; the rest define.
var operations = map[string]op{}

// register adds operations; each ops file registers its own in init. An
// operation registered twice is a programming mistake (two files would
// each think they serve it), found at start-up.
func register(m map[string]op) {
	for k, v := range m {
		if _, dup := operations[k]; dup {
			panic("awsjson: operation " + k + " registered twice")
		}
		operations[k] = v
	}
}
