package schemaregistryfake

import (
	"fmt"
	"net/http"
	"slices"
	"sort"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake/internal/schema"
)

// Reference is a schema reference as the registry's JSON spells it.
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// schemaRec is one global schema id: the same text (with the same type and
// references) gets the same id in every subject.
type schemaRec struct {
	id     int
	typ    string
	text   string
	refs   []Reference
	parsed *schema.Parsed
	key    string
}

type version struct {
	num     int
	schema  *schemaRec
	deleted bool // soft-deleted
}

type subject struct {
	versions []*version // ascending num
	level    string     // "" = the global level
}

func (s *subject) live() []*version {
	var out []*version
	for _, v := range s.versions {
		if !v.deleted {
			out = append(out, v)
		}
	}
	return out
}

func (s *subject) find(num int) *version {
	for _, v := range s.versions {
		if v.num == num {
			return v
		}
	}
	return nil
}

// store is the registry's state; the Server's mutex guards it.
type store struct {
	nextID   int
	byID     map[int]*schemaRec
	byKey    map[string]*schemaRec
	subjects map[string]*subject
	level    string
}

func newStore() *store {
	return &store{nextID: 1, byID: map[int]*schemaRec{}, byKey: map[string]*schemaRec{},
		subjects: map[string]*subject{}, level: schema.DefaultLevel}
}

func schemaKey(typ, text string, refs []Reference) string {
	return fmt.Sprintf("%s\x00%s\x00%v", typ, schema.Canonical(typ, text), refs)
}

// resolve builds the parse input for a schema, following references to
// stored versions (soft-deleted ones still resolve, as in the registry).
func (st *store) resolve(typ, text string, refs []Reference, depth int) (schema.Source, *apiError) {
	src := schema.Source{Type: typ, Text: text}
	if depth > 32 {
		return src, errInvalidSchema("references nested too deep")
	}
	for _, r := range refs {
		sub := st.subjects[r.Subject]
		if sub == nil {
			return src, errInvalidSchema(fmt.Sprintf("reference %q: subject %q not found", r.Name, r.Subject))
		}
		v := sub.find(r.Version)
		if r.Version == -1 && len(sub.live()) > 0 {
			v = sub.live()[len(sub.live())-1]
		}
		if v == nil {
			return src, errInvalidSchema(fmt.Sprintf("reference %q: version %d of %q not found", r.Name, r.Version, r.Subject))
		}
		rs, err := st.resolve(v.schema.typ, v.schema.text, v.schema.refs, depth+1)
		if err != nil {
			return src, err
		}
		src.Refs = append(src.Refs, schema.Named{Name: r.Name, Src: rs})
	}
	return src, nil
}

// candidate parses a schema from a request body.
func (st *store) candidate(req *schemaRequest) (*schemaRec, *apiError) {
	typ := req.SchemaType
	if typ == "" {
		typ = schema.Avro
	}
	src, aerr := st.resolve(typ, req.Schema, req.References, 0)
	if aerr != nil {
		return nil, aerr
	}
	p, err := schema.Parse(src)
	if err != nil {
		return nil, errInvalidSchema(fmt.Sprintf("%s, details: %v", truncate(req.Schema, 200), err))
	}
	return &schemaRec{typ: typ, text: req.Schema, refs: req.References, parsed: p,
		key: schemaKey(typ, req.Schema, req.References)}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (st *store) levelOf(name string) string {
	if s := st.subjects[name]; s != nil && s.level != "" {
		return s.level
	}
	return st.level
}

// register adds c under name, or returns the version it already has there.
func (st *store) register(name string, c *schemaRec) (*schemaRec, *apiError) {
	sub := st.subjects[name]
	if sub == nil {
		sub = &subject{}
	}
	live := sub.live()
	for _, v := range live {
		if v.schema.key == c.key {
			return v.schema, nil
		}
	}
	var prev []*schema.Parsed
	for _, v := range live {
		prev = append(prev, v.schema.parsed)
	}
	if msgs := schema.Check(st.levelOf(name), c.parsed, prev); len(msgs) > 0 {
		return nil, &apiError{http.StatusConflict, codeIncompatible, fmt.Sprintf(
			"Schema being registered is incompatible with an earlier schema for subject \"%s\", details: %v", name, msgs)}
	}
	rec := st.byKey[c.key]
	if rec == nil {
		rec = c
		rec.id = st.nextID
		st.nextID++
		st.byID[rec.id] = rec
		st.byKey[rec.key] = rec
	}
	num := 1
	if n := len(sub.versions); n > 0 {
		num = sub.versions[n-1].num + 1
	}
	sub.versions = append(sub.versions, &version{num: num, schema: rec})
	st.subjects[name] = sub
	return rec, nil
}

// subject returns name's subject when it has a version visible with
// deleted (soft-deleted ones count when deleted is true).
func (st *store) subject(name string, deleted bool) (*subject, *apiError) {
	sub := st.subjects[name]
	if sub == nil || (!deleted && len(sub.live()) == 0) {
		return nil, errSubjectNotFound(name)
	}
	return sub, nil
}

// version resolves a version path element ("latest", -1 or 1..2^31-1).
func (st *store) version(name, v string, deleted bool) (*version, *apiError) {
	num, latest, aerr := parseVersion(v)
	if aerr != nil {
		return nil, aerr
	}
	sub, aerr := st.subject(name, deleted)
	if aerr != nil {
		return nil, aerr
	}
	vs := sub.versions
	if !deleted {
		vs = sub.live()
	}
	if latest {
		if len(vs) == 0 {
			return nil, errVersionNotFound(-1)
		}
		return vs[len(vs)-1], nil
	}
	for _, x := range vs {
		if x.num == num {
			return x, nil
		}
	}
	return nil, errVersionNotFound(num)
}

// referencedBy reports whether a live version anywhere references name@num.
func (st *store) referencedBy(name string, num int) bool {
	for _, sub := range st.subjects {
		for _, v := range sub.live() {
			for _, r := range v.schema.refs {
				if r.Subject == name && r.Version == num {
					return true
				}
			}
		}
	}
	return false
}

func (st *store) deleteSubject(name string, permanent bool) ([]int, *apiError) {
	sub := st.subjects[name]
	if sub == nil {
		return nil, errSubjectNotFound(name)
	}
	live := sub.live()
	if !permanent && len(live) == 0 {
		return nil, &apiError{http.StatusNotFound, codeSubjectSoftDeleted, fmt.Sprintf(
			"Subject '%s' was soft deleted.Set permanent=true to delete permanently", name)}
	}
	if permanent && len(live) > 0 {
		return nil, &apiError{http.StatusNotFound, codeSubjectNotSoftDeleted, fmt.Sprintf(
			"Subject '%s' was not deleted first before being permanently deleted", name)}
	}
	out := []int{}
	for _, v := range sub.versions {
		if st.referencedBy(name, v.num) {
			return nil, &apiError{http.StatusUnprocessableEntity, codeReferenceExists, fmt.Sprintf(
				"One or more references exist to the schema {subject=%s,version=%d}.", name, v.num)}
		}
	}
	for _, v := range sub.versions {
		if permanent || !v.deleted {
			out = append(out, v.num)
		}
		v.deleted = true
	}
	if permanent {
		delete(st.subjects, name)
	}
	return out, nil
}

func (st *store) deleteVersion(name, v string, permanent bool) (int, *apiError) {
	num, latest, aerr := parseVersion(v)
	if aerr != nil {
		return 0, aerr
	}
	sub := st.subjects[name]
	if sub == nil {
		return 0, errSubjectNotFound(name)
	}
	var ver *version
	if latest {
		if live := sub.live(); len(live) > 0 {
			ver = live[len(live)-1]
		}
	} else {
		ver = sub.find(num)
	}
	if ver == nil {
		return 0, errVersionNotFound(num)
	}
	if !permanent && ver.deleted {
		return 0, &apiError{http.StatusNotFound, codeVersionSoftDeleted, fmt.Sprintf(
			"Subject '%s' Version %d was soft deleted.Set permanent=true to delete permanently", name, ver.num)}
	}
	if permanent && !ver.deleted {
		return 0, &apiError{http.StatusNotFound, codeVersionNotSoftDeleted, fmt.Sprintf(
			"Subject '%s' Version %d was not deleted first before being permanently deleted", name, ver.num)}
	}
	if st.referencedBy(name, ver.num) {
		return 0, &apiError{http.StatusUnprocessableEntity, codeReferenceExists, fmt.Sprintf(
			"One or more references exist to the schema {subject=%s,version=%d}.", name, ver.num)}
	}
	ver.deleted = true
	if permanent {
		sub.versions = slices.DeleteFunc(sub.versions, func(x *version) bool { return x == ver })
		if len(sub.versions) == 0 {
			delete(st.subjects, name)
		}
	}
	return ver.num, nil
}

func (st *store) subjectNames(deleted bool) []string {
	out := []string{}
	for name, sub := range st.subjects {
		if deleted || len(sub.live()) > 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
