package export

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"

	"github.com/rapportcrm/rapport/internal/phone"
)

// formatPhone is phone.International for the E.164 numbers Rapport
// stores, without parsing them as typed text: an export formats a number
// per row, and parsing is four fifths of the cost. Anything unexpected
// goes the ordinary way.
func formatPhone(e164 string) string {
	if len(e164) < 4 || e164[0] != '+' {
		return phone.International(e164)
	}
	digits := e164[1:]
	// Country calling codes are prefix-free: the first known one is it.
	for l := 1; l <= 3 && l < len(digits); l++ {
		cc, err := strconv.Atoi(digits[:l])
		if err != nil {
			break
		}
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		nsn := digits[l:]
		nn, err := strconv.ParseUint(nsn, 10, 64)
		if err != nil || len(nsn) > 17 {
			break
		}
		code := int32(cc)
		n := &phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &nn}
		if len(nsn) > 1 && nsn[0] == '0' {
			// Italy and a few others keep leading zeros in the national
			// number, which a uint64 loses.
			lead := true
			zeros := int32(0)
			for zeros < int32(len(nsn))-1 && nsn[zeros] == '0' {
				zeros++
			}
			n.ItalianLeadingZero = &lead
			if zeros > 1 {
				n.NumberOfLeadingZeros = &zeros
			}
		}
		return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
	}
	return phone.International(e164)
}
