package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// client talks to one sfn server over a pool of keep-alive connections.
type client struct {
	base  string
	token string
	http  *http.Client
}

// newClient sizes the pool to conns, so that conns goroutines each keep one
// connection busy instead of opening and closing connections under load.
func newClient(server, token string, conns int) (*client, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: want an http:// or https:// URL", server)
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: strings.TrimRight(server, "/"), token: token, http: &http.Client{Transport: tr}}, nil
}

func (c *client) close() { c.http.CloseIdleConnections() }

// do sends one request and reads the whole answer, so that the connection
// goes back to the pool.
func (c *client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, err
}

// deploy uploads a definition under name.
func (c *client) deploy(ctx context.Context, name, definition string) error {
	status, body, err := c.do(ctx, http.MethodPut, "/v1/state-machines/"+url.PathEscape(name), []byte(definition))
	if err != nil {
		return fmt.Errorf("deploy %s: %w", name, err)
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return fmt.Errorf("deploy %s: %d %s", name, status, bytes.TrimSpace(body))
	}
	return nil
}

// exists reports whether a state machine is deployed.
func (c *client) exists(ctx context.Context, name string) error {
	status, body, err := c.do(ctx, http.MethodGet, "/v1/state-machines/"+url.PathEscape(name), nil)
	if err != nil {
		return fmt.Errorf("server unreachable: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("state machine %s: %d %s", name, status, bytes.TrimSpace(body))
	}
	return nil
}

// suffix makes names of one run unique, so that runs against the same
// server do not share activities or state machines.
func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
