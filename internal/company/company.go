// Package company holds the organisations contacts work for: name, web
// domain (normalised and unique), industry, size, address, owner, tags and
// custom fields.
package company

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/record"
)

// Company is an organisation.
type Company struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	Domain    string             `json:"domain"`
	Industry  string             `json:"industry"`
	Size      string             `json:"size"`
	Address   record.Address     `json:"address"`
	OwnerID   string             `json:"owner_id,omitempty"`
	OwnerName string             `json:"owner_name,omitempty"`
	Tags      []string           `json:"tags"`
	Custom    customfield.Values `json:"custom"`
	// Contacts counts the live contacts linked to the company.
	Contacts  int       `json:"contacts"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Ref names a company from another record.
type Ref struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain string `json:"domain,omitempty"`
}

// Sizes are the head-count bands a company's size is chosen from.
var Sizes = []string{"1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10001+"}

// Input creates or changes a company; nil fields stay as they are (PATCH).
type Input struct {
	Name     *string         `json:"name,omitempty"`
	Domain   *string         `json:"domain,omitempty"`
	Industry *string         `json:"industry,omitempty"`
	Size     *string         `json:"size,omitempty"`
	Address  *record.Address `json:"address,omitempty"`
	OwnerID  *string         `json:"owner_id,omitempty"`
	Tags     *[]string       `json:"tags,omitempty"`
	// Custom holds the custom values to set; a null or "" value clears one.
	Custom map[string]any `json:"custom,omitempty"`
}

// apply copies the set fields of in onto c and checks the result's own
// fields (owner, tags and custom values are checked by the service).
func (in Input) apply(c *Company, v *apperr.Validation) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Domain != nil {
		c.Domain = *in.Domain
	}
	if in.Industry != nil {
		c.Industry = *in.Industry
	}
	if in.Size != nil {
		c.Size = strings.TrimSpace(*in.Size)
	}
	if in.Address != nil {
		c.Address = *in.Address
	}
	if in.OwnerID != nil {
		c.OwnerID = strings.TrimSpace(*in.OwnerID)
	}
	record.Text(v, "name", &c.Name, 200, false)
	if c.Name == "" {
		v.Add("name", "Enter the company's name.")
	}
	record.Text(v, "industry", &c.Industry, 100, false)
	if c.Size != "" && !slices.Contains(Sizes, c.Size) {
		v.Add("size", "Choose one of: "+strings.Join(Sizes, ", ")+".")
	}
	c.Address.Clean(v, "address")
	if c.Domain != "" {
		d, ok := NormaliseDomain(c.Domain)
		if !ok {
			v.Add("domain", "Enter a web domain like example.com.")
		}
		c.Domain = d
	}
}

var labelPattern = regexp.MustCompile(`^[\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$`)

// NormaliseDomain turns "https://www.Example.com/about" into "example.com".
func NormaliseDomain(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", true
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return s, false
		}
		s = u.Hostname()
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if h, _, ok := strings.Cut(s, ":"); ok {
		s = h
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "www."), ".")
	labels := strings.Split(s, ".")
	if len(labels) < 2 || len(s) > 253 {
		return s, false
	}
	for _, l := range labels {
		if !labelPattern.MatchString(l) {
			return s, false
		}
	}
	return s, true
}

// fields flattens the values an update event compares.
func (c Company) fields() map[string]any {
	m := map[string]any{
		"name": c.Name, "domain": c.Domain, "industry": c.Industry, "size": c.Size,
		"address.street": c.Address.Street, "address.city": c.Address.City,
		"address.region": c.Address.Region, "address.postal_code": c.Address.PostalCode,
		"address.country": c.Address.Country,
	}
	for k, x := range c.Custom {
		m[customfield.FieldName(k)] = x
	}
	return m
}

// SortName is the key companies sort by: the name in lower case.
func SortName(name string) string { return strings.ToLower(name) }
