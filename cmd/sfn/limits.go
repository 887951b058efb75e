package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"

	"github.com/sfn-project/sfn/interpreter"
)

// loadLimits applies sfn serve's --limits file: a JSON object of key ->
// {maxInFlight, ratePerSecond, burst}, each put as PUT /v1/limits/{key}
// does (the file's keys win over what the store had for them; keys the
// file does not name are left as they are).
func loadLimits(ctx context.Context, engine *interpreter.Engine, file string, log *slog.Logger) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return usageErrorf("--limits: %v", err)
	}
	limits, err := parseLimits(data)
	if err != nil {
		return usageErrorf("--limits %s: %v", file, err)
	}
	for _, l := range limits {
		if _, _, err := engine.PutCallLimit(ctx, l); err != nil {
			return usageErrorf("--limits %s: %v", file, err)
		}
	}
	log.Info("call limits applied", slog.String("file", file), slog.Int("limits", len(limits)))
	return nil
}

// parseLimits reads the --limits format, every limit checked, in key order.
func parseLimits(data []byte) ([]interpreter.CallLimit, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf(`want a JSON object of key -> {"maxInFlight": N, "ratePerSecond": R, "burst": B}: %v`, err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]interpreter.CallLimit, 0, len(keys))
	for _, k := range keys {
		var l struct {
			MaxInFlight int     `json:"maxInFlight"`
			Rate        float64 `json:"ratePerSecond"`
			Burst       int     `json:"burst"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw[k]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("%q: %v", k, err)
		}
		cl := interpreter.CallLimit{Key: k, MaxInFlight: l.MaxInFlight, Rate: l.Rate, Burst: l.Burst}
		if err := interpreter.ValidateCallLimit(&cl); err != nil {
			return nil, err
		}
		out = append(out, cl)
	}
	return out, nil
}
