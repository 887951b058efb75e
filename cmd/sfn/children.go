package main

// What sfn serve gives the engine for child executions and distributed
// Maps: how a startExecution task's StateMachineArn resolves (versions and
// aliases are the AWS API's, kept in awsmeta), and the object stores that
// ItemReader and ResultWriter use.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/interpreter/itemio"
	"github.com/sfn-project/sfn/store"
)

// machineResolver resolves a startExecution task's StateMachineArn as the
// AWS API's StartExecution does: a state machine (its latest revision), a
// published version, or an alias (a version picked by the routes'
// weights, by a draw from the child's state machine name: children of one
// parent attempt pick alike). A plain name is sfn's extension.
func machineResolver(meta *awsmeta.Meta, space arn.Space) func(context.Context, string) (interpreter.MachineRef, error) {
	return func(ctx context.Context, ref string) (interpreter.MachineRef, error) {
		if !strings.HasPrefix(ref, "arn:") {
			if !interpreter.ValidName(ref) {
				return interpreter.MachineRef{}, store.ErrNotFound
			}
			return interpreter.MachineRef{Name: ref, ARN: space.StateMachine(ref)}, nil
		}
		a, err := arn.Parse(ref)
		if err != nil || !space.Owns(a) {
			return interpreter.MachineRef{}, store.ErrNotFound
		}
		switch a.Kind {
		case arn.StateMachine:
			return interpreter.MachineRef{Name: a.Name, ARN: ref}, nil
		case arn.Version, arn.Alias:
			mc, err := meta.Machine(ctx, a.Name)
			if err != nil {
				return interpreter.MachineRef{}, err
			}
			var p awsmeta.Published
			var ok bool
			if a.Kind == arn.Version {
				p, ok = mc.Version(a.Version)
			} else {
				var perr error
				p, perr = mc.Pick(a.Alias, awsmeta.StartDraw(a.Name, ref))
				ok = perr == nil
			}
			if !ok {
				return interpreter.MachineRef{}, store.ErrNotFound
			}
			return interpreter.MachineRef{Name: a.Name, Version: p.Revision, ARN: ref}, nil
		}
		return interpreter.MachineRef{}, store.ErrNotFound
	}
}

// objectStores loads --object-stores, with the HTTP task client as the
// ItemReader's http:invoke (its allow-list and connections apply).
func objectStores(o *serveOptions, httpClient *httptask.Client) (*itemio.IO, error) {
	cfg := itemio.Config{}
	if o.objectStores != "" {
		var err error
		if cfg, err = itemio.LoadConfig(o.objectStores); err != nil {
			return nil, usageErrorf("--object-stores %s: %v", o.objectStores, err)
		}
	}
	cfg.HTTP = func(ctx context.Context, url string) (io.ReadCloser, error) {
		resp, err := httpClient.Get(ctx, url)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return resp.Body, nil
	}
	x, err := itemio.New(cfg)
	if err != nil {
		return nil, usageErrorf("--object-stores %s: %v", o.objectStores, err)
	}
	return x, nil
}
