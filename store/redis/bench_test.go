package redis_test

import (
	"testing"

	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/storetest"
)

func benchStore(b *testing.B) *redis.Store {
	s := open(b, redis.Options{URL: sharedURL(b), Prefix: newPrefix()})
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkCommit(b *testing.B)          { storetest.BenchCommit(b, benchStore(b)) }
func BenchmarkCommitParallel(b *testing.B)  { storetest.BenchCommitParallel(b, benchStore(b)) }
func BenchmarkCreateExecution(b *testing.B) { storetest.BenchCreateExecution(b, benchStore(b)) }
