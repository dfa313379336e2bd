package pulsarfake

import (
	"sort"
	"strings"
)

// Tenants lists the tenants, sorted.
func (s *Server) Tenants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tenants))
	for t := range s.tenants {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Namespaces lists the namespaces ("tenant/namespace") of a tenant, or of
// every tenant when tenant is "", sorted.
func (s *Server) Namespaces(tenant string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for ns := range s.namespaces {
		if tenant == "" || strings.HasPrefix(ns, tenant+"/") {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}

// SchemaInfo is one version of a topic's schema.
type SchemaInfo struct {
	Version    int
	Type       string // as the admin API names it: STRING, JSON, AVRO, ...
	Data       string
	Properties map[string]string
}

// Schemas returns the schema versions of a topic, oldest first (none when
// the topic has no schema).
func (s *Server) Schemas(topic string) []SchemaInfo {
	name, err := parseTopic(topic)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	log := s.schemas[name.Base]
	if log == nil {
		return nil
	}
	out := make([]SchemaInfo, len(log.versions))
	for i, sc := range log.versions {
		out[i] = SchemaInfo{Version: i, Type: schemaTypeNames[sc.GetType()], Data: string(sc.GetSchemaData()), Properties: kvMap(sc.Properties)}
	}
	return out
}

// Partitions is the number of partitions of a partitioned topic, 0 for a
// non-partitioned or unknown one. Unlike a lookup it creates nothing.
func (s *Server) Partitions(topic string) int {
	name, err := parseTopic(topic)
	if err != nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.partitioned[name.Full]
}
