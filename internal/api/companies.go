package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/company"
)

// Company is an organisation.
type Company struct {
	ID        string    `json:"id" format:"uuid" example:"01890a5d-ac96-774b-bcce-b302099a8057"`
	Name      string    `json:"name" example:"Acme Ltd"`
	Domain    string    `json:"domain,omitempty" example:"acme.example" doc:"The web domain, normalised; unique among live companies."`
	Industry  string    `json:"industry" example:"Manufacturing"`
	Size      string    `json:"size" example:"51-200" doc:"Head-count band, or \"\"."`
	Address   Address   `json:"address"`
	OwnerID   string    `json:"owner_id,omitempty" format:"uuid"`
	OwnerName string    `json:"owner_name,omitempty" example:"Olga Owner"`
	Tags      []string  `json:"tags" example:"[\"partner\"]"`
	Custom    Custom    `json:"custom"`
	Contacts  int       `json:"contacts" doc:"How many live contacts work there."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by,omitempty" format:"uuid"`
	UpdatedBy string    `json:"updated_by,omitempty" format:"uuid"`
}

// CompanyInput creates a company (POST) or changes one (PATCH). A field
// left out stays as it is.
type CompanyInput struct {
	Name     *string   `json:"name,omitempty" example:"Acme Ltd" doc:"Required for a new company."`
	Domain   *string   `json:"domain,omitempty" example:"https://www.acme.example/" doc:"A web domain or URL; stored as the bare domain (acme.example). \"\" clears it."`
	Industry *string   `json:"industry,omitempty"`
	Size     *string   `json:"size,omitempty" example:"51-200"`
	Address  *Address  `json:"address,omitempty"`
	OwnerID  *string   `json:"owner_id,omitempty" doc:"Id of an active user; \"\" for no owner."`
	Tags     *[]string `json:"tags,omitempty" doc:"Replaces every tag; new tags are created."`
	Custom   Custom    `json:"custom,omitempty"`
}

func (in CompanyInput) service() company.Input {
	return company.Input{Name: in.Name, Domain: in.Domain, Industry: in.Industry, Size: in.Size,
		Address: in.Address.record(), OwnerID: in.OwnerID, Tags: in.Tags, Custom: in.Custom}
}

func toCompany(c company.Company) Company {
	return Company{ID: c.ID, Name: c.Name, Domain: c.Domain, Industry: c.Industry, Size: c.Size,
		Address: toAddress(c.Address), OwnerID: c.OwnerID, OwnerName: c.OwnerName, Tags: nonNil(c.Tags),
		Custom: custom(c.Custom), Contacts: c.Contacts, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy}
}

// CompanyRow is a company as a list shows it.
type CompanyRow struct {
	ID        string    `json:"id" format:"uuid"`
	Name      string    `json:"name" example:"Acme Ltd"`
	Domain    string    `json:"domain,omitempty" example:"acme.example"`
	Industry  string    `json:"industry"`
	Size      string    `json:"size"`
	City      string    `json:"city"`
	Country   string    `json:"country"`
	OwnerID   string    `json:"owner_id,omitempty" format:"uuid"`
	OwnerName string    `json:"owner_name,omitempty"`
	Tags      []string  `json:"tags"`
	Custom    Custom    `json:"custom"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CompanyPage is one page of companies.
type CompanyPage pageOf[CompanyRow]

type companyInput struct{ Body CompanyInput }
type companyPatch struct {
	IDPath
	Body CompanyInput
}
type companyOut struct{ Body Company }
type companyCreated struct {
	Location string `header:"Location" doc:"The new company's URL."`
	Body     Company
}
type companyList struct{ ListParams }
type companyPageOut struct{ Body CompanyPage }

func (a *API) companyRoutes() {
	tags := []string{"Companies"}
	p := Prefix + "/companies"
	register(a, huma.Operation{OperationID: "list-companies", Method: http.MethodGet, Path: p, Tags: tags,
		Summary:    "List companies",
		Parameters: []*huma.Param{shorthandParam(map[string]any{"size": "51-200", "tag": "partner"})},
		Errors:     []int{http.StatusUnprocessableEntity}}, a.listCompanies)
	register(a, huma.Operation{OperationID: "create-company", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a company", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict}}, a.createCompany)
	register(a, huma.Operation{OperationID: "get-company", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a company", Errors: []int{http.StatusNotFound}}, a.getCompany)
	register(a, huma.Operation{OperationID: "update-company", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change a company", Description: "Only the fields sent change; lists replace the whole list.",
		Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.updateCompany)
	register(a, huma.Operation{OperationID: "delete-company", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a company", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound}}, a.deleteCompany)
	a.timelineRoute("company", p+"/{id}/timeline", tags)
}

func (a *API) listCompanies(ctx context.Context, in *companyList) (*companyPageOut, error) {
	schema, err := a.o.Companies.Schema(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	req, remap, err := listRequest(schema, in.ListParams)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	page, err := a.o.Companies.List(ctx, req)
	if err != nil {
		return nil, a.fail(ctx, remap(err))
	}
	out := &companyPageOut{Body: CompanyPage{Data: make([]CompanyRow, len(page.Rows)),
		NextCursor: page.Cursors.Next, PrevCursor: page.Cursors.Prev, Sort: page.Sort.String()}}
	for i, r := range page.Rows {
		vals, err := r.Custom.Values()
		if err != nil {
			return nil, a.fail(ctx, err)
		}
		out.Body.Data[i] = CompanyRow{ID: r.ID, Name: r.Name, Domain: r.Domain, Industry: r.Industry,
			Size: r.Size, City: r.City, Country: r.Country, OwnerID: r.OwnerID, OwnerName: r.OwnerName,
			Tags: nonNil(r.Tags), Custom: custom(vals), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

func (a *API) createCompany(ctx context.Context, in *companyInput) (*companyCreated, error) {
	c, err := a.o.Companies.Create(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &companyCreated{Location: Prefix + "/companies/" + c.ID, Body: toCompany(c)}, nil
}

func (a *API) getCompany(ctx context.Context, in *IDPath) (*companyOut, error) {
	c, err := a.o.Companies.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &companyOut{Body: toCompany(c)}, nil
}

func (a *API) updateCompany(ctx context.Context, in *companyPatch) (*companyOut, error) {
	c, err := a.o.Companies.Update(ctx, in.ID, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &companyOut{Body: toCompany(c)}, nil
}

func (a *API) deleteCompany(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Companies.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}
