package reqcheck

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// fill sets every field kmsg may encode to a non-default value and every
// slice to one element, so the encoding uses all of the schema.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Name == "Version" || f.Type == reflect.TypeOf(kmsg.Tags{}) {
				continue
			}
			fill(v.Field(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{1, 2, 3})
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i))
		}
	case reflect.String:
		v.SetString("topic")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(3)
	case reflect.Float64:
		v.SetFloat(1.5)
	}
}

// frame encodes req with a request header, as a client sends it.
func frame(req kmsg.Request) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, 7)
	b = binary.BigEndian.AppendUint16(b, 2)
	b = append(b, "id"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	return req.AppendTo(b)
}

// TestEveryRequestKmsgEncodes is the schema's check against kmsg itself:
// every request kmsg can encode, at every version, with every field set,
// passes and is walked to its last byte.
func TestEveryRequestKmsgEncodes(t *testing.T) {
	load()
	n := 0
	for key := int16(0); key < 256; key++ {
		if kmsg.RequestForKey(key) == nil {
			continue
		}
		a := apis[key]
		if a == nil {
			t.Errorf("no schema for key %d (%s)", key, kmsg.Key(key).Name())
			continue
		}
		if want := kmsg.RequestForKey(key).MaxVersion(); int(want) != a.maxV {
			t.Errorf("key %d: schema max version %d, kmsg %d", key, a.maxV, want)
		}
		for v := 0; v <= a.maxV; v++ {
			for _, filled := range []bool{false, true} {
				req := kmsg.RequestForKey(key)
				req.SetVersion(int16(v))
				if filled {
					fill(reflect.ValueOf(req))
					req.SetVersion(int16(v))
				}
				b := frame(req)
				if err := Check(b); err != nil {
					t.Errorf("%s v%d (filled %v): %v", kmsg.Key(key).Name(), v, filled, err)
					continue
				}
				// The walk must end exactly where kmsg's encoding ends.
				w := walker{b: b[10+2:], v: v, flex: a.flexMin >= 0 && v >= a.flexMin}
				if w.flex {
					w.tags(nil)
				}
				w.walk(a.root)
				if w.err != nil || w.off != len(w.b) {
					t.Errorf("%s v%d (filled %v): walked %d of %d bytes (%v)", kmsg.Key(key).Name(), v, filled, w.off, len(w.b), w.err)
				}
				n++
			}
		}
	}
	t.Logf("%d request encodings walked", n)
}

func TestAbsurdCountsAreRejected(t *testing.T) {
	hdr := func(key, version int16) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(key))
		b = binary.BigEndian.AppendUint16(b, uint16(version))
		b = binary.BigEndian.AppendUint32(b, 1)
		return binary.BigEndian.AppendUint16(b, 0xffff)
	}
	tags := []byte{0xff, 0xff, 0xff, 0xff, 0x07} // 2^31-1
	for name, b := range map[string][]byte{
		"header tags":          append(hdr(18, 3), tags...),
		"body tags":            append(hdr(18, 3), append([]byte{0, 1, 0, 1, 0}, tags...)...),
		"array longer than in": append(hdr(3, 1), 0x7f, 0xff, 0xff, 0xff),
		"compact array":        append(hdr(3, 12), 0, 0xff, 0xff, 0xff, 0x0f),
		"nested struct tags":   append(hdr(3, 12), append([]byte{0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0}, tags...)...),
		"tagged field size":    append(hdr(18, 3), 0, 1, 0, 0x20),
	} {
		if err := Check(b); err == nil {
			t.Errorf("%s: accepted % x", name, b)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, key := range []int16{0, 1, 3, 18, 19, 36, 68} {
		req := kmsg.RequestForKey(key)
		req.SetVersion(req.MaxVersion())
		fill(reflect.ValueOf(req))
		req.SetVersion(req.MaxVersion())
		f.Add(frame(req))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b)
		if err != nil || len(b) < 10 {
			return
		}
		// What passes must not make kmsg loop: decode it and bound the
		// work by timing nothing, only by finishing (the fuzzer's
		// per-input timeout catches a runaway).
		key := int16(binary.BigEndian.Uint16(b))
		req := kmsg.RequestForKey(key)
		if req == nil {
			return
		}
		version := int16(binary.BigEndian.Uint16(b[2:]))
		req.SetVersion(version)
		w := walker{b: b}
		w.fixed(8)
		if n := int16(w.fixed(2)); n > 0 {
			w.skip(int(n))
		}
		if w.err != nil {
			return
		}
		if req.IsFlexible() {
			w.tags(nil)
		}
		if w.err == nil {
			_ = req.ReadFrom(b[w.off:])
		}
	})
}

// BenchmarkParse is the cost the schemas add to a program's start.
func BenchmarkParse(b *testing.B) {
	load()
	for i := 0; i < b.N; i++ {
		apis, named, enumInt = map[int16]*api{}, map[string]*typ{}, map[string]int{}
		if err := parse(defs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckProduce is the per-request cost on the hot path.
func BenchmarkCheckProduce(b *testing.B) {
	req := kmsg.NewPtrProduceRequest()
	req.Version = 11
	fill(reflect.ValueOf(req))
	req.Version = 11
	req.Topics[0].Partitions[0].Records = make([]byte, 16<<10)
	f := frame(req)
	b.SetBytes(int64(len(f)))
	for i := 0; i < b.N; i++ {
		if err := Check(f); err != nil {
			b.Fatal(err)
		}
	}
}
