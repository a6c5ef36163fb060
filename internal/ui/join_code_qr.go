package ui

import (
	"net/http"
	"strconv"

	qrcode "github.com/skip2/go-qrcode"
)

// joinCodeQR is the join link as a QR code (admin), for a phone to scan.
func (u *UI) joinCodeQR(w http.ResponseWriter, r *http.Request, v *visit) error {
	acct, err := u.core.Account(r.Context(), v.me)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(u.origin(r)+"/join/"+acct.JoinCode, qrcode.Medium, 320)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	_, _ = w.Write(png)
	return nil
}
