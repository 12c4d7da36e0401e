package billing

import (
	"fmt"
	"strings"
)

// zeroDecimal are the currencies whose minor unit is the unit (Stripe's
// list); every other currency has two decimals for our purposes.
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
}

// FormatMoney renders minor units for people: FormatMoney(-14050, "cad")
// is "-CAD 140.50".
func FormatMoney(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	code := strings.ToUpper(currency)
	if zeroDecimal[strings.ToLower(currency)] {
		return fmt.Sprintf("%s%s %d", sign, code, amount)
	}
	return fmt.Sprintf("%s%s %d.%02d", sign, code, amount/100, amount%100)
}
