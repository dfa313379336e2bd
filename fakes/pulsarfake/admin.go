package pulsarfake

func (s *Server) startAdmin() error { return nil }
