package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Compatibility Levels, as the registry spells them.
var Levels = []string{"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
	"FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}

const DefaultLevel = "BACKWARD"

// Check checks next against prev (oldest first, live versions only)
// under level and returns the reasons it is incompatible, none if it is.
func Check(level string, next *Parsed, prev []*Parsed) []string {
	if level == "NONE" || len(prev) == 0 {
		return nil
	}
	if !strings.HasSuffix(level, "_TRANSITIVE") {
		prev = prev[len(prev)-1:]
	}
	base := strings.TrimSuffix(level, "_TRANSITIVE")
	var msgs []string
	for i := len(prev) - 1; i >= 0; i-- {
		old := prev[i]
		if old.Type != next.Type {
			msgs = append(msgs, fmt.Sprintf("Incompatible because of different schema type: %s vs %s", next.Type, old.Type))
			continue
		}
		if base == "BACKWARD" || base == "FULL" {
			msgs = append(msgs, readable(next, old)...) // the new schema reads old data
		}
		if base == "FORWARD" || base == "FULL" {
			msgs = append(msgs, readable(old, next)...) // old readers read new data
		}
	}
	return msgs
}

// readable lists why data written with writer cannot be read with reader.
func readable(reader, writer *Parsed) []string {
	switch reader.Type {
	case Avro:
		if err := avro.NewSchemaCompatibility().Compatible(reader.avro, writer.avro); err != nil {
			return []string{err.Error()}
		}
		return nil
	case JSON:
		return jsonReadable(reader.json, writer.json, "#")
	case Protobuf:
		return protoReadable(reader.proto, writer.proto)
	}
	return nil
}

// jsonReadable applies the JSON Schema rules listed in the README: type
// narrowed, enum narrowed, numeric and length bounds narrowed, property added
// to an open content model, property removed from a closed content model,
// required property added without a default; recursing into properties and
// array items.
func jsonReadable(reader, writer any, path string) []string {
	r, _ := reader.(map[string]any)
	w, _ := writer.(map[string]any)
	if r == nil || w == nil {
		if rb, ok := reader.(bool); ok && rb {
			return nil
		}
		if wb, ok := writer.(bool); ok && !wb {
			return nil
		}
		if reader != nil && writer != nil && fmt.Sprint(reader) != fmt.Sprint(writer) {
			return []string{path + ": TYPE_CHANGED"}
		}
		return nil
	}
	var msgs []string
	if !typesCover(jsonTypes(r), jsonTypes(w)) {
		msgs = append(msgs, path+": TYPE_NARROWED")
	}
	if re, ok := r["enum"].([]any); ok {
		we, _ := w["enum"].([]any)
		if we == nil || !allIn(we, re) {
			msgs = append(msgs, path+": ENUM_ARRAY_NARROWED")
		}
	}
	for _, k := range []string{"maxLength", "maximum", "maxItems", "maxProperties"} {
		if narrowed(r[k], w[k], true) {
			msgs = append(msgs, path+": "+k+" narrowed")
		}
	}
	for _, k := range []string{"minLength", "minimum", "minItems", "minProperties"} {
		if narrowed(r[k], w[k], false) {
			msgs = append(msgs, path+": "+k+" narrowed")
		}
	}
	msgs = append(msgs, jsonObject(r, w, path)...)
	if ri, ok := r["items"]; ok {
		msgs = append(msgs, jsonReadable(ri, w["items"], path+"/items")...)
	}
	return msgs
}

func jsonObject(r, w map[string]any, path string) []string {
	var msgs []string
	rp, _ := r["properties"].(map[string]any)
	wp, _ := w["properties"].(map[string]any)
	rClosed := r["additionalProperties"] == false
	wClosed := w["additionalProperties"] == false
	for name, ws := range wp {
		rs, ok := rp[name]
		switch {
		case ok:
			msgs = append(msgs, jsonReadable(rs, ws, path+"/properties/"+name)...)
		case rClosed:
			msgs = append(msgs, path+"/properties/"+name+": PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")
		}
	}
	for name := range rp {
		if _, ok := wp[name]; !ok && !wClosed {
			msgs = append(msgs, path+"/properties/"+name+": PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
		}
	}
	wReq := strSet(w["required"])
	for name := range strSet(r["required"]) {
		if wReq[name] {
			continue
		}
		if ps, ok := rp[name].(map[string]any); ok {
			if _, hasDefault := ps["default"]; hasDefault {
				continue
			}
		}
		msgs = append(msgs, path+"/properties/"+name+": REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
	}
	return msgs
}

func jsonTypes(m map[string]any) []string {
	switch t := m["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, v := range t {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil // any type
}

// typesCover reports whether reader types accept every writer type.
func typesCover(reader, writer []string) bool {
	if reader == nil {
		return true
	}
	if writer == nil {
		return false
	}
	for _, t := range writer {
		if !slices.Contains(reader, t) && !(t == "integer" && slices.Contains(reader, "number")) {
			return false
		}
	}
	return true
}

func allIn(vals, set []any) bool {
	for _, v := range vals {
		found := false
		for _, s := range set {
			if fmt.Sprint(v) == fmt.Sprint(s) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// narrowed reports a bound the reader sets tighter than the writer: max
// smaller (or newly set), min larger (or newly set).
func narrowed(r, w any, isMax bool) bool {
	rv, rok := number(r)
	if !rok {
		return false
	}
	wv, wok := number(w)
	if !wok {
		return true
	}
	if isMax {
		return rv < wv
	}
	return rv > wv
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

func strSet(v any) map[string]bool {
	out := map[string]bool{}
	if l, ok := v.([]any); ok {
		for _, s := range l {
			if str, ok := s.(string); ok {
				out[str] = true
			}
		}
	}
	return out
}

// protoReadable applies the Protobuf rules listed in the README: package
// changed, message removed, field kind / scalar kind / named type changed,
// required field added or removed, field moved into an existing oneof.
func protoReadable(reader, writer protoreflect.FileDescriptor) []string {
	var msgs []string
	if reader.Package() != writer.Package() {
		msgs = append(msgs, "PACKAGE_CHANGED")
	}
	rmsgs := map[protoreflect.FullName]protoreflect.MessageDescriptor{}
	walkMessages(reader.Messages(), func(m protoreflect.MessageDescriptor) { rmsgs[m.FullName()] = m })
	walkMessages(writer.Messages(), func(wm protoreflect.MessageDescriptor) {
		rm, ok := rmsgs[wm.FullName()]
		if !ok {
			msgs = append(msgs, fmt.Sprintf("%s: MESSAGE_REMOVED", wm.FullName()))
			return
		}
		msgs = append(msgs, protoFields(rm, wm)...)
	})
	return msgs
}

func walkMessages(ms protoreflect.MessageDescriptors, f func(protoreflect.MessageDescriptor)) {
	for i := 0; i < ms.Len(); i++ {
		m := ms.Get(i)
		if m.IsMapEntry() {
			continue
		}
		f(m)
		walkMessages(m.Messages(), f)
	}
}

func protoFields(rm, wm protoreflect.MessageDescriptor) []string {
	var msgs []string
	name := string(rm.FullName())
	wf, rf := wm.Fields(), rm.Fields()
	for i := 0; i < wf.Len(); i++ {
		w := wf.Get(i)
		r := rf.ByNumber(w.Number())
		if r == nil {
			if w.Cardinality() == protoreflect.Required {
				msgs = append(msgs, fmt.Sprintf("%s.%d: REQUIRED_FIELD_REMOVED", name, w.Number()))
			}
			continue
		}
		if m := protoFieldChange(r, w); m != "" {
			msgs = append(msgs, fmt.Sprintf("%s.%d: %s", name, w.Number(), m))
		}
		if ro := r.ContainingOneof(); ro != nil && !ro.IsSynthetic() && w.ContainingOneof() == nil &&
			wm.Oneofs().ByName(ro.Name()) != nil {
			msgs = append(msgs, fmt.Sprintf("%s.%d: FIELD_MOVED_TO_EXISTING_ONEOF", name, w.Number()))
		}
	}
	for i := 0; i < rf.Len(); i++ {
		r := rf.Get(i)
		if r.Cardinality() == protoreflect.Required && wf.ByNumber(r.Number()) == nil {
			msgs = append(msgs, fmt.Sprintf("%s.%d: REQUIRED_FIELD_ADDED", name, r.Number()))
		}
	}
	return msgs
}

func protoFieldChange(r, w protoreflect.FieldDescriptor) string {
	rk, wk := fieldKind(r), fieldKind(w)
	if rk != wk {
		return "FIELD_KIND_CHANGED"
	}
	switch rk {
	case "message":
		if r.Message().FullName() != w.Message().FullName() {
			return "FIELD_NAMED_TYPE_CHANGED"
		}
	case "enum":
		if r.Enum().FullName() != w.Enum().FullName() {
			return "FIELD_NAMED_TYPE_CHANGED"
		}
	default:
		if scalarGroup(r.Kind()) != scalarGroup(w.Kind()) {
			return "FIELD_SCALAR_KIND_CHANGED"
		}
	}
	return ""
}

func fieldKind(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return "map"
	case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
		return "message"
	case f.Kind() == protoreflect.EnumKind:
		return "enum"
	}
	return "scalar"
}

// scalarGroup puts wire-compatible scalar kinds together, as protobuf's
// language guide lists them.
func scalarGroup(k protoreflect.Kind) string {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Uint32Kind, protoreflect.Int64Kind,
		protoreflect.Uint64Kind, protoreflect.BoolKind:
		return "varint"
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return "zigzag"
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return "fixed32"
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return "fixed64"
	case protoreflect.StringKind, protoreflect.BytesKind:
		return "bytes"
	}
	return k.String()
}
