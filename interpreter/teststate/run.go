package teststate

import (
	"context"
	"errors"
)

// Run tests the state req names. A *ValidationError is a request that
// cannot be run; any other error is the server's own.
func Run(ctx context.Context, req Request, opts Options) (*Answer, error) {
	return nil, errors.New("teststate: not implemented yet")
}
