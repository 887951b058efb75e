package redis

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hashTag is what Redis Cluster hashes: the text between the first "{"
// and the next "}", when not empty; else the whole key.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

func TestKeys(t *testing.T) {
	t.Parallel()
	k := keys{prefix: "sfn"}
	got := map[string]string{
		"record":           k.record(17, "orders:o-1"),
		"history":          k.history(17, "orders:o-1"),
		"name":             k.name(17, "orders", "o-1"),
		"due":              k.due(17),
		"index all":        k.index(17, "", ""),
		"index sm":         k.index(17, "orders", ""),
		"index sm status":  k.index(17, "orders", "RUNNING"),
		"index status":     k.index(17, "", "FAILED"),
		"activity":         k.activity(17, "approve"),
		"lease":            k.lease(17),
		"channel":          k.channel(17),
		"status channel":   k.statusChannel(17),
		"machine":          k.machine("orders"),
		"machines":         k.machines(),
		"config":           k.config(),
		"escaped name":     k.name(3, "a:b%", "c:d"),
		"escaped activity": k.activity(3, "x:y"),
		"activity hint":    k.activityHint("x:y"),
	}
	want := map[string]string{
		"record":           "sfn:{p17}:x:orders:o-1",
		"history":          "sfn:{p17}:h:orders:o-1",
		"name":             "sfn:{p17}:n:orders:o-1",
		"due":              "sfn:{p17}:due",
		"index all":        "sfn:{p17}:ix",
		"index sm":         "sfn:{p17}:ix:orders",
		"index sm status":  "sfn:{p17}:ix:orders:RUNNING",
		"index status":     "sfn:{p17}:ixs:FAILED",
		"activity":         "sfn:{p17}:act:approve",
		"lease":            "sfn:{p17}:lease",
		"channel":          "sfn:{p17}:notify",
		"status channel":   "sfn:{p17}:status",
		"machine":          "sfn:{sm}:m:orders",
		"machines":         "sfn:{sm}:names",
		"config":           "sfn:{sm}:config",
		"escaped name":     "sfn:{p3}:n:a%3Ab%25:c%3Ad",
		"escaped activity": "sfn:{p3}:act:x%3Ay",
		"activity hint":    "sfn:{act:x%3Ay}",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
}

// TestKeysOneSlot: every key of an execution, whatever its names, hashes
// by its partition's tag, so each script stays in one Cluster slot.
func TestKeysOneSlot(t *testing.T) {
	t.Parallel()
	k := keys{prefix: "sfn"}
	for _, names := range [][2]string{{"orders", "o-1"}, {"{x}", "}{"}, {"a:b", "c"}, {"", ""}} {
		sm, name := names[0], names[1]
		id := sm + ":" + name
		p := 42
		for _, key := range []string{
			k.record(p, id), k.history(p, id), k.name(p, sm, name), k.due(p), k.index(p, "", ""),
			k.index(p, sm, ""), k.index(p, sm, "RUNNING"), k.index(p, "", "RUNNING"),
			k.activity(p, name), k.lease(p), k.channel(p), k.statusChannel(p), k.partition(p) + "ix:" + escape(sm) + ":FAILED",
		} {
			if tag := hashTag(key); tag != "p42" {
				t.Errorf("key %q hashes by %q, want p42", key, tag)
			}
		}
		if tag := hashTag(k.machine(name)); tag != "sm" {
			t.Errorf("machine key of %q hashes by %q, want sm", name, tag)
		}
	}
}

// TestEscapeMatchesLua: commit.lua escapes a state machine name the same
// way (gsub of "%" and ":"), to find the status index keys.
func TestEscapeMatchesLua(t *testing.T) {
	t.Parallel()
	src, err := scriptFiles.ReadFile("scripts/commit.lua")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), `string.gsub(cur[4], '[%%:]', {['%'] = '%25', [':'] = '%3A'})`) {
		t.Error("commit.lua no longer escapes state machine names like keys.go")
	}
	if !strings.Contains(string(src), `ARGV[6] .. 'status'`) || !strings.HasSuffix(keys{prefix: "x"}.statusChannel(1), "status") {
		t.Error("commit.lua no longer names the status channel as keys.statusChannel does")
	}
	for in, want := range map[string]string{"plain-Name_1": "plain-Name_1", "a:b": "a%3Ab", "%3A": "%253A"} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}
