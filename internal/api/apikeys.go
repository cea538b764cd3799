package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/db"
)

// APIKey is an API key as lists show it: never its secret.
type APIKey struct {
	ID         string     `json:"id" format:"uuid"`
	Name       string     `json:"name" example:"Shop sync"`
	Prefix     string     `json:"prefix" example:"rk_live_mfrggzdf" doc:"The start of the secret, to recognise the key by."`
	Scopes     []string   `json:"scopes" example:"[\"contacts:read\",\"contacts:write\"]"`
	UserID     string     `json:"user_id" format:"uuid" doc:"The user the key acts as."`
	UserName   string     `json:"user_name" example:"Ada Lovelace"`
	Status     string     `json:"status" enum:"active,expired,revoked"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty" doc:"When the key stops working; absent when it does not expire."`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" doc:"When the key was last used, to the minute; absent if never."`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// NewAPIKey is a created key with its secret, shown this once.
type NewAPIKey struct {
	APIKey
	Secret string `json:"secret" example:"rk_live_mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpj2gc3lb" doc:"The key itself. It is shown only now: store it safely."`
}

// APIKeyInput creates a key.
type APIKeyInput struct {
	Name      string   `json:"name" maxLength:"100" example:"Shop sync" doc:"What uses the key."`
	Scopes    []string `json:"scopes" example:"[\"contacts:read\"]" doc:"What the key may do: object:read and object:write, e.g. contacts:read, deals:write."`
	ExpiresOn string   `json:"expires_on,omitempty" example:"2027-01-31" doc:"The last day (UTC) the key works; leave out for a key that does not expire."`
}

// APIKeyList is the caller's keys, newest first.
type APIKeyList struct {
	Data []APIKey `json:"data"`
}

type apiKeyListIn struct {
	All bool `query:"all" doc:"Owners and admins: list every user's keys."`
}
type apiKeyListOut struct{ Body APIKeyList }
type apiKeyIn struct{ Body APIKeyInput }
type newAPIKeyOut struct {
	Location string `header:"Location"`
	Body     NewAPIKey
}
type apiKeyOut struct{ Body APIKey }

func toAPIKey(k apikey.Key) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: append([]string{}, k.Scopes...), UserID: k.UserID,
		UserName: k.UserName, Status: k.Status(db.Now()), ExpiresAt: timePtr(k.ExpiresAt), LastUsedAt: timePtr(k.LastUsedAt),
		RevokedAt: timePtr(k.RevokedAt), CreatedAt: k.CreatedAt}
}

func (a *API) apiKeyRoutes() {
	tags := []string{"API keys"}
	p := Prefix + "/api-keys"
	register(a, huma.Operation{OperationID: "list-api-keys", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List your API keys", Description: "Never shows a key's secret. Owners and admins may list every user's keys with all=true."},
		a.listAPIKeys)
	register(a, huma.Operation{OperationID: "create-api-key", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create an API key", DefaultStatus: http.StatusCreated,
		Description: "The answer holds the secret, shown only this once. An API key cannot create keys: sign in to the web app."},
		a.createAPIKey)
	register(a, huma.Operation{OperationID: "get-api-key", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get an API key", Errors: []int{http.StatusNotFound}}, a.getAPIKey)
	register(a, huma.Operation{OperationID: "revoke-api-key", Method: http.MethodPost, Path: p + "/{id}/revoke", Tags: tags,
		Summary: "Revoke an API key", Description: "The key stops working at once. Yours, or anyone's for owners and admins.",
		Errors: []int{http.StatusNotFound}}, a.revokeAPIKey)
}

func (a *API) listAPIKeys(ctx context.Context, in *apiKeyListIn) (*apiKeyListOut, error) {
	keys, err := a.o.Keys.List(ctx, in.All)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &apiKeyListOut{Body: APIKeyList{Data: make([]APIKey, len(keys))}}
	for i, k := range keys {
		out.Body.Data[i] = toAPIKey(k)
	}
	return out, nil
}

func (a *API) createAPIKey(ctx context.Context, in *apiKeyIn) (*newAPIKeyOut, error) {
	c, err := a.o.Keys.Create(ctx, apikey.Input{Name: in.Body.Name, Scopes: in.Body.Scopes, ExpiresOn: in.Body.ExpiresOn})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &newAPIKeyOut{Location: Prefix + "/api-keys/" + c.ID, Body: NewAPIKey{APIKey: toAPIKey(c.Key), Secret: c.Secret}}, nil
}

func (a *API) getAPIKey(ctx context.Context, in *IDPath) (*apiKeyOut, error) {
	k, err := a.o.Keys.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &apiKeyOut{Body: toAPIKey(k)}, nil
}

func (a *API) revokeAPIKey(ctx context.Context, in *IDPath) (*apiKeyOut, error) {
	k, err := a.o.Keys.Revoke(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &apiKeyOut{Body: toAPIKey(k)}, nil
}
