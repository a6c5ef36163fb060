package ui

// authPage is the data of the signed-out forms: first run, sign in, join.
type authPage struct {
	layout
	Error string
	// NewAccountName is the first-run form's value; the layout's
	// AccountName is the account's current name.
	NewAccountName string
	Name           string
	Email          string
	ReturnTo       string
	JoinCode       string
	AdminName      string
	AdminEmail     string
}
