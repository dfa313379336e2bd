package nacosfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/brokerkit/brokerkit/internal/datadir"
)

// Files in a WithDataDir directory: a snapshot of the whole durable state
// and a log of the changes since, each record one entity's new value.
const (
	stateFile = "nacosfake-state.json"
	logFile   = "nacosfake-changes.log"
	// compactAt is the log size that triggers a snapshot; the log may also
	// grow to twice the last snapshot, so compaction stays proportionate.
	compactAt = 4 << 20
)

// state is what WithDataDir keeps across runs: configs and persistent
// instances. Ephemeral instances die with their clients, as in Nacos.
type state struct {
	Configs    []Config      `json:"configs"`
	Instances  []Instance    `json:"instances"`
	Services   []serviceMeta `json:"services,omitempty"`
	Namespaces []Namespace   `json:"namespaces,omitempty"`
}

// serviceMeta is a service created through /v1/ns/service.
type serviceMeta struct {
	Namespace        string            `json:"namespace"`
	Group            string            `json:"group"`
	Name             string            `json:"name"`
	Metadata         map[string]string `json:"metadata,omitempty"`
	ProtectThreshold float64           `json:"protectThreshold,omitempty"`
	Ephemeral        *bool             `json:"ephemeral,omitempty"` // the kind a v2 create fixed
}

// change is one log record: the new value of one entity (nil = removed).
// Replaying a record twice gives the same state, so a crash between a
// snapshot and the log's truncation loses nothing.
type change struct {
	// Config: the key and its new value.
	Config    *configRef `json:"config,omitempty"`
	ConfigVal *Config    `json:"configVal,omitempty"`
	// Namespace: the id and its new value.
	Namespace    string     `json:"namespace,omitempty"`
	NamespaceVal *Namespace `json:"namespaceVal,omitempty"`
	// Service metadata (created through the console API).
	Service    *svcRef      `json:"service,omitempty"`
	ServiceVal *serviceMeta `json:"serviceVal,omitempty"`
	// The persistent instances one owner publishes for a service.
	Owner     string     `json:"owner,omitempty"`
	Instances []Instance `json:"instances,omitempty"`
}

type configRef struct{ Tenant, Group, DataID string }

type svcRef struct{ Namespace, Group, Name string }

// openDataDir locks the data directory, loads the snapshot and replays
// the log after it.
func (s *Server) openDataDir() error {
	d, err := datadir.Open(s.opts.dataDir)
	if err != nil {
		return fmt.Errorf("nacosfake: %w", err)
	}
	if err := s.loadSnapshot(d); err != nil {
		_ = d.Close()
		return err
	}
	l, err := d.OpenLog(logFile, s.opts.syncWrites, s.replay)
	if err != nil {
		_ = d.Close()
		return fmt.Errorf("nacosfake: replaying %s: %w", logFile, err)
	}
	s.gcServicesLocked()
	s.dir, s.changes = d, l
	return nil
}

// closeDataDir closes the log and releases the lock.
func (s *Server) closeDataDir() {
	if s.dir == nil {
		return
	}
	_ = s.changes.Close()
	_ = s.dir.Close()
	s.dir, s.changes = nil, nil
}

// appendLocked writes one change before the client is answered, and
// compacts the log into a snapshot when it has grown.
func (s *Server) appendLocked(c change) {
	if s.changes == nil {
		return
	}
	b, err := json.Marshal(c)
	if err == nil {
		err = s.changes.Append(b)
	}
	if err != nil {
		s.log.Error("persisting a change", "err", err)
		return
	}
	if n := s.changes.Size(); n > compactAt && n > 2*s.snapshotSize {
		s.snapshotLocked()
	}
}

// snapshotLocked writes the whole durable state and empties the log.
func (s *Server) snapshotLocked() {
	if s.changes == nil {
		return
	}
	b, err := json.MarshalIndent(s.stateLocked(), "", "  ")
	if err == nil {
		err = s.dir.WriteFile(stateFile, b)
	}
	if err == nil {
		s.snapshotSize = int64(len(b))
		err = s.changes.Truncate()
	}
	if err != nil {
		s.log.Error("writing a snapshot", "err", err)
	}
}

func (s *Server) stateLocked() state {
	var st state
	for _, c := range s.configs {
		st.Configs = append(st.Configs, *c)
	}
	st.Namespaces = s.namespaceListLocked()
	for _, svc := range s.services {
		if svc.explicit {
			st.Services = append(st.Services, s.serviceMetaLocked(svc))
		}
		for _, in := range svc.instances() {
			if !in.Ephemeral {
				st.Instances = append(st.Instances, *in)
			}
		}
	}
	return st
}

func (s *Server) serviceMetaLocked(svc *service) serviceMeta {
	return serviceMeta{Namespace: svc.key.ns, Group: svc.key.group, Name: svc.key.name,
		Metadata: svc.metadata, ProtectThreshold: svc.protectThreshold, Ephemeral: svc.declaredEphemeral}
}

// persistConfigLocked logs the current value of config k.
func (s *Server) persistConfigLocked(k configKey) {
	if s.changes == nil {
		return
	}
	c := change{Config: &configRef{k.tenant, k.group, k.dataID}}
	if v := s.configs[k]; v != nil {
		cp := *v
		c.ConfigVal = &cp
	}
	s.appendLocked(c)
}

// persistNamespaceLocked logs the current value of namespace id.
func (s *Server) persistNamespaceLocked(id string) {
	if s.changes == nil {
		return
	}
	c := change{Namespace: id}
	if v := s.namespaces[id]; v != nil {
		cp := *v
		c.NamespaceVal = &cp
	}
	s.appendLocked(c)
}

// persistServiceLocked logs the console metadata of service k.
func (s *Server) persistServiceLocked(k svcKey) {
	if s.changes == nil {
		return
	}
	c := change{Service: &svcRef{k.ns, k.group, k.name}}
	if svc := s.services[k]; svc != nil && svc.explicit {
		m := s.serviceMetaLocked(svc)
		c.ServiceVal = &m
	}
	s.appendLocked(c)
}

// persistOwnerLocked logs the persistent instances owner publishes for k.
func (s *Server) persistOwnerLocked(k svcKey, owner string) {
	if s.changes == nil {
		return
	}
	c := change{Service: &svcRef{k.ns, k.group, k.name}, Owner: owner, Instances: []Instance{}}
	if svc := s.services[k]; svc != nil {
		for _, in := range svc.owners[owner] {
			if !in.Ephemeral {
				c.Instances = append(c.Instances, *in)
			}
		}
	}
	s.appendLocked(c)
}

// replay applies one log record (at start, before serving).
func (s *Server) replay(rec []byte) error {
	var c change
	if err := json.Unmarshal(rec, &c); err != nil {
		return nil // a valid frame with an unknown shape: skip it
	}
	switch {
	case c.Config != nil:
		k := newConfigKey(c.Config.Tenant, c.Config.Group, c.Config.DataID)
		if c.ConfigVal == nil {
			delete(s.configs, k)
		} else {
			s.configs[k] = c.ConfigVal
		}
	case c.Namespace != "":
		if c.NamespaceVal == nil {
			delete(s.namespaces, c.Namespace)
		} else {
			s.namespaces[c.Namespace] = c.NamespaceVal
		}
	case c.Service != nil && c.Owner != "":
		svc := s.serviceLocked(newSvcKey(c.Service.Namespace, c.Service.Group, c.Service.Name), true)
		if len(c.Instances) == 0 {
			delete(svc.owners, c.Owner)
			break
		}
		insts := make([]*Instance, len(c.Instances))
		for i := range c.Instances {
			insts[i] = &c.Instances[i]
		}
		svc.owners[c.Owner] = insts
	case c.Service != nil:
		svc := s.serviceLocked(newSvcKey(c.Service.Namespace, c.Service.Group, c.Service.Name), true)
		svc.explicit = c.ServiceVal != nil
		if m := c.ServiceVal; m != nil {
			svc.metadata, svc.protectThreshold, svc.declaredEphemeral = m.Metadata, m.ProtectThreshold, m.Ephemeral
		}
	}
	return nil
}

// loadSnapshot reads the snapshot, if any.
func (s *Server) loadSnapshot(d *datadir.Dir) error {
	b, err := d.ReadFile(stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("nacosfake: reading data dir: %w", err)
	}
	s.snapshotSize = int64(len(b))
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("nacosfake: corrupt state file: %w", err)
	}
	for i := range st.Configs {
		c := st.Configs[i]
		s.configs[newConfigKey(c.Tenant, c.Group, c.DataID)] = &c
	}
	for i := range st.Namespaces {
		ns := st.Namespaces[i]
		s.namespaces[ns.ID] = &ns
	}
	for _, m := range st.Services {
		svc := s.serviceLocked(newSvcKey(m.Namespace, m.Group, m.Name), true)
		svc.explicit, svc.metadata, svc.protectThreshold, svc.declaredEphemeral = true, m.Metadata, m.ProtectThreshold, m.Ephemeral
	}
	for i := range st.Instances {
		in := st.Instances[i]
		k := newSvcKey(in.Namespace, in.Group, in.Service)
		svc := s.serviceLocked(k, true)
		svc.owners[in.Owner] = append(svc.owners[in.Owner], &in)
	}
	return nil
}

// LoadSeedDir publishes every file under dir laid out as
// <namespace>/<group>/<dataId> ("public" is the default namespace). The
// config type is guessed from the dataId's extension.
func (s *Server) LoadSeedDir(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 3 {
			return fmt.Errorf("nacosfake: seed file %s is not <namespace>/<group>/<dataId>", rel)
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		ns, group, dataID := parts[0], parts[1], parts[2]
		if e := s.checkConfigParams(dataID, group, string(content), true); e != nil {
			return fmt.Errorf("nacosfake: seed file %s: %s", rel, e.msg)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		typ := strings.TrimPrefix(path.Ext(dataID), ".")
		if typ == "yml" {
			typ = "yaml"
		}
		_ = s.publishLocked(Config{Tenant: ns, Group: group, DataID: dataID, Content: string(content), Type: typ}, "", false)
		return nil
	})
}
