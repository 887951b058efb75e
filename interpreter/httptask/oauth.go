package httptask

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// tokenCache keeps OAuth access tokens per connection until shortly before
// they expire, so that a busy workflow does not fetch one per call.
type tokenCache struct {
	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	value   string
	expires time.Time
}

// oauthToken returns a cached token of the connection or fetches a new one
// with the client credentials grant. Errors never carry the secret.
func (c *Client) oauthToken(ctx context.Context, name string, o *OAuth) (string, error) {
	c.tokens.mu.Lock()
	t, ok := c.tokens.tokens[name]
	c.tokens.mu.Unlock()
	if ok && time.Now().Before(t.expires) {
		return t.value, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if o.Scope != "" {
		form.Set("scope", o.Scope)
	}
	// The client secret travels in Authorization: a redirect of the token
	// endpoint to another origin must not carry it (checkRedirect).
	ctx = withCredentialHeaders(ctx, authorizationHeader)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token URL %q: %v", o.TokenURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request failed: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	if err != nil {
		return "", fmt.Errorf("reading the token response failed: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the token endpoint answered %s", resp.Status)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("the token endpoint answered without an access_token")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = 5 * time.Minute // no expiry given: refresh now and then anyway
	}
	// Renew a little early so that a token does not expire in flight.
	life -= min(life/10, 30*time.Second)
	c.tokens.mu.Lock()
	if c.tokens.tokens == nil {
		c.tokens.tokens = map[string]cachedToken{}
	}
	c.tokens.tokens[name] = cachedToken{value: tr.AccessToken, expires: time.Now().Add(life)}
	c.tokens.mu.Unlock()
	return tr.AccessToken, nil
}
