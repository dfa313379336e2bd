package pulsarfake

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
)

// The schema routes beyond get/post/delete: all versions, the version of a
// given schema and the compatibility test.

func (s *Server) adminSchemaRoutes(h func(string, func(*http.Request) (any, error))) {
	base := "/admin/v2/schemas/{tenant}/{ns}/{topic}/"
	h("GET "+base+"schemas", s.adminAllSchemas)
	h("POST "+base+"version", s.adminSchemaVersion)
	h("POST "+base+"compatibility", s.adminSchemaCompatibility)
}

// schemaTime is when the admin API first saw a schema version, which the
// broker answers as its timestamp.
func (s *Server) schemaTime(base string, v int) int64 {
	key := "schemaTimestamp:" + strconv.Itoa(v)
	if raw, ok := s.policies.get(base, key); ok {
		n, _ := strconv.ParseInt(string(raw), 10, 64)
		return n
	}
	now := s.opts.clock.Now().UnixMilli()
	s.policies.set(base, key, []byte(strconv.FormatInt(now, 10)))
	return now
}

// schemaJSON is one version as GET answers it.
func (s *Server) schemaJSON(base string, v int, sc *wire.Schema) map[string]any {
	return map[string]any{"version": v, "type": schemaTypeNames[sc.GetType()], "timestamp": s.schemaTime(base, v),
		"data": string(sc.GetSchemaData()), "properties": kvMap(sc.Properties)}
}

func (s *Server) schemaVersions(base string) []*wire.Schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	if log := s.schemas[base]; log != nil {
		return append([]*wire.Schema(nil), log.versions...)
	}
	return nil
}

func (s *Server) adminAllSchemas(r *http.Request) (any, error) {
	name, err := schemaTopic(r)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for v, sc := range s.schemaVersions(name.Base) {
		out = append(out, s.schemaJSON(name.Base, v, sc))
	}
	return map[string]any{"getSchemaResponses": out}, nil
}

// postedSchema reads the topic of a schema route and the
// PostSchemaPayload it was sent.
func postedSchema(r *http.Request) (topicName, *wire.Schema, error) {
	name, err := schemaTopic(r)
	if err != nil {
		return name, nil, err
	}
	var payload struct {
		Type       string            `json:"type"`
		Schema     string            `json:"schema"`
		Properties map[string]string `json:"properties"`
	}
	if err := decodeBody(r, &payload); err != nil {
		return name, nil, err
	}
	for k, v := range schemaTypeNames {
		if v == strings.ToUpper(payload.Type) {
			sc := &wire.Schema{Name: &name.Local, Type: &k, SchemaData: []byte(payload.Schema)}
			for pk, pv := range payload.Properties {
				sc.Properties = append(sc.Properties, &wire.KeyValue{Key: &pk, Value: &pv})
			}
			return name, sc, nil
		}
	}
	return name, nil, herr(http.StatusBadRequest, "unknown schema type %q", payload.Type)
}

func (s *Server) adminSchemaVersion(r *http.Request) (any, error) {
	name, sc, err := postedSchema(r)
	if err != nil {
		return nil, err
	}
	for v, have := range s.schemaVersions(name.Base) {
		if have.GetType() == sc.GetType() && bytes.Equal(have.GetSchemaData(), sc.GetSchemaData()) {
			return map[string]int64{"version": int64(v)}, nil
		}
	}
	return nil, herr(http.StatusNotFound, "Not found version")
}

// adminSchemaCompatibility answers whether the posted schema could be
// added, under the namespace's strategy or the broker's default FULL.
func (s *Server) adminSchemaCompatibility(r *http.Request) (any, error) {
	name, sc, err := postedSchema(r)
	if err != nil {
		return nil, err
	}
	strategy := "FULL"
	if raw, ok := s.policies.get(name.Namespace, "schemaCompatibilityStrategy"); ok {
		if v := strings.Trim(string(raw), `"`); v != "UNDEFINED" {
			strategy = v
		}
	}
	ok := true
	if versions := s.schemaVersions(name.Base); len(versions) > 0 && strategy != "ALWAYS_COMPATIBLE" {
		ok = checkCompatible(versions[len(versions)-1], sc) == nil
	}
	return map[string]any{"compatibility": ok, "schemaCompatibilityStrategy": strategy}, nil
}
