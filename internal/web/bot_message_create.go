package web

import (
	"net/http"
	"strconv"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// botMessageCreate posts the raw request body as the bot's message, as
// Campfire's bot API does (`curl -d 'Hello' …`): 201 with a Location.
func (a *API) botMessageCreate(w http.ResponseWriter, r *http.Request, bot chat.User) error {
	roomID, err := pathID(r, "room_id", "room")
	if err != nil {
		return err
	}
	if isMultipart(r) {
		// A file, as Campfire's bots send one: -F attachment=@file.
		m, _, err := a.postUpload(w, r, bot, roomID, "attachment")
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/messages/"+strconv.FormatInt(m.ID, 10))
		WriteJSON(w, http.StatusCreated, wire.NewMessage(m))
		return nil
	}
	body, err := readText(w, r, a.limits.MessageBytes)
	if err != nil {
		return err
	}
	m, _, err := a.core.PostMessage(r.Context(), bot, roomID, body, "")
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/messages/"+strconv.FormatInt(m.ID, 10))
	WriteJSON(w, http.StatusCreated, wire.NewMessage(m))
	return nil
}
