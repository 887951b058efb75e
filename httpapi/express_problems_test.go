package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store/memory"
)

// An EXPRESS definition with several Tasks Express cannot run is refused
// with every one of them listed, in definition order, each at its Resource.
func TestExpressDefinitionListsEveryProblem(t *testing.T) {
	env := setupExpress(t, memory.New(), express.Config{}, false)
	def := `{"StartAt":"Act","States":{"Act":{"Type":"Task","Resource":"activity:work","Next":"Ask"},` +
		`"Ask":{"Type":"Task","Resource":"arn:aws:states:::http:invoke.waitForTaskToken","Parameters":{"ApiEndpoint":"http://x/","Method":"POST"},"End":true}}}`
	r := call(t, env.srv, http.MethodPut, "/v1/state-machines/x?type=EXPRESS", def)
	wantError(t, r, http.StatusBadRequest, "ValidationError")
	details, _ := r.json(t)["details"].([]any)
	var paths []any
	for _, d := range details {
		paths = append(paths, d.(map[string]any)["path"])
	}
	if len(paths) != 2 || paths[0] != "/States/Act/Resource" || paths[1] != "/States/Ask/Resource" {
		t.Fatalf("details at %v, want /States/Act/Resource and /States/Ask/Resource: %s", paths, r.body)
	}
}
