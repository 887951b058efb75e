package memory_test

import (
	"testing"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	"github.com/sfn-project/sfn/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) store.Store { return memory.New() })
}

func TestConformanceWithLeases(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) store.Store { return memory.WithLeases(memory.New(), 16) })
}

func BenchmarkCommit(b *testing.B)         { storetest.BenchCommit(b, memory.New()) }
func BenchmarkCommitParallel(b *testing.B) { storetest.BenchCommitParallel(b, memory.New()) }
func BenchmarkCreateExecution(b *testing.B) {
	storetest.BenchCreateExecution(b, memory.New())
}

func BenchmarkCommitStatus(b *testing.B) {
	b.Run("without-change", func(b *testing.B) { storetest.BenchCommitStatus(b, memory.New(), nil) })
	b.Run("with-change", func(b *testing.B) { storetest.BenchCommitStatus(b, memory.New(), storetest.BenchChange) })
}
