// Package roles holds the roles a caller acts with, shared by sfn's two
// front doors: the REST API's bearer tokens (httpapi) and the AWS API's
// access keys (httpapi/awsjson). One definition keeps the two from
// drifting apart on who may do what.
package roles

// Role is what a caller may do.
type Role string

// The roles, from most to least powerful.
const (
	Admin    Role = "admin"    // everything
	Operator Role = "operator" // executions and reading
	Worker   Role = "worker"   // activity polls and task answers only
	Reader   Role = "reader"   // reading only
)

// Valid reports whether r is one of the four roles.
func Valid(r Role) bool {
	switch r {
	case Admin, Operator, Worker, Reader:
		return true
	}
	return false
}

// Allows reports whether a caller with the role have may do what needs
// the role need: an admin may do everything, an operator what an operator
// or a reader may, a worker and a reader only their own (a worker reads
// nothing; an operator answers no task). A role not among the four may do
// nothing.
func Allows(have, need Role) bool {
	switch have {
	case Admin:
		return true
	case Operator:
		return need == Operator || need == Reader
	case Worker:
		return need == Worker
	case Reader:
		return need == Reader
	}
	return false
}
