package itemio

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// generated is a gofakes3 backend that serves some keys from generators
// instead of memory, so that an object far larger than the memory a test
// may watch goes through the real S3 protocol.
type generated struct {
	gofakes3.Backend
	objects map[string]func() (io.Reader, int64)
}

func (g generated) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	gen, ok := g.objects[bucket+"/"+key]
	if !ok {
		return g.Backend.GetObject(bucket, key, rng)
	}
	r, size := gen()
	sum := md5.Sum([]byte(key))
	return &gofakes3.Object{Name: key, Size: size, Contents: io.NopCloser(r), Hash: sum[:], Metadata: map[string]string{}}, nil
}

// records is a reader of n fixed-size records: head, then record(i) for
// each i with sep between them, then tail. Nothing is kept but the record
// being read.
type records struct {
	n, i      int
	head, sep string
	tail      string
	record    func(i int) string
	buf       []byte
	state     int // 0 head, 1 records, 2 tail, 3 done
}

func (r *records) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		switch {
		case r.state == 0:
			r.buf, r.state = []byte(r.head), 1
		case r.state == 1 && r.i < r.n:
			s := r.record(r.i)
			if r.i > 0 {
				s = r.sep + s
			}
			r.buf = append(r.buf[:0], s...)
			r.i++
		case r.state == 1:
			r.buf, r.state = []byte(r.tail), 3
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// size is the byte count of the whole stream.
func (r *records) size() int64 {
	rec := int64(len(r.record(0)))
	return int64(len(r.head)+len(r.tail)) + int64(r.n)*rec + int64(max(r.n-1, 0)*len(r.sep))
}

// bigRecord is one item of the large objects: about 200 bytes, all the
// same size.
func bigRecord(i int) string {
	return fmt.Sprintf(`{"i":"%010d","pad":"%s"}`, i, strings.Repeat("x", 170))
}

// TestLargeObjectStreams reads objects of hundreds of megabytes through a
// real S3-protocol server and checks, with runtime.MemStats, that the heap
// never grows by more than a few item buffers: the object is never held.
// Not parallel, so that the heap is this test's own.
func TestLargeObjectStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("reads hundreds of megabytes")
	}
	n := 1_000_000 // ~200 MB
	if raceDetector {
		n = 150_000 // the race detector makes parsing ~10x slower
	}
	objects := map[string]func() (io.Reader, int64){}
	add := func(key string, r func() *records) {
		objects["big/"+key] = func() (io.Reader, int64) { rr := r(); return rr, rr.size() }
	}
	add("items.json", func() *records { return &records{n: n, head: "[\n", sep: ",\n", tail: "\n]\n", record: bigRecord} })
	add("items.jsonl", func() *records { return &records{n: n, sep: "\n", tail: "\n", record: bigRecord} })
	add("items.csv", func() *records {
		return &records{n: n, head: "i,pad\n", sep: "\n", tail: "\n", record: func(i int) string { return fmt.Sprintf("%010d,%s", i, strings.Repeat("y", 188)) }}
	})
	// One line of 64 MB: an item over MaxItemBytes must fail without being
	// read whole.
	add("huge-line.jsonl", func() *records {
		return &records{n: 1024, head: `{"s":"`, tail: "\"}\n", record: func(int) string { return strings.Repeat("z", 64<<10) }}
	})
	s3 := newFakeS3(t, func(b gofakes3.Backend) gofakes3.Backend { return generated{b, objects} }, "big")
	x := newIO(t, Config{Stores: []Store{s3.store("local", []string{"big"}, nil)}})

	const bound = 48 << 20 // far below the objects' sizes
	for _, tc := range []struct {
		key, inputType string
		want           int
		wantErr        string
	}{
		{"items.json", "JSON", n, ""},
		{"items.jsonl", "JSONL", n, ""},
		{"items.csv", "CSV", n, ""},
		{"huge-line.jsonl", "JSONL", 0, "line 1 of s3://big/huge-line.jsonl is larger than 8388608 bytes"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapAlloc, ms.HeapAlloc
			sample := func() {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			ctx := context.Background()
			it, err := x.Read(ctx, ReadRequest{Resource: getObject, Params: params(t, `{"Bucket":"big","Key":"`+tc.key+`"}`), InputType: tc.inputType})
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			count := 0
			var last value.Value
			for {
				v, ok, err := it.Next(ctx)
				if err != nil {
					if tc.wantErr == "" {
						t.Fatalf("item %d: %v", count, err)
					}
					wantFailure(t, err, failure.ItemReaderFailed, tc.wantErr)
					break
				}
				if !ok {
					break
				}
				count, last = count+1, v
				if count%20_000 == 0 {
					sample()
				}
			}
			sample()
			if count != tc.want {
				t.Fatalf("%d items, want %d", count, tc.want)
			}
			if tc.want > 0 {
				id, _ := last.(*value.Object).Get("i")
				if id != fmt.Sprintf("%010d", n-1) {
					t.Fatalf("last item %s", value.MarshalString(last))
				}
			}
			grew := int64(peak) - int64(base)
			t.Logf("%d items; the heap grew by at most %.1f MB", count, float64(grew)/(1<<20))
			if grew > bound {
				t.Fatalf("the heap grew by %d MB reading the object, want under %d MB", grew>>20, bound>>20)
			}
		})
	}
}
