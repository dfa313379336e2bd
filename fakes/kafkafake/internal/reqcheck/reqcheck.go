// Package reqcheck walks a Kafka request frame the way kmsg's decoder does,
// without decoding it, and rejects counts the bytes cannot hold.
//
// kmsg reads a tagged-field section as "for n := count; n > 0; n--" and keeps
// looping once the bytes run out, so a 15-byte request claiming 2^31-1 tagged
// fields costs tens of seconds of CPU. Kafka's generated readers fail such a
// request at once (a buffer underflow) and the broker closes the connection.
// Check is linear in the frame's size: every count is checked against the
// bytes left before anything loops on it.
//
// The schemas are franz-go's own definitions (requests.txt), the source kmsg
// is generated from, so the walk follows kmsg's field order and versions.
package reqcheck

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

//go:embed requests.txt
var defs string

type kind uint8

const (
	kFixed kind = iota + 1
	kString
	kBytes
	kVarint
	kVarintBytes
	kArray
	kStruct
	kNullableStruct
	kNamed
)

type typ struct {
	kind   kind
	size   int     // kFixed
	elem   *typ    // kArray
	fields []field // kStruct, kNullableStruct
	name   string  // kNamed, resolved by walk
}

type field struct {
	t          *typ
	minV, maxV int // maxV < 0: no upper bound
	tag        int // < 0: not tagged
}

func (f *field) in(v int) bool { return v >= f.minV && (f.maxV < 0 || v <= f.maxV) }

type api struct {
	maxV    int
	flexMin int // < 0: never flexible
	root    *typ
}

var (
	apis    = map[int16]*api{}
	named   = map[string]*typ{}
	enumInt = map[string]int{}
)

// Error is what Check returns for a frame Kafka would fail to parse.
type Error struct{ msg string }

func (e *Error) Error() string { return "malformed request: " + e.msg }

func bad(format string, args ...any) error { return &Error{fmt.Sprintf(format, args...)} }

// Known reports whether a schema exists for the API key.
func Known(key int16) bool { load(); return apis[key] != nil }

// MaxVersion returns the highest version the schema knows for key, or -1.
func MaxVersion(key int16) int {
	load()
	if a := apis[key]; a != nil {
		return a.maxV
	}
	return -1
}

// Check walks one request frame body (from the API key on, without the
// length prefix): the header, then the request of that key and version. It
// returns nil for keys it has no schema for.
func Check(body []byte) error {
	load()
	w := walker{b: body}
	key := int16(w.fixed(2))
	version := int(int16(w.fixed(2)))
	w.fixed(4) // correlation ID
	if n := int16(w.fixed(2)); n > 0 {
		w.skip(int(n)) // client ID; header strings are never compact
	}
	if w.err != nil {
		return w.err
	}
	a := apis[key]
	if a == nil {
		return nil
	}
	w.v, w.flex = version, a.flexMin >= 0 && version >= a.flexMin
	if w.flex {
		w.tags(nil) // request header v2
	}
	w.walk(a.root)
	return w.err
}

type walker struct {
	b    []byte
	off  int
	v    int
	flex bool
	err  error
}

func (w *walker) left() int { return len(w.b) - w.off }

func (w *walker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
	w.off = len(w.b)
}

func (w *walker) skip(n int) {
	if w.err != nil {
		return
	}
	if n < 0 || n > w.left() {
		w.fail(bad("%d bytes claimed, %d left", n, w.left()))
		return
	}
	w.off += n
}

func (w *walker) fixed(n int) uint64 {
	if w.err != nil {
		return 0
	}
	if n > w.left() {
		w.fail(bad("truncated"))
		return 0
	}
	var v uint64
	for _, c := range w.b[w.off : w.off+n] {
		v = v<<8 | uint64(c)
	}
	w.off += n
	return v
}

// uvarint reads an unsigned varint of at most max bytes, as kbin does.
func (w *walker) uvarint(max int) uint64 {
	if w.err != nil {
		return 0
	}
	var v uint64
	for i := 0; i < max; i++ {
		if w.off >= len(w.b) {
			break
		}
		c := w.b[w.off]
		w.off++
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v
		}
	}
	w.fail(bad("bad varint"))
	return 0
}

// length reads a string, bytes or array length; -1 is null.
func (w *walker) length(compact bool, width int) int {
	if compact {
		return int(w.uvarint(5)) - 1
	}
	switch width {
	case 2:
		return int(int16(w.fixed(2)))
	default:
		return int(int32(w.fixed(4)))
	}
}

func (w *walker) walk(t *typ) {
	if w.err != nil {
		return
	}
	switch t.kind {
	case kFixed:
		w.skip(t.size)
	case kString:
		if n := w.length(w.flex, 2); n > 0 {
			w.skip(n)
		}
	case kBytes:
		if n := w.length(w.flex, 4); n > 0 {
			w.skip(n)
		}
	case kVarint:
		w.uvarint(10)
	case kVarintBytes:
		if n := zigzag(w.uvarint(5)); n > 0 {
			w.skip(int(n))
		}
	case kArray:
		n := w.length(w.flex, 4)
		if n > w.left() {
			w.fail(bad("array of %d elements, %d bytes left", n, w.left()))
			return
		}
		for i := 0; i < n && w.err == nil; i++ {
			w.walk(t.elem)
		}
	case kNullableStruct:
		if int8(w.fixed(1)) == -1 {
			return
		}
		w.fields(t.fields)
	case kStruct:
		w.fields(t.fields)
	case kNamed:
		nt := named[t.name]
		if nt == nil {
			w.fail(fmt.Errorf("reqcheck: no schema for %s", t.name))
			return
		}
		w.walk(nt)
	}
}

func zigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func (w *walker) fields(fs []field) {
	for i := range fs {
		f := &fs[i]
		if f.tag < 0 && f.in(w.v) {
			w.walk(f.t)
		}
	}
	if w.flex {
		w.tags(fs)
	}
}

// tags walks a tagged-field section; known tags are walked by their type,
// as kmsg decodes them.
func (w *walker) tags(fs []field) {
	n := w.uvarint(5)
	if w.err != nil {
		return
	}
	if n > uint64(w.left()) {
		w.fail(bad("%d tagged fields claimed, %d bytes left", n, w.left()))
		return
	}
	for ; n > 0 && w.err == nil; n-- {
		tag := w.uvarint(5)
		size := int(w.uvarint(5))
		if w.err != nil {
			return
		}
		if size > w.left() {
			w.fail(bad("tagged field of %d bytes, %d left", size, w.left()))
			return
		}
		var known *field
		for i := range fs {
			if fs[i].tag >= 0 && uint64(fs[i].tag) == tag && fs[i].in(w.v) {
				known = &fs[i]
			}
		}
		if known == nil {
			w.off += size
			continue
		}
		sub := walker{b: w.b[w.off : w.off+size], v: w.v, flex: w.flex}
		sub.walk(known.t)
		if sub.err != nil {
			w.fail(sub.err)
			return
		}
		w.off += size
	}
}

var (
	reAPI     = regexp.MustCompile(`^(\w+)Request => key (\d+), max version (\d+)(?:, flexible v(\d+)\+)?`)
	reNamed   = regexp.MustCompile(`^(\w+) => not top level, no encoding`)
	reEnum    = regexp.MustCompile(`^(\w+) u?int(8|16|32)\b.*\($`)
	reRange   = regexp.MustCompile(`\bv(\d+)(?:\+|-v(\d+))`)
	reTag     = regexp.MustCompile(`\btag (\d+)`)
	reNullPre = regexp.MustCompile(`^nullable(?:-v\d+\+)?`)
)

type line struct {
	indent int
	text   string
}

var loadOnce sync.Once

// load parses the schemas on first use (about 1 ms), not at program start.
func load() {
	loadOnce.Do(func() {
		if err := parse(defs); err != nil {
			panic("reqcheck: " + err.Error())
		}
	})
}

func parse(src string) error {
	var lines []line
	for _, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		t := strings.TrimLeft(l, " ")
		lines = append(lines, line{len(l) - len(t), t})
		if m := reEnum.FindStringSubmatch(l); m != nil { // enums may follow their use
			bits, _ := strconv.Atoi(m[2])
			enumInt[m[1]] = bits / 8
		}
	}
	for i := 0; i < len(lines); {
		l := lines[i]
		if l.indent != 0 {
			return fmt.Errorf("line %q: unexpected indent", l.text)
		}
		switch {
		case reEnum.MatchString(l.text):
			for i++; i < len(lines) && lines[i].text != ")"; i++ {
			}
			i++
			continue
		case reAPI.MatchString(l.text):
			m := reAPI.FindStringSubmatch(l.text)
			key, _ := strconv.Atoi(m[2])
			maxV, _ := strconv.Atoi(m[3])
			flex := -1
			if m[4] != "" {
				flex, _ = strconv.Atoi(m[4])
			}
			fs, next, err := parseFields(lines, i+1, 2)
			if err != nil {
				return err
			}
			apis[int16(key)] = &api{maxV: maxV, flexMin: flex, root: &typ{kind: kStruct, fields: fs}}
			i = next
		case reNamed.MatchString(l.text):
			m := reNamed.FindStringSubmatch(l.text)
			fs, next, err := parseFields(lines, i+1, 2)
			if err != nil {
				return err
			}
			named[m[1]] = &typ{kind: kStruct, fields: fs}
			i = next
		default:
			return fmt.Errorf("line %q: unknown definition", l.text)
		}
	}
	if len(apis) == 0 {
		return errors.New("no requests")
	}
	return nil
}

// parseFields reads the fields at indent from lines[i:], returning them and
// the index of the first line not part of them.
func parseFields(lines []line, i, indent int) ([]field, int, error) {
	var fs []field
	for i < len(lines) && lines[i].indent >= indent {
		l := lines[i]
		if l.indent > indent {
			return nil, i, fmt.Errorf("line %q: unexpected indent", l.text)
		}
		def, comment, _ := strings.Cut(l.text, "//")
		f := field{minV: 0, maxV: -1, tag: -1}
		if m := reRange.FindStringSubmatch(comment); m != nil {
			f.minV, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				f.maxV, _ = strconv.Atoi(m[2])
			}
		}
		if m := reTag.FindStringSubmatch(comment); m != nil {
			f.tag, _ = strconv.Atoi(m[1])
		}
		_, ts, ok := strings.Cut(def, ":")
		if !ok { // ThrottleMillis, TimeoutMillis
			ts = "int32"
		}
		t, inline, err := parseType(strings.TrimSpace(ts))
		if err != nil {
			return nil, i, fmt.Errorf("line %q: %w", l.text, err)
		}
		i++
		if inline != nil {
			if inline.fields, i, err = parseFields(lines, i, indent+2); err != nil {
				return nil, i, err
			}
		}
		f.t = t
		fs = append(fs, f)
	}
	return fs, i, nil
}

var fixedSizes = map[string]int{
	"bool": 1, "int8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4,
	"int64": 8, "float64": 8, "uuid": 16,
}

// parseType parses a field type; inline is the struct whose fields follow
// on the next, deeper-indented lines.
func parseType(s string) (t, inline *typ, err error) {
	if !strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, '('); i > 0 { // a default value
			s = s[:i]
		}
	}
	nullable := false
	if p := reNullPre.FindString(s); p != "" && (len(s) == len(p) || s[len(p)] == '[' || s[len(p)] == '=') {
		s, nullable = s[len(p):], true
	}
	switch {
	case strings.HasPrefix(s, "["):
		inner := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		elem, in, err := parseType(inner)
		return &typ{kind: kArray, elem: elem}, in, err
	case strings.HasPrefix(s, "=>"):
		t := &typ{kind: kStruct}
		if nullable {
			t.kind = kNullableStruct
		}
		return t, t, nil
	case strings.HasPrefix(s, "nullable-string"), s == "string":
		return &typ{kind: kString}, nil, nil
	case s == "bytes", s == "nullable-bytes":
		return &typ{kind: kBytes}, nil, nil
	case s == "varint", s == "varlong":
		return &typ{kind: kVarint}, nil, nil
	case s == "varint-string", s == "varint-bytes":
		return &typ{kind: kVarintBytes}, nil, nil
	case strings.HasPrefix(s, "enum-"):
		n, ok := enumInt[strings.TrimPrefix(s, "enum-")]
		if !ok {
			return nil, nil, fmt.Errorf("unknown enum %q", s)
		}
		return &typ{kind: kFixed, size: n}, nil, nil
	}
	if n, ok := fixedSizes[s]; ok {
		return &typ{kind: kFixed, size: n}, nil, nil
	}
	if s == "" || strings.ContainsAny(s, " -[]=") {
		return nil, nil, fmt.Errorf("unknown type %q", s)
	}
	return &typ{kind: kNamed, name: s}, nil, nil
}

// HeaderLen returns the length of a request frame body's header (from the
// API key to the end of the header's tagged fields), or -1 if the header is
// malformed or the key unknown.
func HeaderLen(body []byte) int {
	load()
	w := walker{b: body}
	key := int16(w.fixed(2))
	version := int(int16(w.fixed(2)))
	w.fixed(4)
	if n := int16(w.fixed(2)); n > 0 {
		w.skip(int(n))
	}
	a := apis[key]
	if a == nil || w.err != nil {
		return -1
	}
	if a.flexMin >= 0 && version >= a.flexMin {
		w.tags(nil)
	}
	if w.err != nil {
		return -1
	}
	return w.off
}
