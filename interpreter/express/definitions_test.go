package express_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter/express"
)

// Problems finds every activity and .waitForTaskToken Task, in branches
// and Map processors too, in definition order; Check returns the first.
func TestProblems(t *testing.T) {
	t.Parallel()
	callback := `"Resource":"arn:aws:states:::http:invoke.waitForTaskToken","Parameters":{"ApiEndpoint":"http://x/","Method":"POST"}`
	tests := []struct {
		name, def string
		want      []express.UnsupportedError
	}{
		{"none", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, nil},
		{"all, in order", `{"StartAt":"Act","States":{
			"Act":{"Type":"Task","Resource":"activity:first","Next":"P"},
			"P":{"Type":"Parallel","Next":"M","Branches":[{"StartAt":"Ask","States":{"Ask":{"Type":"Task",` + callback + `,"End":true}}}]},
			"M":{"Type":"Map","Next":"Last","ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Task","Resource":"activity:inner","End":true}}}},
			"Last":{"Type":"Task",` + callback + `,"End":true}}}`,
			[]express.UnsupportedError{
				{State: "Act", Pointer: "/States/Act", Resource: "activity:first", Reason: express.ReasonActivity},
				{State: "Ask", Pointer: "/States/P/Branches/0/States/Ask", Resource: "arn:aws:states:::http:invoke.waitForTaskToken", Reason: express.ReasonWaitForToken},
				{State: "Inner", Pointer: "/States/M/ItemProcessor/States/Inner", Resource: "activity:inner", Reason: express.ReasonActivity},
				{State: "Last", Pointer: "/States/Last", Resource: "arn:aws:states:::http:invoke.waitForTaskToken", Reason: express.ReasonWaitForToken},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, problems := dsl.Load([]byte(tt.def), dsl.Options{Format: dsl.JSON})
			if def == nil || problems.HasErrors() {
				t.Fatalf("definition does not load: %v", problems)
			}
			var got []express.UnsupportedError
			for _, p := range express.Problems(&def.Machine) {
				got = append(got, *p)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Problems (-want +got):\n%s", diff)
			}
			err := express.Check(def)
			var first *express.UnsupportedError
			switch {
			case len(tt.want) == 0 && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case len(tt.want) > 0 && (!errors.As(err, &first) || *first != tt.want[0]):
				t.Errorf("Check = %v, want the first problem %+v", err, tt.want[0])
			}
		})
	}
}
