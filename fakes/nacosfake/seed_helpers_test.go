package nacosfake_test

import "github.com/brokerkit/brokerkit/fakes/nacosfake"

func nacosfakeInstance(svc, ip string, port int, cluster string, healthy bool) nacosfake.Instance {
	return nacosfake.Instance{Service: svc, IP: ip, Port: port, Cluster: cluster, Healthy: healthy,
		Enabled: true, Ephemeral: true, Weight: 1}
}
