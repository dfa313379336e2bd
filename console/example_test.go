package console_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/brokerkit/brokerkit/console"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
)

func Example() {
	nacos, err := nacosfake.New()
	if err != nil {
		panic(err)
	}
	defer nacos.Close()
	nacos.SetConfig("", "DEFAULT_GROUP", "app.yaml", "port: 8080")

	c, err := console.New(console.WithNacos(nacos)) // a free loopback port
	if err != nil {
		panic(err)
	}
	defer c.Close()

	resp, err := http.Get(c.URL() + "nacos")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(page), "app.yaml"))
	// Output: 200 true
}
