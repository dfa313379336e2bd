package main

import (
	"strings"

	"context"
	"flag"
	"net"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/mqttfake"
)

func init() { register(&mqttBackend{}) }

type mqttBackend struct {
	port, tlsPort, wsPort, wssPort int
}

func (*mqttBackend) name() string { return "mqtt" }

func (m *mqttBackend) flags(fs *flag.FlagSet) {
	*m = mqttBackend{} // each up starts from the defaults (repeatable flags append)
	fs.IntVar(&m.port, "mqtt-port", 1883, "MQTT port (plain TCP)")
	fs.IntVar(&m.tlsPort, "mqtt-tls-port", 8883, "MQTT over TLS port, served with --tls")
	fs.IntVar(&m.wsPort, "mqtt-ws-port", -1, "MQTT over WebSocket port (-1: 8083 with --tls, else off)")
	fs.IntVar(&m.wssPort, "mqtt-wss-port", 8084, "MQTT over WebSocket with TLS port, served with --tls")
}

func (m *mqttBackend) start(_ context.Context, c *common) (*running, error) {
	hostPort := func(p int) string { return net.JoinHostPort(c.host, strconv.Itoa(p)) }
	opts := []mqttfake.Option{mqttfake.WithAddr(hostPort(m.port))}
	var notes []string
	for _, u := range c.users {
		opts = append(opts, mqttfake.WithUser(u.name, u.password))
	}
	if len(c.users) > 0 {
		notes = append(notes, "username/password required for "+userNames(c.users))
	}
	if c.tls != nil {
		cfg, err := c.tls.ServerConfig(c.host)
		if err != nil {
			return nil, err
		}
		// The common cloud-broker layout: TCP 1883, TLS 8883, WS 8083, WSS 8084.
		opts = append(opts, mqttfake.WithTLSConfig(cfg), mqttfake.WithTLSAddr(hostPort(m.tlsPort)),
			mqttfake.WithSecureWebSocketAddr(hostPort(m.wssPort)))
		if m.wsPort < 0 {
			m.wsPort = 8083
		}
	}
	if m.wsPort >= 0 {
		opts = append(opts, mqttfake.WithWebSocketAddr(hostPort(m.wsPort)))
	}
	dir, err := c.dir("mqtt")
	if err != nil {
		return nil, err
	}
	if dir != "" {
		opts = append(opts, mqttfake.WithDataDir(dir))
		notes = append(notes, "retained messages and sessions kept in "+dir)
	}
	srv, err := mqttfake.New(opts...)
	if err != nil {
		return nil, err
	}
	addrs := map[string]string{"tcp": srv.URL()}
	if a := srv.TLSAddr(); a != "" {
		addrs["tls"] = "mqtts://" + a
	}
	if u := srv.WSURL(); u != "" {
		addrs["websocket"] = u
	}
	if u := srv.WSSURL(); u != "" {
		addrs["websocket-tls"] = u
	}
	env := map[string]string{"BROKERKIT_MQTT_ADDR": srv.Addr()}
	if a := srv.TLSAddr(); a != "" && c.caFile != "" {
		env["BROKERKIT_MQTT_TLS_ADDR"], env["BROKERKIT_MQTT_CA"] = a, c.caFile
	}
	if len(c.users) > 0 {
		// Every --user has full access: mqtttest's name:password form
		// without rules (mqtttest.UserSpec; not imported, it pulls in testing).
		specs := make([]string, len(c.users))
		for i, u := range c.users {
			specs[i] = u.name + ":" + u.password
		}
		env["BROKERKIT_MQTT_USERS"] = strings.Join(specs, ",")
	}
	return &running{
		Name:  "mqtt",
		Addrs: addrs,
		Env:   env,
		Notes: notes,
		fake:  srv,
		close: srv.Close,
	}, nil
}
