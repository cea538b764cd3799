package csvfile

import "fmt"

// Objects a file's rows become, as Guess and Preset name them.
const (
	Contact = "contact"
	Company = "company"
)

// Preset is the header of a known export: each column name the exporter
// writes and the field key it maps to ("" for a column the export has
// that no built-in field takes: Guess leaves it unmapped unless a custom
// field has its name).
//
// Field keys of contacts: name, first_name, last_name, email, phone,
// job_title, company, street, city, region, postal_code, country, birthday,
// source, lifecycle_stage, owner (a user's email), tags, notes. Of
// companies: name, domain, industry, size, street, city, region,
// postal_code, country, owner, tags. Email, phone and tags take several
// columns; Guess numbers them email, email_2, email_3...
type Preset struct {
	// Name is the exporter, as a person would say it.
	Name string
	// Object is Contact or Company.
	Object string
	// Columns maps each column name, as the export writes it, to a field
	// key.
	Columns map[string]string
}

// Presets are the exports Guess knows by their headers.
var Presets = []Preset{
	{Name: "Google Contacts", Object: Contact, Columns: googleContacts()},
	{Name: "Outlook", Object: Contact, Columns: outlook()},
	{Name: "HubSpot", Object: Contact, Columns: map[string]string{
		"Record ID": "", "First Name": "first_name", "Last Name": "last_name", "Email": "email",
		"Additional email addresses": "email", "Phone Number": "phone", "Mobile Phone Number": "phone",
		"Company Name": "company", "Associated Company": "company", "Job Title": "job_title",
		"Lifecycle Stage": "lifecycle_stage", "Contact owner": "owner", "Lead Status": "",
		"Street Address": "street", "City": "city", "State/Region": "region", "Postal Code": "postal_code",
		"Country/Region": "country", "Original Source": "source", "Date of birth": "birthday",
		"Create Date": "", "Last Activity Date": "", "Website URL": "", "Fax Number": "",
		"Marketing contact status": "", "Email Domain": "",
	}},
	{Name: "Salesforce", Object: Contact, Columns: map[string]string{
		"Contact ID": "", "Lead ID": "", "Salutation": "", "First Name": "first_name", "Last Name": "last_name",
		"Title": "job_title", "Account Name": "company", "Company": "company", "Email": "email",
		"Phone": "phone", "Mobile": "phone", "Home Phone": "phone", "Other Phone": "phone", "Fax": "",
		"Mailing Street": "street", "Mailing City": "city", "Mailing State/Province": "region",
		"Mailing Zip/Postal Code": "postal_code", "Mailing Country": "country",
		"Street": "street", "City": "city", "State/Province": "region", "Zip/Postal Code": "postal_code",
		"Country": "country", "Lead Source": "source", "Birthdate": "birthday", "Description": "notes",
		"Contact Owner": "owner", "Lead Owner": "owner", "Department": "", "Email Opt Out": "",
		"Lead Status": "", "Created Date": "", "Last Modified Date": "",
	}},
	{Name: "Pipedrive", Object: Contact, Columns: pipedrivePerson()},
	{Name: "LinkedIn connections", Object: Contact, Columns: map[string]string{
		"First Name": "first_name", "Last Name": "last_name", "URL": "", "Email Address": "email",
		"Company": "company", "Position": "job_title", "Connected On": "",
	}},
	{Name: "HubSpot", Object: Company, Columns: map[string]string{
		"Record ID": "", "Company name": "name", "Name": "name", "Company Domain Name": "domain",
		"Website URL": "domain", "Industry": "industry", "Number of Employees": "size",
		"Street Address": "street", "City": "city", "State/Region": "region", "Postal Code": "postal_code",
		"Country/Region": "country", "Company owner": "owner", "Phone Number": "", "Lifecycle Stage": "",
		"Create Date": "", "Last Activity Date": "", "Description": "", "Annual Revenue": "", "Type": "",
	}},
	{Name: "Salesforce", Object: Company, Columns: map[string]string{
		"Account ID": "", "Account Name": "name", "Website": "domain", "Industry": "industry",
		"Employees": "size", "Billing Street": "street", "Billing City": "city",
		"Billing State/Province": "region", "Billing Zip/Postal Code": "postal_code",
		"Billing Country": "country", "Shipping Street": "", "Shipping City": "",
		"Shipping State/Province": "", "Shipping Zip/Postal Code": "", "Shipping Country": "",
		"Account Owner": "owner", "Type": "", "Phone": "", "Fax": "", "Description": "",
		"Annual Revenue": "", "Account Source": "",
	}},
	{Name: "Pipedrive", Object: Company, Columns: map[string]string{
		"Organization - ID":                                   "",
		"Organization - Name":                                 "name",
		"Organization - Owner":                                "owner",
		"Organization - Label":                                "tags",
		"Organization - Labels":                               "tags",
		"Organization - Website":                              "domain",
		"Organization - Industry":                             "industry",
		"Organization - Number of employees":                  "size",
		"Organization - Address":                              "",
		"Organization - Address - Street/road name":           "street",
		"Organization - Address - City/town/village/locality": "city",
		"Organization - Address - State/county":               "region",
		"Organization - Address - ZIP/Postal code":            "postal_code",
		"Organization - Address - Country":                    "country",
		"Organization - People":                               "",
	}},
}

// googleContacts is Google Contacts' export: the current header and the
// older one ("Given Name", "Organization 1 - Name", "Group Membership").
func googleContacts() map[string]string {
	m := map[string]string{
		"First Name": "first_name", "Middle Name": "", "Last Name": "last_name",
		"Phonetic First Name": "", "Phonetic Middle Name": "", "Phonetic Last Name": "",
		"Name Prefix": "", "Name Suffix": "", "Nickname": "", "File As": "",
		"Organization Name": "company", "Organization Title": "job_title", "Organization Department": "",
		"Birthday": "birthday", "Notes": "notes", "Photo": "", "Labels": "tags",
		"Name": "name", "Given Name": "first_name", "Additional Name": "", "Family Name": "last_name",
		"Yomi Name": "", "Given Name Yomi": "", "Additional Name Yomi": "", "Family Name Yomi": "",
		"Initials": "", "Short Name": "", "Maiden Name": "", "Gender": "", "Location": "",
		"Billing Information": "", "Directory Server": "", "Mileage": "", "Occupation": "", "Hobby": "",
		"Sensitivity": "", "Priority": "", "Subject": "", "Language": "", "Group Membership": "tags",
		"Organization 1 - Type": "", "Organization 1 - Name": "company", "Organization 1 - Yomi Name": "",
		"Organization 1 - Title": "job_title", "Organization 1 - Department": "", "Organization 1 - Symbol": "",
		"Organization 1 - Location": "", "Organization 1 - Job Description": "",
	}
	for i := 1; i <= 5; i++ {
		m[fmt.Sprintf("E-mail %d - Label", i)] = ""
		m[fmt.Sprintf("E-mail %d - Type", i)] = ""
		m[fmt.Sprintf("E-mail %d - Value", i)] = "email"
		m[fmt.Sprintf("Phone %d - Label", i)] = ""
		m[fmt.Sprintf("Phone %d - Type", i)] = ""
		m[fmt.Sprintf("Phone %d - Value", i)] = "phone"
		m[fmt.Sprintf("Website %d - Label", i)] = ""
		m[fmt.Sprintf("Website %d - Type", i)] = ""
		m[fmt.Sprintf("Website %d - Value", i)] = ""
		m[fmt.Sprintf("Relation %d - Label", i)] = ""
		m[fmt.Sprintf("Relation %d - Type", i)] = ""
		m[fmt.Sprintf("Relation %d - Value", i)] = ""
		m[fmt.Sprintf("Event %d - Label", i)] = ""
		m[fmt.Sprintf("Event %d - Type", i)] = ""
		m[fmt.Sprintf("Event %d - Value", i)] = ""
		m[fmt.Sprintf("Custom Field %d - Label", i)] = ""
		m[fmt.Sprintf("Custom Field %d - Type", i)] = ""
		m[fmt.Sprintf("Custom Field %d - Value", i)] = ""
		for _, part := range []string{"Label", "Type", "Formatted", "Street", "City", "PO Box", "Region", "Postal Code", "Country", "Extended Address"} {
			m[fmt.Sprintf("Address %d - %s", i, part)] = ""
		}
	}
	for part, key := range map[string]string{"Street": "street", "City": "city", "Region": "region", "Postal Code": "postal_code", "Country": "country"} {
		m["Address 1 - "+part] = key
	}
	return m
}

// outlook is Outlook's export (Outlook for Windows and Outlook.com).
// "Title" there is the name prefix (Mr, Dr), not a job title.
func outlook() map[string]string {
	m := map[string]string{
		"Title": "", "First Name": "first_name", "Middle Name": "", "Last Name": "last_name", "Suffix": "",
		"Company": "company", "Department": "", "Job Title": "job_title",
		"Business Street": "street", "Business City": "city", "Business State": "region",
		"Business Postal Code": "postal_code", "Business Country/Region": "country", "Business Country": "country",
		"Birthday": "birthday", "Anniversary": "", "Categories": "tags", "Notes": "notes",
		"E-mail Address": "email", "E-mail 2 Address": "email", "E-mail 3 Address": "email",
		"E-mail Type": "", "E-mail Display Name": "", "E-mail 2 Type": "", "E-mail 2 Display Name": "",
		"E-mail 3 Type": "", "E-mail 3 Display Name": "", "Web Page": "", "Account": "", "Initials": "",
		"Business Street 2": "", "Business Street 3": "", "Business Address PO Box": "",
		"Assistant's Name": "", "Manager's Name": "", "Office Location": "", "Nickname": "", "Spouse": "",
		"Children": "", "Gender": "", "Language": "", "Location": "", "Mileage": "", "Hobby": "",
		"Billing Information": "", "Directory Server": "", "Priority": "", "Private": "", "Sensitivity": "",
		"User 1": "", "User 2": "", "User 3": "", "User 4": "", "Keywords": "", "Internet Free Busy": "",
		"Government ID Number": "", "Organizational ID Number": "", "Profession": "", "Referred By": "",
	}
	for _, kind := range []string{"Home", "Other"} {
		for _, part := range []string{"Street", "Street 2", "Street 3", "City", "State", "Postal Code", "Country/Region", "Address PO Box"} {
			m[kind+" "+part] = ""
		}
	}
	for _, p := range []string{"Business Phone", "Business Phone 2", "Mobile Phone", "Home Phone", "Home Phone 2",
		"Other Phone", "Primary Phone", "Company Main Phone", "Car Phone"} {
		m[p] = "phone"
	}
	for _, p := range []string{"Assistant's Phone", "Business Fax", "Home Fax", "Other Fax", "Callback", "ISDN",
		"Pager", "Radio Phone", "TTY/TDD Phone", "Telex"} {
		m[p] = ""
	}
	return m
}

// pipedrivePerson is Pipedrive's export of people, older ("Person - Email")
// and newer ("Person - Email - Work") headers.
func pipedrivePerson() map[string]string {
	m := map[string]string{
		"Person - ID": "", "Person - Name": "name", "Person - First name": "first_name",
		"Person - Last name": "last_name", "Person - Email": "email", "Person - Phone": "phone",
		"Person - Organization": "company", "Person - Job title": "job_title", "Person - Owner": "owner",
		"Person - Label": "tags", "Person - Labels": "tags", "Person - Birthday": "birthday",
		"Person - Notes": "notes", "Person - Postal address": "",
		"Person - Postal address - Street/road name":           "street",
		"Person - Postal address - City/town/village/locality": "city",
		"Person - Postal address - State/county":               "region",
		"Person - Postal address - ZIP/Postal code":            "postal_code",
		"Person - Postal address - Country":                    "country",
		"Person - Visible to":                                  "", "Person - Add time": "", "Person - Update time": "",
	}
	for _, kind := range []string{"Work", "Home", "Mobile", "Other"} {
		m["Person - Email - "+kind] = "email"
		m["Person - Phone - "+kind] = "phone"
	}
	return m
}

// synonyms are the other names columns commonly have, in English, German,
// French and Spanish, beside the presets' own.
var synonyms = map[string]map[string][]string{
	Contact: {
		"name":            {"Name", "Full Name", "Contact Name", "Display Name", "Contact", "Person", "Nombre completo", "Nom complet"},
		"first_name":      {"First Name", "Firstname", "Given Name", "Forename", "First", "Vorname", "Prénom", "Prenom", "Nombre"},
		"last_name":       {"Last Name", "Lastname", "Surname", "Family Name", "Last", "Nachname", "Familienname", "Nom de famille", "Apellido", "Apellidos"},
		"email":           {"Email", "E-mail", "Email Address", "E-mail Address", "Mail", "Emails", "Primary Email", "Work Email", "E-Mail-Adresse", "Adresse e-mail", "Courriel", "Correo", "Correo electrónico"},
		"phone":           {"Phone", "Phone Number", "Telephone", "Tel", "Mobile", "Mobile Phone", "Mobile Number", "Cell", "Cell Phone", "Work Phone", "Telefon", "Telefonnummer", "Mobil", "Handy", "Téléphone", "Portable", "Teléfono", "Móvil"},
		"job_title":       {"Job Title", "Title", "Position", "Role", "Designation", "Jobtitel", "Funktion", "Poste", "Fonction", "Cargo", "Puesto"},
		"company":         {"Company", "Company Name", "Organization", "Organisation", "Organization Name", "Employer", "Account", "Account Name", "Firma", "Unternehmen", "Entreprise", "Société", "Societe", "Empresa"},
		"street":          {"Street", "Address", "Street Address", "Address Line 1", "Address 1", "Street 1", "Strasse", "Straße", "Adresse", "Rue", "Dirección", "Calle"},
		"city":            {"City", "Town", "Locality", "Stadt", "Ort", "Ville", "Ciudad"},
		"region":          {"State", "Region", "Province", "State/Province", "State/Region", "County", "Bundesland", "Provincia"},
		"postal_code":     {"Zip", "Zip Code", "Postal Code", "Postcode", "Zip/Postal Code", "PLZ", "Postleitzahl", "Code postal", "Código postal", "CP"},
		"country":         {"Country", "Country/Region", "Country Code", "Land", "Pays", "País"},
		"birthday":        {"Birthday", "Birthdate", "Birth Date", "Date of Birth", "DOB", "Geburtstag", "Geburtsdatum", "Date de naissance", "Anniversaire", "Fecha de nacimiento", "Cumpleaños"},
		"source":          {"Source", "Lead Source", "Original Source", "Contact Source", "Quelle"},
		"lifecycle_stage": {"Lifecycle Stage", "Lifecycle", "Stage"},
		"owner":           {"Owner", "Contact Owner", "Owner Email", "Assigned To", "Account Owner"},
		"tags":            {"Tags", "Tag", "Labels", "Label", "Categories", "Category", "Groups", "Group Membership", "Schlagwörter", "Étiquettes", "Etiquetas"},
		"notes":           {"Notes", "Note", "Comments", "Comment", "Description", "Remarks", "Notizen", "Notiz", "Bemerkungen", "Commentaires", "Notas"},
	},
	Company: {
		"name":        {"Name", "Company", "Company Name", "Organization", "Organisation", "Organization Name", "Account", "Account Name", "Business Name", "Firma", "Unternehmen", "Entreprise", "Société", "Empresa"},
		"domain":      {"Domain", "Company Domain", "Website", "Web Site", "Website URL", "URL", "Web", "Homepage", "Webseite", "Site web", "Sitio web"},
		"industry":    {"Industry", "Sector", "Vertical", "Branche", "Secteur", "Industria", "Sector industrial"},
		"size":        {"Size", "Company Size", "Employees", "Number of Employees", "Employee Count", "Headcount", "No. of Employees", "Mitarbeiter", "Mitarbeiterzahl", "Effectif", "Empleados"},
		"street":      {"Street", "Address", "Street Address", "Address Line 1", "Address 1", "Strasse", "Straße", "Adresse", "Rue", "Dirección"},
		"city":        {"City", "Town", "Locality", "Stadt", "Ort", "Ville", "Ciudad"},
		"region":      {"State", "Region", "Province", "State/Province", "State/Region", "County", "Bundesland", "Provincia"},
		"postal_code": {"Zip", "Zip Code", "Postal Code", "Postcode", "Zip/Postal Code", "PLZ", "Postleitzahl", "Code postal", "Código postal"},
		"country":     {"Country", "Country/Region", "Country Code", "Land", "Pays", "País"},
		"owner":       {"Owner", "Company Owner", "Account Owner", "Owner Email", "Assigned To"},
		"tags":        {"Tags", "Tag", "Labels", "Label", "Categories", "Category"},
	},
}
