package schemaregistryfake

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake/internal/schema"
)

const contentType = "application/vnd.schemaregistry.v1+json"

// schemaRequest is the body of register, lookup and compatibility requests.
type schemaRequest struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType,omitempty"`
	References []Reference `json:"references,omitempty"`
}

// schemaBody is a stored schema as responses spell it: schemaType is left
// out for AVRO and references when there are none, as the registry does.
type schemaBody struct {
	Subject    string      `json:"subject,omitempty"`
	Version    int         `json:"version,omitempty"`
	ID         int         `json:"id,omitempty"`
	SchemaType string      `json:"schemaType,omitempty"`
	References []Reference `json:"references,omitempty"`
	Schema     string      `json:"schema"`
}

func body(subject string, v *version, rec *schemaRec) schemaBody {
	b := schemaBody{Subject: subject, ID: rec.id, References: rec.refs, Schema: rec.text}
	if rec.typ != schema.Avro {
		b.SchemaType = rec.typ
	}
	if v != nil {
		b.Version = v.num
	}
	return b
}

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/", s.handle(func(r *http.Request) (any, *apiError) { return nil, errHTTP(http.StatusNotFound) }))
	m.HandleFunc("/{$}", s.handle(method("GET", func(r *http.Request) (any, *apiError) { return map[string]any{}, nil })))
	m.HandleFunc("/subjects", s.handle(method("GET", s.listSubjects)))
	m.HandleFunc("/subjects/{subject}", s.handle(func(r *http.Request) (any, *apiError) {
		switch r.Method {
		case http.MethodPost:
			return s.lookup(r)
		case http.MethodDelete:
			return s.deleteSubject(r)
		}
		return nil, errHTTP(http.StatusMethodNotAllowed)
	}))
	m.HandleFunc("/subjects/{subject}/versions", s.handle(func(r *http.Request) (any, *apiError) {
		switch r.Method {
		case http.MethodGet:
			return s.listVersions(r)
		case http.MethodPost:
			return s.register(r)
		}
		return nil, errHTTP(http.StatusMethodNotAllowed)
	}))
	m.HandleFunc("/subjects/{subject}/versions/{version}", s.handle(func(r *http.Request) (any, *apiError) {
		switch r.Method {
		case http.MethodGet:
			return s.getVersion(r, false)
		case http.MethodDelete:
			return s.deleteVersion(r)
		}
		return nil, errHTTP(http.StatusMethodNotAllowed)
	}))
	m.HandleFunc("/subjects/{subject}/versions/{version}/schema", s.handle(method("GET", func(r *http.Request) (any, *apiError) {
		return s.getVersion(r, true)
	})))
	m.HandleFunc("/subjects/{subject}/versions/{version}/referencedby", s.handle(method("GET", s.referencedBy)))
	m.HandleFunc("/schemas/types", s.handle(method("GET", func(r *http.Request) (any, *apiError) {
		return []string{schema.JSON, schema.Protobuf, schema.Avro}, nil
	})))
	m.HandleFunc("/schemas/ids/{id}", s.handle(method("GET", s.schemaByID)))
	m.HandleFunc("/schemas/ids/{id}/{what}", s.handle(method("GET", s.schemaByID)))
	m.HandleFunc("/config", s.handle(s.config))
	m.HandleFunc("/config/{subject}", s.handle(s.config))
	m.HandleFunc("/compatibility/subjects/{subject}/versions", s.handle(method("POST", s.compatibility)))
	m.HandleFunc("/compatibility/subjects/{subject}/versions/{version}", s.handle(method("POST", s.compatibility)))
	m.HandleFunc("/mode", s.handle(method("GET", mode)))
	m.HandleFunc("/mode/{subject}", s.handle(method("GET", mode)))
	return m
}

// mode is always READWRITE: the fake has no import or read-only modes.
func mode(*http.Request) (any, *apiError) { return map[string]string{"mode": "READWRITE"}, nil }

func method(m string, h func(*http.Request) (any, *apiError)) func(*http.Request) (any, *apiError) {
	return func(r *http.Request) (any, *apiError) {
		if r.Method != m {
			return nil, errHTTP(http.StatusMethodNotAllowed)
		}
		return h(r)
	}
}

// handle authenticates, serialises the store and writes the answer or the
// registry's error body.
func (s *Server) handle(h func(*http.Request) (any, *apiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="SchemaRegistry"`)
			writeJSON(w, http.StatusUnauthorized, &apiError{Code: http.StatusUnauthorized, Message: "Unauthorized"})
			return
		}
		s.mu.Lock()
		out, aerr := h(r)
		if aerr == nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
			aerr = s.saveLocked()
		}
		s.mu.Unlock()
		if aerr != nil {
			s.cfg.logger.Debug("schemaregistryfake: request failed", "method", r.Method, "path", r.URL.Path, "code", aerr.Code)
			writeJSON(w, aerr.Status, aerr)
			return
		}
		if raw, ok := out.(rawSchema); ok {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, string(raw))
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// rawSchema is an answer written as is: the .../schema endpoints return the
// schema text itself.
type rawSchema string

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) authorized(r *http.Request) bool {
	if len(s.cfg.users) == 0 {
		return true
	}
	u, p, ok := r.BasicAuth()
	return ok && s.cfg.users[u] == p && p != ""
}

func flag(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

// decode reads a JSON request body; malformed JSON is a 400 as in the
// registry's JSON layer, an unknown field a 422.
func decode(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(io.LimitReader(r.Body, 4*schema.MaxBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return &apiError{http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, "Unrecognized field: " + strings.TrimPrefix(err.Error(), "json: unknown field ")}
		}
		return &apiError{http.StatusBadRequest, http.StatusBadRequest, "Unexpected character: " + err.Error()}
	}
	return nil
}

// decodeSchema reads a schema request, tolerating the fields newer clients
// send that the fake does not keep (metadata, ruleSet, id, version).
func decodeSchema(r *http.Request) (*schemaRequest, *apiError) {
	var raw map[string]json.RawMessage
	if aerr := decode(r, &raw); aerr != nil {
		return nil, aerr
	}
	var req schemaRequest
	for k, v := range raw {
		var err error
		switch k {
		case "schema":
			err = json.Unmarshal(v, &req.Schema)
		case "schemaType":
			err = json.Unmarshal(v, &req.SchemaType)
		case "references":
			err = json.Unmarshal(v, &req.References)
		case "metadata", "ruleSet", "id", "version", "subject", "guid", "schemaTagsToAdd", "schemaTagsToRemove", "propagateSchemaTags":
		default:
			return nil, &apiError{http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, "Unrecognized field: " + k}
		}
		if err != nil {
			return nil, &apiError{http.StatusBadRequest, http.StatusBadRequest, fmt.Sprintf("field %s: %v", k, err)}
		}
	}
	req.SchemaType = strings.ToUpper(req.SchemaType)
	if req.SchemaType != "" && !slices.Contains([]string{schema.Avro, schema.JSON, schema.Protobuf}, req.SchemaType) {
		return nil, errInvalidSchema("type " + req.SchemaType)
	}
	if req.Schema == "" {
		return nil, &apiError{http.StatusUnprocessableEntity, codeInvalidSchema, "Empty schema"}
	}
	return &req, nil
}

// parseVersion accepts what the registry accepts in a version path element.
func parseVersion(v string) (num int, latest bool, aerr *apiError) {
	if v == "latest" || v == "-1" {
		return 0, true, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > math.MaxInt32 {
		return 0, false, errInvalidVersion(v)
	}
	return int(n), false, nil
}

func (s *Server) listSubjects(r *http.Request) (any, *apiError) {
	names := s.st.subjectNames(flag(r, "deleted"))
	if p := r.URL.Query().Get("subjectPrefix"); p != "" {
		names = slices.DeleteFunc(names, func(n string) bool { return !strings.HasPrefix(n, p) })
	}
	return names, nil
}

func (s *Server) listVersions(r *http.Request) (any, *apiError) {
	deleted := flag(r, "deleted")
	sub, aerr := s.st.subject(r.PathValue("subject"), deleted)
	if aerr != nil {
		return nil, aerr
	}
	out := []int{}
	for _, v := range sub.versions {
		if deleted || !v.deleted {
			out = append(out, v.num)
		}
	}
	return out, nil
}

func (s *Server) getVersion(r *http.Request, raw bool) (any, *apiError) {
	name := r.PathValue("subject")
	v, aerr := s.st.version(name, r.PathValue("version"), flag(r, "deleted"))
	if aerr != nil {
		return nil, aerr
	}
	if raw {
		return rawSchema(v.schema.text), nil
	}
	return body(name, v, v.schema), nil
}

func (s *Server) referencedBy(r *http.Request) (any, *apiError) {
	name := r.PathValue("subject")
	v, aerr := s.st.version(name, r.PathValue("version"), false)
	if aerr != nil {
		return nil, aerr
	}
	ids := []int{}
	for _, sub := range s.st.subjects {
		for _, x := range sub.live() {
			for _, ref := range x.schema.refs {
				if ref.Subject == name && ref.Version == v.num && !slices.Contains(ids, x.schema.id) {
					ids = append(ids, x.schema.id)
				}
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (s *Server) register(r *http.Request) (any, *apiError) {
	req, aerr := decodeSchema(r)
	if aerr != nil {
		return nil, aerr
	}
	c, aerr := s.st.candidate(req)
	if aerr != nil {
		return nil, aerr
	}
	rec, aerr := s.st.register(r.PathValue("subject"), c)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]int{"id": rec.id}, nil
}

func (s *Server) lookup(r *http.Request) (any, *apiError) {
	name := r.PathValue("subject")
	req, aerr := decodeSchema(r)
	if aerr != nil {
		return nil, aerr
	}
	deleted := flag(r, "deleted")
	sub, aerr := s.st.subject(name, deleted)
	if aerr != nil {
		return nil, aerr
	}
	c, aerr := s.st.candidate(req)
	if aerr != nil {
		return nil, aerr
	}
	for i := len(sub.versions) - 1; i >= 0; i-- {
		v := sub.versions[i]
		if (deleted || !v.deleted) && v.schema.key == c.key {
			return body(name, v, v.schema), nil
		}
	}
	return nil, errSchemaNotFound("Schema not found")
}

func (s *Server) deleteSubject(r *http.Request) (any, *apiError) {
	return s.st.deleteSubject(r.PathValue("subject"), flag(r, "permanent"))
}

func (s *Server) deleteVersion(r *http.Request) (any, *apiError) {
	return s.st.deleteVersion(r.PathValue("subject"), r.PathValue("version"), flag(r, "permanent"))
}

func (s *Server) schemaByID(r *http.Request) (any, *apiError) {
	id, err := strconv.Atoi(r.PathValue("id"))
	rec := s.st.byID[id]
	if err != nil || rec == nil {
		return nil, errSchemaNotFound(fmt.Sprintf("Schema %s not found", r.PathValue("id")))
	}
	switch r.PathValue("what") {
	case "":
		return body("", nil, rec), nil
	case "schema":
		return rawSchema(rec.text), nil
	case "subjects", "versions":
		return s.usesOf(rec, r.PathValue("what") == "subjects", flag(r, "deleted")), nil
	}
	return nil, errHTTP(http.StatusNotFound)
}

type subjectVersion struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

func (s *Server) usesOf(rec *schemaRec, names, deleted bool) any {
	subs := []string{}
	pairs := []subjectVersion{}
	for _, name := range s.st.subjectNames(true) {
		for _, v := range s.st.subjects[name].versions {
			if v.schema == rec && (deleted || !v.deleted) {
				pairs = append(pairs, subjectVersion{name, v.num})
				if !slices.Contains(subs, name) {
					subs = append(subs, name)
				}
			}
		}
	}
	if names {
		return subs
	}
	return pairs
}

func (s *Server) config(r *http.Request) (any, *apiError) {
	name, scoped := r.PathValue("subject"), r.PathValue("subject") != ""
	switch r.Method {
	case http.MethodGet:
		if !scoped {
			return map[string]string{"compatibilityLevel": s.st.level}, nil
		}
		if sub := s.st.subjects[name]; sub != nil && sub.level != "" {
			return map[string]string{"compatibilityLevel": sub.level}, nil
		}
		if flag(r, "defaultToGlobal") {
			return map[string]string{"compatibilityLevel": s.st.level}, nil
		}
		return nil, &apiError{http.StatusNotFound, codeSubjectConfigNotFound, fmt.Sprintf(
			"Subject '%s' does not have subject-level compatibility configured", name)}
	case http.MethodPut:
		var req map[string]json.RawMessage
		if aerr := decode(r, &req); aerr != nil {
			return nil, aerr
		}
		var level string
		if raw, ok := req["compatibility"]; ok {
			_ = json.Unmarshal(raw, &level)
		}
		level = strings.ToUpper(level)
		if !slices.Contains(schema.Levels, level) {
			return nil, errInvalidCompatibility()
		}
		if !scoped {
			s.st.level = level
		} else {
			if s.st.subjects[name] == nil {
				s.st.subjects[name] = &subject{}
			}
			s.st.subjects[name].level = level
		}
		return map[string]string{"compatibility": level}, nil
	case http.MethodDelete:
		if !scoped {
			old := s.st.level
			s.st.level = schema.DefaultLevel
			return map[string]string{"compatibilityLevel": old}, nil
		}
		sub := s.st.subjects[name]
		if sub == nil {
			return nil, errSubjectNotFound(name)
		}
		old := sub.level
		if old == "" {
			old = s.st.level
		}
		sub.level = ""
		if len(sub.versions) == 0 {
			delete(s.st.subjects, name)
		}
		return map[string]string{"compatibilityLevel": old}, nil
	}
	return nil, errHTTP(http.StatusMethodNotAllowed)
}

func (s *Server) compatibility(r *http.Request) (any, *apiError) {
	name := r.PathValue("subject")
	req, aerr := decodeSchema(r)
	if aerr != nil {
		return nil, aerr
	}
	var prev []*schema.Parsed
	level := s.st.levelOf(name)
	if vs := r.PathValue("version"); vs != "" {
		num, latest, aerr := parseVersion(vs)
		if aerr != nil {
			return nil, aerr
		}
		v, aerr := s.st.version(name, vs, false)
		if aerr != nil {
			return nil, aerr
		}
		if latest && strings.HasSuffix(level, "_TRANSITIVE") {
			for _, x := range s.st.subjects[name].live() {
				prev = append(prev, x.schema.parsed)
			}
		} else {
			_ = num
			prev = []*schema.Parsed{v.schema.parsed}
			level = strings.TrimSuffix(level, "_TRANSITIVE")
		}
	} else if sub := s.st.subjects[name]; sub != nil {
		for _, x := range sub.live() {
			prev = append(prev, x.schema.parsed)
		}
	}
	c, aerr := s.st.candidate(req)
	if aerr != nil {
		return nil, aerr
	}
	msgs := schema.Check(level, c.parsed, prev)
	out := map[string]any{"is_compatible": len(msgs) == 0}
	if flag(r, "verbose") {
		if msgs == nil {
			msgs = []string{}
		}
		out["messages"] = msgs
	}
	return out, nil
}
