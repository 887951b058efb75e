package interpreter

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func headerCases() []header {
	t0 := time.Date(2026, 11, 27, 19, 34, 8, 783702398, time.UTC)
	return []header{
		{},
		{Enc: 1, LastTime: t0, NextThread: 1},
		{Enc: 1, LastTime: t0.Truncate(time.Second), NextThread: 12, TimeoutAt: t0.Add(time.Hour)},
		{Enc: 1, LastTime: t0, NextThread: 3, RedriveCount: 2, Failed: 7},
		{Enc: 1, LastTime: t0, NextThread: 3, TimeoutAt: t0.Add(time.Millisecond), RedriveCount: 1000, Failed: 1},
		{Enc: 3, LastTime: t0, NextThread: 1, ARNIDs: true},
		{Enc: 3, LastTime: t0, NextThread: 4, TimeoutAt: t0.Add(time.Hour), RedriveCount: 2, Failed: 3, ARNIDs: true},
		{Enc: -4, LastTime: t0.In(time.FixedZone("x", 5*3600+30*60)), NextThread: -1, Failed: -2},
		{Enc: 1, LastTime: t0.In(time.FixedZone("secs", 3600+7)), NextThread: 1},        // json writes its own way
		{Enc: 1, LastTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), NextThread: 1}, // json refuses
		{Enc: 1, LastTime: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), NextThread: 1},    // json refuses
	}
}

// The header codec writes what encoding/json writes, and fails where it fails.
func TestAppendHeaderMatchesJSON(t *testing.T) {
	for i, h := range headerCases() {
		want, werr := json.Marshal(&h)
		got, gerr := appendHeader([]byte("prefix"), &h)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("case %d: error %v, encoding/json's %v", i, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if string(got) != "prefix"+string(want) {
			t.Errorf("case %d:\n got %s\nwant prefix%s", i, got, want)
		}
		var back header
		if err := decodeHeader(want, &back); err != nil {
			t.Fatalf("case %d: decode: %v", i, err)
		}
		var ref header
		if err := json.Unmarshal(want, &ref); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, ref) {
			t.Errorf("case %d: decoded %+v, encoding/json %+v", i, back, ref)
		}
	}
}

// Shapes the fast reader does not take go to encoding/json: the result is
// the same either way.
func TestDecodeHeaderOtherShapes(t *testing.T) {
	for _, in := range []string{
		`{"enc":1,"lastTime":"2026-11-27T19:34:08.783702398Z","nextThread":1}`,
		`{"nextThread":1,"enc":1,"lastTime":"2026-11-27T19:34:08Z"}`,
		`{ "enc": 1, "lastTime": "2026-11-27T19:34:08Z", "nextThread": 2 }`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08Z","nextThread":2,"future":{"x":[1]}}`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08Z","nextThread":007}`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08Z","nextThread":-0}`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08\u005a","nextThread":2}`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08Z","nextThread":2,"timeoutAt":"0001-01-01T00:00:00Z"}`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08Z","nextThread":2,"failed":0}`,
		`{"enc":3,"lastTime":"2026-11-27T19:34:08Z","nextThread":2,"arnIds":false}`,
		`{"enc":3,"lastTime":"2026-11-27T19:34:08Z","nextThread":2,"arnIds":true,"failed":1}`,
		`{"enc":3,"lastTime":"2026-11-27T19:34:08Z","nextThread":2,"arnIds":1}`,
		`{"enc":1,"lastTime":"not a time","nextThread":2}`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08Z","nextThread":99999999999999999999}`,
		`{"enc":1,"lastTime":"2026-11-27T19:34:08Z","nextThread":2}x`,
		``,
		`null`,
	} {
		var got, want header
		gerr := decodeHeader([]byte(in), &got)
		werr := json.Unmarshal([]byte(in), &want)
		if (gerr != nil) != (werr != nil) {
			t.Errorf("%s: error %v, encoding/json's %v", in, gerr, werr)
			continue
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded %+v, encoding/json %+v", in, got, want)
		}
	}
}

func FuzzDecodeHeader(f *testing.F) {
	for _, h := range headerCases() {
		if b, err := json.Marshal(&h); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"enc":1,"lastTime":"2026-11-27T19:34:08+23:59","nextThread":1,"failed":-9}`))
	f.Add([]byte(`{"enc":3,"lastTime":"2026-11-27T19:34:08Z","nextThread":1,"failed":2,"arnIds":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast header
		if !fastHeader(b, &fast) {
			return
		}
		var ref header
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatalf("%s: the fast reader took what encoding/json refuses: %v", b, err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("%s: fast %+v, encoding/json %+v", b, fast, ref)
		}
		// What it takes, the writer writes as encoding/json does.
		out, err := appendHeader(nil, &fast)
		want, werr := json.Marshal(&fast)
		if (err != nil) != (werr != nil) || string(out) != string(want) {
			t.Fatalf("%s: written as %s (%v), encoding/json %s (%v)", b, out, err, want, werr)
		}
	})
}

// BenchmarkHeaderCodec is one step's header write and read.
func BenchmarkHeaderCodec(b *testing.B) {
	h := headerCases()[2]
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 128)
		var back header
		for b.Loop() {
			buf, _ = appendHeader(buf[:0], &h)
			if err := decodeHeader(buf, &back); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var back header
		for b.Loop() {
			buf, _ := json.Marshal(&h)
			if err := json.Unmarshal(buf, &back); err != nil {
				b.Fatal(err)
			}
		}
	})
}
