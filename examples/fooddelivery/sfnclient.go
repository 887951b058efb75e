package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// sfnClient is the little of the sfn API the example needs.
type sfnClient struct {
	base, token string
	http        *http.Client
}

func (c *sfnClient) do(ctx context.Context, method, path, ctype string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, body)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	return res.StatusCode, data, err
}

// call sends a JSON body (nil: none) and decodes the answer into out when
// the status is one of want.
func (c *sfnClient) call(ctx context.Context, method, path string, body, out any, want ...int) error {
	var rd io.Reader
	ctype := ""
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	status, data, err := c.do(ctx, method, path, ctype, rd)
	if err != nil {
		return err
	}
	for _, w := range want {
		if status == w {
			if out == nil {
				return nil
			}
			return json.Unmarshal(data, out)
		}
	}
	return fmt.Errorf("%s %s: sfn answered %d: %s", method, path, status, bytes.TrimSpace(data))
}

func (c *sfnClient) deploy(ctx context.Context, name string, yaml []byte) (version int, err error) {
	status, data, err := c.do(ctx, http.MethodPut, "/v1/state-machines/"+url.PathEscape(name), "application/yaml", bytes.NewReader(yaml))
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return 0, fmt.Errorf("deploy %s: sfn answered %d: %s", name, status, bytes.TrimSpace(data))
	}
	var m struct {
		Version int `json:"version"`
	}
	return m.Version, json.Unmarshal(data, &m)
}

type execution struct {
	ExecutionID string          `json:"executionId"`
	Name        string          `json:"name"`
	Status      string          `json:"status"`
	Output      json.RawMessage `json:"output"`
	Error       string          `json:"error"`
	Cause       string          `json:"cause"`
	StartedAt   string          `json:"startedAt"`
	StoppedAt   string          `json:"stoppedAt"`
}

// start starts an execution under an idempotency name: starting it again
// with the same input returns the same execution.
func (c *sfnClient) start(ctx context.Context, machine, name string, input any) (execution, error) {
	var e execution
	err := c.call(ctx, http.MethodPost, "/v1/state-machines/"+url.PathEscape(machine)+"/executions",
		map[string]any{"name": name, "input": input}, &e, http.StatusAccepted, http.StatusOK)
	return e, err
}

func (c *sfnClient) describe(ctx context.Context, id string) (execution, error) {
	var e execution
	err := c.call(ctx, http.MethodGet, "/v1/executions/"+url.PathEscape(id), nil, &e, http.StatusOK)
	return e, err
}

type event struct {
	ID        int    `json:"id"`
	Previous  int    `json:"previousEventId"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Name      string `json:"name"`
	Error     string `json:"error"`
	Cause     string `json:"cause"`
}

// history reads every page of an execution's history.
func (c *sfnClient) history(ctx context.Context, id string) ([]event, error) {
	var all []event
	cursor := ""
	for {
		q := url.Values{"limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Events     []event `json:"events"`
			NextCursor string  `json:"nextCursor"`
		}
		if err := c.call(ctx, http.MethodGet, "/v1/executions/"+url.PathEscape(id)+"/history?"+q.Encode(), nil, &page, http.StatusOK); err != nil {
			return nil, err
		}
		all = append(all, page.Events...)
		if page.NextCursor == "" {
			return all, nil
		}
		cursor = page.NextCursor
	}
}
