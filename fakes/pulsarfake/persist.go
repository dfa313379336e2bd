package pulsarfake

func (s *Server) load() error   { return nil }
func (s *Server) save() error   { return nil }
func (s *Server) reload() error { return nil }
