package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

// TestLoadDefinitionsAsPut: --load uploads as the APIs do: a definition an
// existing EXPRESS machine cannot run is refused (and the machine keeps its
// version), and the activities a definition uses get their documents, so
// that the AWS API lists them.
func TestLoadDefinitionsAsPut(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st})
	meta := awsmeta.New(st)
	pass := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	activity := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:pack","End":true}}}`
	if _, err := meta.PutDefinition(ctx, engine, awsmeta.Definition{Name: "fast", Source: []byte(pass), Format: dsl.JSON, Type: awsmeta.Express}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for file, def := range map[string]string{"fast.json": activity, "slow.json": activity} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(def), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	err := loadDefinitions(ctx, engine, dir, slog.New(slog.DiscardHandler))
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailed || err.Error() != "--load: 1 definition(s) could not be loaded: fast.json" {
		t.Fatalf("loadDefinitions: %v, want fast.json refused", err)
	}
	if sm, err := st.GetStateMachine(ctx, "fast", 0); err != nil || sm.Version != 1 {
		t.Errorf("fast after the refused load: %+v, %v; want version 1 kept", sm, err)
	}
	if sm, err := st.GetStateMachine(ctx, "slow", 0); err != nil || sm.Version != 1 {
		t.Errorf("slow: %+v, %v; want it loaded", sm, err)
	}
	if mc, err := meta.Machine(ctx, "slow"); err != nil || mc.Type != awsmeta.Standard || mc.FirstRevision != 1 {
		t.Errorf("slow's document: %+v, %v; want a STANDARD machine first at revision 1", mc, err)
	}
	if _, err := meta.Activity(ctx, "pack"); err != nil {
		t.Errorf("activity pack after loading slow: %v", err)
	}
}
