package nacosfake_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fault"
)

func TestFailNextUnknownOpIsAnError(t *testing.T) {
	srv := newServer(t)
	h, err := srv.FailNext("ConfigQuery", fault.Any, 1, 500) // the type is ConfigQueryRequest
	require.Error(t, err)
	require.Nil(t, h)
	_, err = srv.FailNext("GET /v1/cs/configs", fault.Any, 1, 500) // HTTP ops keep the /nacos prefix
	require.Error(t, err)
	_, err = srv.Delay("Nope", time.Second)
	require.Error(t, err)
	require.Empty(t, srv.Faults(), "a rejected op installs nothing")
	require.Contains(t, nacosfake.Ops(), nacosfake.OpConfigQuery)
	require.Contains(t, nacosfake.Ops(), nacosfake.OpHTTPGetConfig)
}

func TestFailNextHandleHitsAndWaitByTarget(t *testing.T) {
	srv := newServer(t)
	srv.SetConfig("", "G", "hit", "v")
	srv.SetConfig("", "G", "other", "v")
	h, err := srv.FailNext(nacosfake.OpConfigQuery, "hit", 2, 500)
	require.NoError(t, err)
	require.Len(t, srv.Faults(), 1)

	cc := configClient(t, srv)
	got, err := cc.GetConfig(vo.ConfigParam{DataId: "other", Group: "G"})
	require.NoError(t, err, "a rule for one dataId leaves the others alone")
	require.Equal(t, "v", got)
	require.Equal(t, 0, h.Hits())

	_, err = cc.GetConfig(vo.ConfigParam{DataId: "hit", Group: "G"})
	require.Error(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, h.Wait(ctx, 1))

	// HTTP: the rule's handle counts hits on the endpoint, target = dataId.
	hh, err := srv.FailNext(nacosfake.OpHTTPGetConfig, "hit", -1, 503)
	require.NoError(t, err)
	require.Equal(t, 503, do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=hit&group=G", nil, nil).code)
	require.Equal(t, 200, do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=other&group=G", nil, nil).code)
	require.Equal(t, 1, hh.Hits())
	hh.Remove()
	require.Equal(t, 200, do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=hit&group=G", nil, nil).code)
}

func TestDelayEndsWhenServerCloses(t *testing.T) {
	srv, err := nacosfake.New()
	require.NoError(t, err)
	defer srv.Close()
	h, err := srv.Delay(nacosfake.OpHTTPPublishConfig, time.Hour)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.PostForm(srv.URL()+"/v1/cs/configs", url.Values{"dataId": {"d"}, "group": {"G"}, "content": {"x"}})
		if err == nil {
			resp.Body.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, h.Wait(ctx, 1))
	require.NoError(t, srv.Close())
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("a delayed request outlived Close")
	}
	_, ok := srv.GetConfig("", "G", "d")
	require.False(t, ok, "the delayed publish was not applied")
}

func TestRestartKeepsFaultsAndDropsConnections(t *testing.T) {
	srv := newServer(t)
	h, err := srv.FailNext(nacosfake.OpHTTPGetConfig, fault.Any, -1, 503)
	require.NoError(t, err)
	require.NoError(t, srv.Restart())
	require.Equal(t, 503, do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=a&group=G", nil, nil).code)
	require.Equal(t, 1, h.Hits(), "the handle installed before Restart still counts")
	srv.ResetFaults()
	require.Equal(t, 404, do(t, "GET", srv.URL()+"/v1/cs/configs?dataId=a&group=G", nil, nil).code)
}

func TestDropConnectionsCutsHTTPLongPolls(t *testing.T) {
	srv := newServer(t)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.URL()+"/v1/cs/configs/listener",
			strings.NewReader(url.Values{"Listening-Configs": {"k\x02G\x02\x01"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Long-Pulling-Timeout", "30000")
		resp, err := hc.Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return srv.Pollers() == 1 }, waitFor, tick)
	require.Equal(t, 1, srv.DropConnections(), "the long poll's HTTP connection")
	select {
	case err := <-errc:
		require.Error(t, err, "the client sees its connection cut, not an answer")
	case <-time.After(waitFor):
		t.Fatal("the long poll survived DropConnections")
	}
	require.Eventually(t, func() bool { return srv.Pollers() == 0 }, waitFor, tick)
}
