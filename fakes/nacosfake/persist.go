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
)

const stateFile = "nacosfake-state.json"

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
}

// persistLocked writes the state file atomically (no-op without a data dir).
func (s *Server) persistLocked() {
	if s.opts.dataDir == "" {
		return
	}
	var st state
	for _, c := range s.configs {
		st.Configs = append(st.Configs, *c)
	}
	st.Namespaces = s.namespaceListLocked()
	for _, svc := range s.services {
		if svc.explicit {
			st.Services = append(st.Services, serviceMeta{Namespace: svc.key.ns, Group: svc.key.group, Name: svc.key.name,
				Metadata: svc.metadata, ProtectThreshold: svc.protectThreshold})
		}
		for _, in := range svc.instances() {
			if !in.Ephemeral {
				st.Instances = append(st.Instances, *in)
			}
		}
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err == nil {
		err = writeFileAtomic(filepath.Join(s.opts.dataDir, stateFile), b)
	}
	if err != nil {
		s.log.Error("persisting state", "err", err)
	}
}

func writeFileAtomic(name string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// load reads the state file, if any.
func (s *Server) load() error {
	b, err := os.ReadFile(filepath.Join(s.opts.dataDir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("nacosfake: reading data dir: %w", err)
	}
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
		svc.explicit, svc.metadata, svc.protectThreshold = true, m.Metadata, m.ProtectThreshold
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
