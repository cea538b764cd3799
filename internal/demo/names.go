package demo

import "strings"

// locale is a country's way of naming people and numbering phones. Native
// names come with the Latin spelling their email addresses use.
type locale struct {
	country string
	region  string // ISO 3166 code
	cities  []string
	first   [][2]string // native, latin
	last    [][2]string
	// phones are E.164 prefixes; the generator appends digits.
	phones []string
	digits int // digits after the prefix
	tld    string
}

var locales = []locale{
	{"United States", "US", []string{"San Francisco", "New York", "Chicago", "Boston", "Seattle", "Austin"},
		pairs("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "Aisha", "Carlos"),
		pairs("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Moore"),
		[]string{"+1415", "+1212", "+1312", "+1617", "+1206", "+1512"}, 7, "com"},
	{"Germany", "DE", []string{"Berlin", "München", "Hamburg", "Köln", "Leipzig"},
		pairs("Jürgen", "Anna", "Lukas", "Sophie", "Maximilian", "Lena", "Jörg", "Käthe", "Felix", "Mia"),
		[][2]string{{"Müller", "mueller"}, {"Schmidt", "schmidt"}, {"Schneider", "schneider"}, {"Fischer", "fischer"},
			{"Weiß", "weiss"}, {"Becker", "becker"}, {"Hoffmann", "hoffmann"}, {"Schäfer", "schaefer"}, {"Koch", "koch"}, {"Richter", "richter"}},
		[]string{"+4930", "+4989", "+49151", "+49170"}, 8, "de"},
	{"France", "FR", []string{"Paris", "Lyon", "Marseille", "Toulouse", "Nantes"},
		[][2]string{{"Zoë", "zoe"}, {"Hélène", "helene"}, {"Léa", "lea"}, {"Chloé", "chloe"}, {"Louis", "louis"},
			{"Gabriel", "gabriel"}, {"Raphaël", "raphael"}, {"Jules", "jules"}, {"Camille", "camille"}, {"Inès", "ines"}},
		pairs("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"),
		[]string{"+331", "+336", "+337"}, 8, "fr"},
	{"Spain", "ES", []string{"Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao"},
		[][2]string{{"José", "jose"}, {"Lucía", "lucia"}, {"María", "maria"}, {"Javier", "javier"}, {"Sofía", "sofia"},
			{"Martín", "martin"}, {"Álvaro", "alvaro"}, {"Paula", "paula"}, {"Hugo", "hugo"}, {"Elena", "elena"}},
		[][2]string{{"García", "garcia"}, {"Fernández", "fernandez"}, {"González", "gonzalez"}, {"Rodríguez", "rodriguez"},
			{"López", "lopez"}, {"Martínez", "martinez"}, {"Sánchez", "sanchez"}, {"Pérez", "perez"}, {"Gómez", "gomez"}, {"Ruiz", "ruiz"}},
		[]string{"+3491", "+3493", "+346"}, 7, "es"},
	{"Poland", "PL", []string{"Warszawa", "Kraków", "Łódź", "Wrocław", "Gdańsk"},
		[][2]string{{"Łukasz", "lukasz"}, {"Małgorzata", "malgorzata"}, {"Piotr", "piotr"}, {"Agnieszka", "agnieszka"},
			{"Paweł", "pawel"}, {"Katarzyna", "katarzyna"}, {"Michał", "michal"}, {"Zofia", "zofia"}},
		[][2]string{{"Nowak", "nowak"}, {"Kowalski", "kowalski"}, {"Wiśniewski", "wisniewski"}, {"Wójcik", "wojcik"},
			{"Kowalczyk", "kowalczyk"}, {"Kamiński", "kaminski"}, {"Lewandowski", "lewandowski"}, {"Zieliński", "zielinski"}},
		[]string{"+4822", "+48501", "+48601"}, 7, "pl"},
	{"Russia", "RU", []string{"Москва", "Санкт-Петербург", "Казань", "Новосибирск"},
		[][2]string{{"Дмитрий", "dmitry"}, {"Анна", "anna"}, {"Сергей", "sergey"}, {"Ольга", "olga"}, {"Алексей", "alexey"},
			{"Мария", "maria"}, {"Иван", "ivan"}, {"Екатерина", "ekaterina"}},
		[][2]string{{"Иванов", "ivanov"}, {"Смирнов", "smirnov"}, {"Кузнецов", "kuznetsov"}, {"Попов", "popov"},
			{"Васильев", "vasiliev"}, {"Петров", "petrov"}, {"Соколов", "sokolov"}, {"Михайлов", "mikhailov"}},
		[]string{"+7495", "+7812", "+7916"}, 7, "ru"},
	{"Greece", "GR", []string{"Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο"},
		[][2]string{{"Σοφία", "sofia"}, {"Γιώργος", "giorgos"}, {"Μαρία", "maria"}, {"Νίκος", "nikos"}, {"Ελένη", "eleni"},
			{"Κώστας", "kostas"}, {"Δήμητρα", "dimitra"}, {"Γιάννης", "giannis"}},
		[][2]string{{"Παπαδόπουλος", "papadopoulos"}, {"Παπαδάκης", "papadakis"}, {"Γεωργίου", "georgiou"},
			{"Οικονόμου", "oikonomou"}, {"Νικολάου", "nikolaou"}, {"Αλεξίου", "alexiou"}},
		[]string{"+30210", "+30231", "+30694"}, 7, "gr"},
	{"Japan", "JP", []string{"東京", "大阪", "京都", "横浜", "札幌"},
		[][2]string{{"健", "ken"}, {"陽菜", "hina"}, {"翔", "sho"}, {"結衣", "yui"}, {"大翔", "hiroto"}, {"さくら", "sakura"}},
		[][2]string{{"佐藤", "sato"}, {"鈴木", "suzuki"}, {"高橋", "takahashi"}, {"田中", "tanaka"}, {"渡辺", "watanabe"}, {"伊藤", "ito"}},
		[]string{"+813", "+816", "+8190"}, 8, "jp"},
	{"China", "CN", []string{"北京", "上海", "广州", "深圳", "杭州"},
		[][2]string{{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"强", "qiang"}},
		[][2]string{{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"}},
		[]string{"+8610", "+8621", "+86138"}, 8, "cn"},
	{"Egypt", "EG", []string{"القاهرة", "الإسكندرية", "الجيزة"},
		[][2]string{{"محمد", "mohamed"}, {"فاطمة", "fatma"}, {"أحمد", "ahmed"}, {"مريم", "mariam"}, {"عمر", "omar"}, {"نور", "nour"}},
		[][2]string{{"علي", "ali"}, {"حسن", "hassan"}, {"إبراهيم", "ibrahim"}, {"السيد", "elsayed"}, {"محمود", "mahmoud"}},
		[]string{"+202", "+2010", "+2012"}, 8, "eg"},
}

func pairs(names ...string) [][2]string {
	out := make([][2]string, len(names))
	for i, n := range names {
		out[i] = [2]string{n, lowerASCII(n)}
	}
	return out
}

// lowerASCII spells a Latin name the way an email address would.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		if r < 128 {
			return r
		}
		if a, ok := ascii[r]; ok {
			return a
		}
		return -1
	}, s)
}

var ascii = map[rune]rune{'ä': 'a', 'ö': 'o', 'ü': 'u', 'é': 'e', 'è': 'e', 'ë': 'e', 'ç': 'c', 'ñ': 'n', 'á': 'a', 'í': 'i', 'ó': 'o', 'ú': 'u', 'Ä': 'a', 'Ö': 'o', 'Ü': 'u', 'É': 'e'}

var (
	companyFirst = []string{"Acme", "Blue", "North", "Bright", "Silver", "Green", "Nimbus", "Vertex", "Summit", "Harbor",
		"Pioneer", "Atlas", "Quantum", "Cedar", "Orbit", "Lumen", "Granite", "Falcon", "Meridian", "Polar"}
	companySecond = []string{"Logistics", "Analytics", "Foods", "Robotics", "Health", "Energy", "Media", "Systems",
		"Labs", "Works", "Partners", "Textiles", "Capital", "Studios", "Networks", "Dynamics"}
	legal       = map[string]string{"US": "Inc", "DE": "GmbH", "FR": "SA", "ES": "SL", "PL": "Sp. z o.o.", "RU": "ООО", "GR": "ΑΕ", "JP": "株式会社", "CN": "有限公司", "EG": "ش.م.م"}
	industries  = []string{"Software", "Manufacturing", "Retail", "Healthcare", "Finance", "Education", "Logistics", "Hospitality", "Energy", "Media"}
	jobTitles   = []string{"CEO", "CTO", "Head of Sales", "Account Manager", "Buyer", "Office Manager", "Engineer", "Marketing Lead", "Founder", "Procurement", "Designer", "CFO"}
	sources     = []string{"Website", "Referral", "Trade show", "Cold call", "LinkedIn", "Webinar", "Partner", "Import"}
	streets     = []string{"Main Street", "Hauptstraße", "Rue de la Paix", "Calle Mayor", "ul. Długa", "Market Square", "Station Road"}
	tagNames    = []string{"VIP", "Newsletter", "Partner", "Trial", "Churn risk", "Decision maker", "Event 2025", "Upsell", "Reseller", "Press", "Investor", "Beta"}
	planOptions = []string{"Free", "Starter", "Pro", "Enterprise"}
	channels    = []string{"Email", "Phone", "SMS", "Post"}
	noteTexts   = []string{
		"Prefers a call in the **morning**; her latte is unsweetened now.",
		"Asked about volume pricing for next quarter.\n\n- 50 seats\n- annual billing",
		"Met at the trade show; interested in the integration with their ERP.",
		"Budget approved. Waiting for legal to sign off.",
		"Not the decision maker: talk to procurement first.",
		"Sent the case study; follow up in two weeks.",
		"Complained about slow support response — escalated.",
		"Renewal looks safe; champion is very happy.",
	}
	callOutcomes  = []string{"connected", "left voicemail", "no answer", "connected", "connected", "busy"}
	emailSubjects = []string{"Proposal", "Re: pricing", "Meeting notes", "Invoice question", "Welcome aboard", "Quick follow-up"}
)
