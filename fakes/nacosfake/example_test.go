package nacosfake_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fault"
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
			constant.WithCacheDir(dir), constant.WithLogLevel("error"),
			// The SDK's logger is process-wide and keeps writing after
			// CloseClient: give it a directory that outlives this one.
			constant.WithLogDir(filepath.Join(os.TempDir(), "nacos-example-logs"))),
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

// Fail the next HTTP read of one config with 503; an operation the fake
// does not know is an error, never a rule that silently never fires.
func ExampleServer_FailNext() {
	srv, err := nacosfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	srv.SetConfig("", "DEFAULT_GROUP", "app.yaml", "port: 8080")

	h, err := srv.FailNext(nacosfake.OpHTTPGetConfig, "app.yaml", 1, http.StatusServiceUnavailable)
	if err != nil {
		panic(err)
	}
	get := func() string {
		resp, err := http.Get(srv.URL() + "/v1/cs/configs?dataId=app.yaml&group=DEFAULT_GROUP")
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status + " " + strings.TrimSpace(string(b))
	}
	fmt.Println(get())
	fmt.Println(get())
	fmt.Println("hits:", h.Hits())

	_, err = srv.FailNext("GetConfig", fault.Any, 1, 500)
	fmt.Println(err != nil)
	// Output:
	// 503 Service Unavailable nacosfake: injected fault
	// 200 OK port: 8080
	// hits: 1
	// true
}
