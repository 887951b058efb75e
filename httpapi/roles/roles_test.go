package roles_test

import (
	"testing"

	"github.com/sfn-project/sfn/httpapi/roles"
)

func TestValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role roles.Role
		want bool
	}{
		{roles.Admin, true},
		{roles.Operator, true},
		{roles.Worker, true},
		{roles.Reader, true},
		{"", false},
		{"Admin", false}, // case matters: token files are written in lower case
		{"root", false},
	} {
		if got := roles.Valid(tc.role); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.role, got, tc.want)
		}
	}
}

func TestAllows(t *testing.T) {
	t.Parallel()
	all := []roles.Role{roles.Admin, roles.Operator, roles.Worker, roles.Reader}
	// want[have] lists the needs that have meets; every other pair is refused.
	want := map[roles.Role][]roles.Role{
		roles.Admin:    all,
		roles.Operator: {roles.Operator, roles.Reader},
		roles.Worker:   {roles.Worker},
		roles.Reader:   {roles.Reader},
		"":             nil, // no role, or one not among the four, may do nothing
		"root":         nil,
	}
	for have, allowed := range want {
		for _, need := range all {
			ok := false
			for _, a := range allowed {
				ok = ok || a == need
			}
			if got := roles.Allows(have, need); got != ok {
				t.Errorf("Allows(%q, %q) = %v, want %v", have, need, got, ok)
			}
		}
	}
}
