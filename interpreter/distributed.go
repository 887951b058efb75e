package interpreter

import (
	"context"

	"github.com/sfn-project/sfn/store"
)

// tellMapRun commits a Map Run child's end on its parent.
func (e *Engine) tellMapRun(ctx context.Context, link *parentLink, rec *store.Execution) error {
	return nil
}
