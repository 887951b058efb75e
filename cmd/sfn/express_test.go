package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// syncBuffer is a bytes.Buffer the server's log and the test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeStopsExpressBeforeTheStore: when sfn serve stops, its Express
// runner stops (and gives up its heartbeat document, so that the starts it
// leaves are taken over at once) before the store closes: by the time
// serve returns the heartbeat is gone, and removing it did not fail.
func TestServeStopsExpressBeforeTheStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server on Redis")
	}
	t.Parallel()
	url := redistest.URL(t)
	prefix := "expressstop" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs syncBuffer
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, []string{"serve", "--addr", addr, "--redis-url", url, "--redis-prefix", prefix, "--node", "stopper", "--log-level", "warn", "--shutdown-grace", "10s"},
			streams{in: strings.NewReader(""), out: &logs, err: &logs}, func(string) string { return "" })
	}()
	healthy := false
	for deadline := time.Now().Add(10 * time.Second); !healthy && time.Now().Before(deadline); {
		select {
		case code := <-done:
			t.Fatalf("sfn serve exited with %d: %s", code, logs.String())
		default:
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == http.StatusOK
		}
		if !healthy {
			time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
		}
	}
	if !healthy {
		t.Fatal("sfn serve did not become healthy")
	}

	// An Express execution still running at the shutdown: the runner
	// waits for it (up to --shutdown-grace) after the HTTP server has
	// drained, and must do so before the store closes.
	put, err := http.NewRequest(http.MethodPut, "http://"+addr+"/v1/state-machines/slow?type=EXPRESS",
		strings.NewReader(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	put.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT slow: %s", resp.Status)
	}
	resp, err = http.Post("http://"+addr+"/v1/state-machines/slow/executions", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start of slow: %s", resp.Status)
	}

	st, err := redisstore.New(t.Context(), redisstore.Options{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetDoc(t.Context(), "express-node", "stopper"); err != nil {
		t.Fatalf("the Express runner's heartbeat while serving: %v", err)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("sfn serve exited with %d: %s", code, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sfn serve did not stop")
	}
	if _, err := st.GetDoc(t.Context(), "express-node", "stopper"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the Express heartbeat after sfn serve returned: %v, want it removed", err)
	}
	if strings.Contains(logs.String(), "removing the Express heartbeat failed") {
		t.Errorf("log: %s", logs.String())
	}
}
