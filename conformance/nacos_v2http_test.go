package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/clients/nacosclient"
	"github.com/brokerkit/brokerkit/conformance"
	"github.com/brokerkit/brokerkit/fixtures/nacostest"
)

// The v2 Open API measured through plain HTTP calls (no SDK uses it):
// /nacos/v2/cs/config in the {"code","message","data"} envelope, with a
// v1 login when the server has users.

func TestNacosConfigHTTPv2(t *testing.T) {
	t.Parallel()
	conformance.RunConfig(t, func(t *testing.T) conformance.ConfigHarness {
		return &v2HTTPConfigHarness{t: t, env: nacostest.New(t)}
	})
}

type v2HTTPConfigHarness struct {
	t   *testing.T
	env *nacostest.Env
}

func (h *v2HTTPConfigHarness) Name() string {
	return "nacos Open API v2 HTTP (" + string(h.env.Mode()) + ")"
}

// No CAS (the v2 API documents no casMd5) and no Watch (no v2 listener).
func (h *v2HTTPConfigHarness) Capabilities() conformance.Capabilities { return withAuth(h.env) }
func (h *v2HTTPConfigHarness) Namespace(context.Context) (string, error) {
	return h.env.Namespace(h.t), nil
}
func (h *v2HTTPConfigHarness) Group() string                   { return h.env.Group(h.t) }
func (h *v2HTTPConfigHarness) DataID() string                  { return h.env.DataID(h.t) }
func (h *v2HTTPConfigHarness) Code(err error) conformance.Code { return nacosCode(err) }

func (h *v2HTTPConfigHarness) Client(ctx context.Context, ns string) (conformance.ConfigClient, error) {
	return newV2HTTPConfig(ctx, h.env, h.env.Endpoint(), ns)
}

func (h *v2HTTPConfigHarness) BadCredentialsClient(ctx context.Context) (conformance.ConfigClient, error) {
	return badV2HTTPClient(ctx, h.t)
}

// badV2HTTPClient logs in to a server with auth on, with a wrong password.
func badV2HTTPClient(ctx context.Context, t *testing.T) (*v2HTTPConfig, error) {
	env := nacostest.New(t, nacostest.WithUser("conformance", "secret"))
	ep := env.Endpoint()
	ep.Password = "not-" + ep.Password
	return newV2HTTPConfig(ctx, env, ep, "")
}

type v2HTTPConfig struct {
	hc    *http.Client
	base  string
	ns    string
	token string
}

func newV2HTTPConfig(ctx context.Context, env *nacostest.Env, ep nacosclient.Endpoint, ns string) (*v2HTTPConfig, error) {
	c := &v2HTTPConfig{hc: env.HTTPClient(), base: env.URL(), ns: ns}
	if ep.Username == "" {
		return c, nil
	}
	status, body, err := c.send(ctx, http.MethodPost, "/v1/auth/login", url.Values{"username": {ep.Username}, "password": {ep.Password}})
	if err != nil {
		return nil, err
	}
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &out) != nil || out.AccessToken == "" {
		return nil, fmt.Errorf("login: %d %s: %w", status, body, nacosclient.ErrUnauthenticated)
	}
	c.token = out.AccessToken
	return c, nil
}

func (c *v2HTTPConfig) send(ctx context.Context, method, path string, form url.Values) (int, []byte, error) {
	u, body := c.base+path, io.Reader(nil)
	if method == http.MethodGet || method == http.MethodDelete {
		u += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.token != "" {
		req.Header.Set("accessToken", c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, b, err
}

// call sends a v2 config request and decodes its Result envelope into data.
func (c *v2HTTPConfig) call(ctx context.Context, method string, form url.Values, data any) error {
	form.Set("namespaceId", c.ns)
	return c.v2(ctx, method, "/v2/cs/config", form, data)
}

// v2 sends a v2 request and decodes its Result envelope into data.
func (c *v2HTTPConfig) v2(ctx context.Context, method, path string, form url.Values, data any) error {
	status, body, err := c.send(ctx, method, path, form)
	if err != nil {
		return err
	}
	var res struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	switch {
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return fmt.Errorf("%d %s: %w", status, body, nacosclient.ErrUnauthenticated)
	case json.Unmarshal(body, &res) != nil:
		return fmt.Errorf("%d: not a v2 Result: %q", status, body)
	case res.Code == 20004:
		return fmt.Errorf("%s: %w", res.Data, nacosclient.ErrNotFound)
	case res.Code != 0 || status != http.StatusOK:
		return fmt.Errorf("%d code %d %s: %s", status, res.Code, res.Message, res.Data)
	}
	return json.Unmarshal(res.Data, data)
}

func (c *v2HTTPConfig) Get(ctx context.Context, group, id string) (string, error) {
	var s string
	err := c.call(ctx, http.MethodGet, url.Values{"dataId": {id}, "group": {group}}, &s)
	return s, err
}

func (c *v2HTTPConfig) Publish(ctx context.Context, group, id, content string) error {
	var ok bool
	if err := c.call(ctx, http.MethodPost, url.Values{"dataId": {id}, "group": {group}, "content": {content}}, &ok); err != nil {
		return err
	}
	if !ok {
		return errors.New("publish: data false")
	}
	return nil
}

func (c *v2HTTPConfig) PublishCAS(context.Context, string, string, string, string) error {
	return errors.New("the v2 Open API has no CAS publish")
}

func (c *v2HTTPConfig) Delete(ctx context.Context, group, id string) error {
	var ok bool
	return c.call(ctx, http.MethodDelete, url.Values{"dataId": {id}, "group": {group}}, &ok)
}

func (c *v2HTTPConfig) Watch(context.Context, string, string) (<-chan conformance.ConfigEvent, error) {
	return nil, errors.New("the v2 Open API has no listener")
}

func (c *v2HTTPConfig) Close() error { return nil }
