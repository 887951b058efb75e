// Package jsonatasuite reads the JSONata test suite (its TESTSUITE.md
// layout): groups/<group>/<case>.json, each file one case or an array of
// them, and datasets/<name>.json. The jsonata package's conformance tests
// and cmd/jsonatabench both read it with Load.
package jsonatasuite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Spec is one case of the suite as its file writes it.
type Spec struct {
	Expr            json.RawMessage            `json:"expr"`
	ExprFile        string                     `json:"expr-file"` // relative to the case's Dir
	Data            json.RawMessage            `json:"data"`
	Dataset         *string                    `json:"dataset"`
	Bindings        map[string]json.RawMessage `json:"bindings"`
	Result          json.RawMessage            `json:"result"`
	UndefinedResult bool                       `json:"undefinedResult"`
	Code            string                     `json:"code"`
	Error           *struct {
		Code string `json:"code"`
	} `json:"error"`
	Timelimit *int `json:"timelimit"`
	Depth     *int `json:"depth"`
	Unordered bool `json:"unordered"`
}

// Case is a Spec and where it was found.
type Case struct {
	Group string // the group folder's name
	Stem  string // the file's name without .json
	Index int    // the position in the file's array; -1 when the file holds one case
	Count int    // how many cases the file holds
	Dir   string // the group folder
	Spec  Spec
}

// Name is group/stem, with [index] for a case of an array file.
func (c Case) Name() string {
	if c.Index < 0 {
		return c.Group + "/" + c.Stem
	}
	return fmt.Sprintf("%s/%s[%d]", c.Group, c.Stem, c.Index)
}

// Load reads every case of the groups under root/groups matching
// groupGlob, in order of group and file name, and the datasets by name.
func Load(root, groupGlob string) ([]Case, map[string][]byte, error) {
	datasets := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(root, "datasets", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		datasets[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "groups", groupGlob))
	sort.Strings(dirs)
	var cases []Case
	for _, dir := range dirs {
		group := filepath.Base(dir)
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, err
			}
			stem := strings.TrimSuffix(filepath.Base(f), ".json")
			if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
				var list []Spec
				if err := json.Unmarshal(b, &list); err != nil {
					return nil, nil, fmt.Errorf("%s: %v", f, err)
				}
				for i, s := range list {
					cases = append(cases, Case{Group: group, Stem: stem, Index: i, Count: len(list), Dir: dir, Spec: s})
				}
				continue
			}
			var s Spec
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, nil, fmt.Errorf("%s: %v", f, err)
			}
			cases = append(cases, Case{Group: group, Stem: stem, Index: -1, Count: 1, Dir: dir, Spec: s})
		}
	}
	return cases, datasets, nil
}
