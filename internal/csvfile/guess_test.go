package csvfile

import (
	"slices"
	"strings"
	"testing"
)

// columns splits "Header=key" pairs into a header and the mapping wanted.
func columns(pairs ...string) (header, want []string) {
	for _, p := range pairs {
		h, k, _ := strings.Cut(p, "=")
		header = append(header, h)
		want = append(want, k)
	}
	return header, want
}

func TestGuess(t *testing.T) {
	tests := []struct {
		name   string
		object string
		custom []CustomField
		cols   []string
	}{
		{"Google Contacts", Contact, nil, []string{
			"First Name=first_name", "Middle Name=", "Last Name=last_name", "Phonetic First Name=", "Phonetic Middle Name=",
			"Phonetic Last Name=", "Name Prefix=", "Name Suffix=", "Nickname=", "File As=", "Organization Name=company",
			"Organization Title=job_title", "Organization Department=", "Birthday=birthday", "Notes=notes", "Photo=",
			"Labels=tags", "E-mail 1 - Label=", "E-mail 1 - Value=email", "E-mail 2 - Label=", "E-mail 2 - Value=email_2",
			"Phone 1 - Label=", "Phone 1 - Value=phone", "Phone 2 - Label=", "Phone 2 - Value=phone_2",
			"Address 1 - Label=", "Address 1 - Formatted=", "Address 1 - Street=street", "Address 1 - City=city",
			"Address 1 - PO Box=", "Address 1 - Region=region", "Address 1 - Postal Code=postal_code",
			"Address 1 - Country=country", "Address 1 - Extended Address=", "Address 2 - Street=", "Website 1 - Label=",
			"Website 1 - Value=",
		}},
		{"Google Contacts, older export", Contact, nil, []string{
			"Name=name", "Given Name=first_name", "Additional Name=", "Family Name=last_name", "Yomi Name=",
			"Birthday=birthday", "Gender=", "Notes=notes", "Group Membership=tags", "E-mail 1 - Type=",
			"E-mail 1 - Value=email", "Phone 1 - Type=", "Phone 1 - Value=phone", "Organization 1 - Type=",
			"Organization 1 - Name=company", "Organization 1 - Title=job_title",
		}},
		{"Outlook", Contact, nil, []string{
			"Title=", "First Name=first_name", "Middle Name=", "Last Name=last_name", "Suffix=", "Company=company",
			"Department=", "Job Title=job_title", "Business Street=street", "Business Street 2=", "Business Street 3=",
			"Business City=city", "Business State=region", "Business Postal Code=postal_code",
			"Business Country/Region=country", "Home Street=", "Home City=", "Home State=", "Home Postal Code=",
			"Home Country/Region=", "Other Street=", "Assistant's Phone=", "Business Fax=", "Business Phone=phone",
			"Business Phone 2=phone_2", "Callback=", "Car Phone=phone_3", "Company Main Phone=phone_4", "Home Fax=",
			"Home Phone=phone_5", "Home Phone 2=phone_6", "ISDN=", "Mobile Phone=phone_7", "Other Fax=",
			"Other Phone=phone_8", "Pager=", "Primary Phone=phone_9", "Radio Phone=", "TTY/TDD Phone=", "Telex=",
			"Account=", "Anniversary=", "Assistant's Name=", "Billing Information=", "Birthday=birthday",
			"Business Address PO Box=", "Categories=tags", "Children=", "Directory Server=", "E-mail Address=email",
			"E-mail Type=", "E-mail Display Name=", "E-mail 2 Address=email_2", "E-mail 2 Type=",
			"E-mail 2 Display Name=", "E-mail 3 Address=email_3", "E-mail 3 Type=", "E-mail 3 Display Name=",
			"Gender=", "Government ID Number=", "Hobby=", "Home Address PO Box=", "Initials=", "Internet Free Busy=",
			"Keywords=", "Language=", "Location=", "Manager's Name=", "Mileage=", "Notes=notes", "Office Location=",
			"Organizational ID Number=", "Other Address PO Box=", "Priority=", "Private=", "Profession=",
			"Referred By=", "Sensitivity=", "Spouse=", "User 1=", "User 2=", "User 3=", "User 4=", "Web Page=",
		}},
		{"HubSpot", Contact, nil, []string{
			"Record ID=", "First Name=first_name", "Last Name=last_name", "Email=email", "Phone Number=phone",
			"Company Name=company", "Job Title=job_title", "Lifecycle Stage=lifecycle_stage", "Contact owner=owner",
			"Lead Status=", "Create Date=", "Street Address=street", "City=city", "State/Region=region",
			"Postal Code=postal_code", "Country/Region=country", "Original Source=source",
			"Mobile Phone Number=phone_2", "Marketing contact status=",
		}},
		{"Salesforce", Contact, nil, []string{
			"Contact ID=", "Salutation=", "First Name=first_name", "Last Name=last_name", "Title=job_title",
			"Account Name=company", "Email=email", "Phone=phone", "Mobile=phone_2", "Fax=",
			"Mailing Street=street", "Mailing City=city", "Mailing State/Province=region",
			"Mailing Zip/Postal Code=postal_code", "Mailing Country=country", "Lead Source=source",
			"Birthdate=birthday", "Description=notes", "Contact Owner=owner", "Email Opt Out=",
		}},
		{"Pipedrive", Contact, nil, []string{
			"Person - ID=", "Person - Name=name", "Person - Organization=company", "Person - Email - Work=email",
			"Person - Email - Home=email_2", "Person - Phone - Work=phone", "Person - Phone - Mobile=phone_2",
			"Person - Owner=owner", "Person - Labels=tags", "Person - Birthday=birthday", "Person - Postal address=",
			"Person - Postal address - City/town/village/locality=city", "Person - Visible to=",
		}},
		{"Pipedrive, older export", Contact, nil, []string{
			"Person - Name=name", "Person - Email=email", "Person - Phone=phone", "Person - Organization=company",
		}},
		{"LinkedIn connections", Contact, nil, []string{
			"First Name=first_name", "Last Name=last_name", "URL=", "Email Address=email", "Company=company",
			"Position=job_title", "Connected On=",
		}},
		{"LinkedIn with a custom field for the profile", Contact, []CustomField{{Key: "url", Label: "Profile"}}, []string{
			"First Name=first_name", "Last Name=last_name", "URL=cf.url", "Email Address=email", "Company=company",
			"Position=job_title", "Connected On=",
		}},
		{"a spreadsheet of one's own", Contact, []CustomField{{Key: "favourite_colour", Label: "Favourite colour"}, {Key: "tier", Label: "Loyalty tier"}}, []string{
			"Full Name=name", "E-mail=email", "Work Phone=phone", "Mobile=phone_2", "Company=company", "Title=job_title",
			"Street Address=street", "Town=city", "State=region", "ZIP=postal_code", "Country=country",
			"Date of Birth=birthday", "Tags=tags", "Comments=notes", "Lead Source=source", "Owner Email=owner",
			"favourite_colour=cf.favourite_colour", "LOYALTY TIER=cf.tier", "Shoe size=",
		}},
		{"title is a job title outside Outlook", Contact, nil, []string{
			"First Name=first_name", "Last Name=last_name", "Title=job_title", "Company=company",
		}},
		{"qualified emails and phones", Contact, nil, []string{
			"Name=name", "Primary E-mail=email", "Phone (Work)=phone", "Email Opt Out=", "Home Phone=phone_2",
			"Fax=", "email_bounced=", "Personal email address=email_2", "Mobile phone 2=phone_3",
		}},
		{"each single field once", Contact, nil, []string{
			"First Name=first_name", "Given Name=", "Last Name=last_name", "Surname=", "Email=email", "E-mail=email_2",
		}},
		{"German", Contact, nil, []string{
			"Vorname=first_name", "Nachname=last_name", "E-Mail=email", "Telefon=phone", "Firma=company",
			"Straße=street", "PLZ=postal_code", "Ort=city", "Land=country", "Geburtstag=birthday", "Notizen=notes",
		}},
		{"French and Spanish", Contact, nil, []string{
			"Prénom=first_name", "Nom de famille=last_name", "Courriel=email", "Téléphone=phone", "Société=company",
			"Ville=city", "Code postal=postal_code", "Pays=country", "Fecha de nacimiento=birthday",
		}},
		{"HubSpot companies", Company, nil, []string{
			"Record ID=", "Company name=name", "Company Domain Name=domain", "Website URL=", "Industry=industry",
			"Number of Employees=size", "Street Address=street", "City=city", "State/Region=region",
			"Postal Code=postal_code", "Country/Region=country", "Company owner=owner", "Phone Number=",
		}},
		{"Salesforce accounts", Company, nil, []string{
			"Account ID=", "Account Name=name", "Website=domain", "Industry=industry", "Employees=size",
			"Billing Street=street", "Billing City=city", "Billing State/Province=region",
			"Billing Zip/Postal Code=postal_code", "Billing Country=country", "Shipping Street=",
			"Account Owner=owner", "Phone=", "Type=",
		}},
		{"Pipedrive organizations", Company, nil, []string{
			"Organization - ID=", "Organization - Name=name", "Organization - Owner=owner", "Organization - Address=",
			"Organization - Address - City/town/village/locality=city", "Organization - Labels=tags",
		}},
		{"companies of one's own", "companies", []CustomField{{Key: "revenue", Label: "Revenue"}}, []string{
			"Company=name", "Website=domain", "Sector=industry", "Headcount=size", "Address=street", "City=city",
			"Country=country", "Tags=tags", "Revenue=cf.revenue", "Email=",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, want := columns(tt.cols...)
			got := Guess(header, tt.object, tt.custom)
			if len(got) != len(header) {
				t.Fatalf("got %d keys for %d columns", len(got), len(header))
			}
			for i := range header {
				if got[i] != want[i] {
					t.Errorf("%q -> %q, want %q", header[i], got[i], want[i])
				}
			}
		})
	}
}

// Every preset's own mapping is what Guess gives for its whole header
// (numbering aside), so a preset cannot contradict itself.
func TestPresetsGuessThemselves(t *testing.T) {
	for _, p := range Presets {
		var header []string
		for name := range p.Columns {
			header = append(header, name)
		}
		slices.Sort(header)
		got := Guess(header, p.Object, nil)
		used := map[string]bool{}
		for i, h := range header {
			want := p.Columns[h]
			k := got[i]
			if base, _, ok := strings.Cut(k, "_"); ok && manyKeys[base] {
				k = base
			}
			if k != want && !(k == "" && used[want]) {
				t.Errorf("%s: %q -> %q, want %q", p.Name, h, got[i], want)
			}
			used[k] = true
		}
	}
}

func TestSplitTags(t *testing.T) {
	tests := map[string][]string{
		"a; b, c|d":                        {"a", "b", "c", "d"},
		"* myContacts ::: Friends ::: VIP": {"Friends", "VIP"},
		"* starred":                        {"starred"},
		" ; ,, ":                           nil,
		"VIP; vip; Gold":                   {"VIP", "Gold"},
	}
	for in, want := range tests {
		if got := SplitTags(in); !slices.Equal(got, want) {
			t.Errorf("SplitTags(%q) = %q, want %q", in, got, want)
		}
	}
}
