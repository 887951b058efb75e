package source

import (
	"os"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	for _, bm := range []struct {
		name, file string
		format     Format
	}{
		{"yaml", "testdata/order.asl.yaml", YAML},
		{"json", "testdata/order.asl.json", JSON},
		{"sniff-json", "testdata/order.asl.json", Sniff},
	} {
		data, err := os.ReadFile(bm.file)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, ps := Parse(data, bm.format); ps != nil {
					b.Fatal(ps[0])
				}
			}
		})
	}
}
