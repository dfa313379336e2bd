package nacosclient

import (
	"fmt"
	"strconv"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
)

// Endpoint is how to reach a Nacos server: plain connection data that a
// fake, a container or an external server can all describe.
type Endpoint struct {
	Host string
	// Port is the HTTP port, the one Nacos clients are configured with.
	Port int
	// GRPCPort is the gRPC port; 0 means Port+1000, as Nacos assumes. A
	// container with random host ports needs it set explicitly.
	GRPCPort int
	// ContextPath is the HTTP API prefix; "" means "/nacos".
	ContextPath string
	// Namespace is the namespace id; "" is the public namespace.
	Namespace string
	// Username and Password log in when the server has auth on.
	Username, Password string
	// AccessKey and SecretKey sign requests (Alibaba Cloud style).
	AccessKey, SecretKey string
	// TLS, when not nil, connects over TLS.
	TLS *TLS
}

// TLS says how to trust the server. The SDK reads certificates from files.
type TLS struct {
	CAFile     string // PEM CA bundle; "" with TrustAll to skip verification
	TrustAll   bool
	ServerName string // overrides the name checked in the certificate
}

// Addr is host:port of the HTTP API.
func (e Endpoint) Addr() string { return e.Host + ":" + strconv.Itoa(e.Port) }

// EffectiveGRPCPort is GRPCPort, or Port+1000 when it is 0.
func (e Endpoint) EffectiveGRPCPort() int {
	if e.GRPCPort != 0 {
		return e.GRPCPort
	}
	return e.Port + 1000
}

// WithNamespace returns a copy of e in namespace ns.
func (e Endpoint) WithNamespace(ns string) Endpoint { e.Namespace = ns; return e }

func (e Endpoint) serverConfig() (constant.ServerConfig, error) {
	if e.Host == "" || e.Port <= 0 || e.Port > 65535 {
		return constant.ServerConfig{}, fmt.Errorf("nacosclient: endpoint needs a host and an HTTP port, got %q:%d", e.Host, e.Port)
	}
	sc := constant.ServerConfig{
		IpAddr:      e.Host,
		Port:        uint64(e.Port),
		GrpcPort:    uint64(e.EffectiveGRPCPort()),
		ContextPath: e.ContextPath,
		Scheme:      "http",
	}
	if sc.ContextPath == "" {
		sc.ContextPath = "/nacos"
	}
	if e.TLS != nil {
		sc.Scheme = "https"
	}
	return sc, nil
}
