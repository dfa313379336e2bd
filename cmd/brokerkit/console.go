package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/brokerkit/brokerkit/console"
	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

// defaultConsolePort is where `brokerkit up` serves the web console.
const defaultConsolePort = 8000

type consoleFlags struct {
	port int
	off  bool
	set  bool // --console-port was given
}

func (f *consoleFlags) register(fs *flag.FlagSet) {
	fs.Func("console-port", fmt.Sprintf("web console port (default %d; 0 picks a free one)", defaultConsolePort), func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return errors.New("want a port number")
		}
		f.port, f.set = n, true
		return nil
	})
	fs.BoolVar(&f.off, "no-console", false, "do not serve the web console")
}

// startConsole serves the console for the started fakes, on the --host
// address, behind the --user credentials. When the default port is taken it
// picks a free one (the banner prints it); an explicit port must be free.
func startConsole(f consoleFlags, c *common, rs []*running) (*running, error) {
	if f.off {
		return nil, nil
	}
	port := defaultConsolePort
	if f.set {
		port = f.port
	}
	opts := []console.Option{console.WithAddr(net.JoinHostPort(c.host, strconv.Itoa(port)))}
	for _, u := range c.users {
		opts = append(opts, console.WithUser(u.name, u.password))
	}
	for _, r := range rs {
		switch s := r.fake.(type) {
		case *kafkafake.Server:
			opts = append(opts, console.WithKafka(s))
		case *pulsarfake.Server:
			opts = append(opts, console.WithPulsar(s))
		case *mqttfake.Server:
			opts = append(opts, console.WithMQTT(s))
		case *nacosfake.Server:
			opts = append(opts, console.WithNacos(s))
		}
	}
	srv, err := console.New(opts...)
	if err != nil && !f.set && errors.Is(err, syscall.EADDRINUSE) {
		srv, err = console.New(append(opts, console.WithAddr(net.JoinHostPort(c.host, "0")))...)
	}
	if err != nil {
		return nil, err
	}
	r := &running{Name: "console", Addrs: map[string]string{"url": srv.URL()}, Env: map[string]string{}, close: srv.Close}
	if len(c.users) > 0 {
		r.Notes = append(r.Notes, "asks for the --user credentials (HTTP Basic)")
	}
	return r, nil
}
