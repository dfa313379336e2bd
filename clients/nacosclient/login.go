package nacosclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// CheckLogin logs in over HTTP with ep's credentials and returns
// ErrUnauthenticated if the server rejects them. NewConfig and NewNaming
// call it when ep has a Username, because the SDK only logs a failed login
// and then fails every call, naming calls without saying why. A server that
// cannot be reached is not an error here (the SDK keeps retrying).
func CheckLogin(ctx context.Context, ep Endpoint) error {
	if ep.Username == "" {
		return nil
	}
	sc, err := ep.serverConfig()
	if err != nil {
		return err
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if ep.TLS != nil {
		cfg := &tls.Config{InsecureSkipVerify: ep.TLS.TrustAll, ServerName: ep.TLS.ServerName}
		if ep.TLS.CAFile != "" {
			pem, err := os.ReadFile(ep.TLS.CAFile)
			if err != nil {
				return fmt.Errorf("nacosclient: read CA: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			cfg.RootCAs.AppendCertsFromPEM(pem)
		}
		tr.TLSClientConfig = cfg
	}
	u := sc.Scheme + "://" + ep.Addr() + strings.TrimSuffix(sc.ContextPath, "/") + "/v1/auth/login"
	form := url.Values{"username": {ep.Username}, "password": {ep.Password}}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusUnauthorized:
		return fmt.Errorf("%w: login as %s: %s", ErrUnauthenticated, ep.Username, strings.TrimSpace(string(body)))
	}
	return nil
}
