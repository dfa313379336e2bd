package schemaregistryfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"

	"github.com/brokerkit/brokerkit/internal/datadir"
)

// The registry keeps its schemas in Kafka's _schemas topic; with
// WithDataDir the fake keeps them in one JSON file instead, rewritten
// atomically after every change (a registry holds few schemas).
const snapshotFile = "registry.json"

type snapshot struct {
	NextID   int                        `json:"nextId"`
	Level    string                     `json:"level"`
	Schemas  []snapshotSchema           `json:"schemas"`
	Subjects map[string]snapshotSubject `json:"subjects"`
}

type snapshotSchema struct {
	ID   int         `json:"id"`
	Type string      `json:"type"`
	Text string      `json:"text"`
	Refs []Reference `json:"refs,omitempty"`
}

type snapshotSubject struct {
	Level    string            `json:"level,omitempty"`
	Versions []snapshotVersion `json:"versions"`
}

type snapshotVersion struct {
	Num     int  `json:"num"`
	ID      int  `json:"id"`
	Deleted bool `json:"deleted,omitempty"`
}

func (st *store) snapshot() snapshot {
	sn := snapshot{NextID: st.nextID, Level: st.level, Subjects: map[string]snapshotSubject{}}
	for _, rec := range st.byID {
		sn.Schemas = append(sn.Schemas, snapshotSchema{ID: rec.id, Type: rec.typ, Text: rec.text, Refs: rec.refs})
	}
	slices.SortFunc(sn.Schemas, func(a, b snapshotSchema) int { return a.ID - b.ID })
	for name, sub := range st.subjects {
		ss := snapshotSubject{Level: sub.level}
		for _, v := range sub.versions {
			ss.Versions = append(ss.Versions, snapshotVersion{Num: v.num, ID: v.schema.id, Deleted: v.deleted})
		}
		sn.Subjects[name] = ss
	}
	return sn
}

// restore rebuilds a store from sn: subjects first, so that references
// resolve, then every schema is parsed again.
func restore(sn snapshot) (*store, error) {
	st := newStore()
	st.nextID, st.level = max(sn.NextID, 1), sn.Level
	if st.level == "" {
		st.level = newStore().level
	}
	for _, s := range sn.Schemas {
		rec := &schemaRec{id: s.ID, typ: s.Type, text: s.Text, refs: s.Refs, key: schemaKey(s.Type, s.Text, s.Refs)}
		st.byID[rec.id] = rec
		st.byKey[rec.key] = rec
		st.nextID = max(st.nextID, rec.id+1)
	}
	for name, ss := range sn.Subjects {
		sub := &subject{level: ss.Level}
		for _, v := range ss.Versions {
			rec := st.byID[v.ID]
			if rec == nil {
				return nil, fmt.Errorf("subject %q version %d: schema id %d missing", name, v.Num, v.ID)
			}
			sub.versions = append(sub.versions, &version{num: v.Num, schema: rec, deleted: v.Deleted})
		}
		st.subjects[name] = sub
	}
	for _, rec := range st.byID {
		p, aerr := st.candidate(&schemaRequest{SchemaType: rec.typ, Schema: rec.text, References: rec.refs})
		if aerr != nil {
			return nil, fmt.Errorf("schema id %d: %s", rec.id, aerr.Message)
		}
		rec.parsed = p.parsed
	}
	return st, nil
}

// openDataDir locks dir and loads what an earlier run left there.
func (s *Server) openDataDir(dir string) error {
	d, err := datadir.Open(dir)
	if err != nil {
		return err
	}
	raw, err := d.ReadFile(snapshotFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		_ = d.Close()
		return err
	default:
		var sn snapshot
		err = json.Unmarshal(raw, &sn)
		var st *store
		if err == nil {
			st, err = restore(sn)
		}
		if err != nil {
			_ = d.Close()
			return fmt.Errorf("%s: %w", snapshotFile, err)
		}
		s.st = st
	}
	s.dir = d
	return nil
}

// saveLocked writes the store after a change. A failed write is the
// registry's backend store error (50001): the change is in memory but
// would not survive a restart.
func (s *Server) saveLocked() *apiError {
	if s.dir == nil {
		return nil
	}
	raw, err := json.Marshal(s.st.snapshot())
	if err == nil {
		err = s.dir.WriteFile(snapshotFile, raw)
	}
	if err != nil {
		s.cfg.logger.Error("schemaregistryfake: data dir write failed", "error", err)
		return &apiError{http.StatusInternalServerError, codeStoreError, "Error while storing the schema: " + err.Error()}
	}
	return nil
}
