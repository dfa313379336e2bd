package nacosfake_test

import (
	"fmt"
	"os"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

// Start a fake, seed a config and read it with the official v2 SDK.
func Example() {
	srv, err := nacosfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.SetConfig("", "DEFAULT_GROUP", "app.yaml", "port: 8080")

	dir, _ := os.MkdirTemp("", "nacos-example-")
	defer os.RemoveAll(dir)
	client, err := clients.NewConfigClient(vo.NacosClientParam{
		ClientConfig: constant.NewClientConfig(
			constant.WithNotLoadCacheAtStart(true),
			constant.WithCacheDir(dir), constant.WithLogDir(dir), constant.WithLogLevel("error")),
		ServerConfigs: []constant.ServerConfig{
			*constant.NewServerConfig(srv.Host(), uint64(srv.HTTPPort())), // gRPC on HTTPPort()+1000
		},
	})
	if err != nil {
		panic(err)
	}
	defer client.CloseClient()

	content, err := client.GetConfig(vo.ConfigParam{DataId: "app.yaml", Group: "DEFAULT_GROUP"})
	fmt.Println(content, err)
	// Output: port: 8080 <nil>
}
