package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// botMessagesList pages through a room the bot is in, with the same query
// parameters as the people's API.
func (a *API) botMessagesList(w http.ResponseWriter, r *http.Request, bot chat.User) error {
	roomID, err := pathID(r, "room_id", "room")
	if err != nil {
		return err
	}
	ms, err := a.roomMessages(r, bot, roomID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, messagesResponse{wire.NewMessages(ms)})
	return nil
}

// botRoomMessage resolves the {room_id} and {id} of a bot API path to a
// message the bot can see in that very room.
func (a *API) botRoomMessage(r *http.Request, bot chat.User) (chat.Message, error) {
	roomID, err := pathID(r, "room_id", "room")
	if err != nil {
		return chat.Message{}, err
	}
	id, err := pathID(r, "id", "message")
	if err != nil {
		return chat.Message{}, err
	}
	m, err := a.core.Message(r.Context(), bot, id)
	if err != nil {
		return chat.Message{}, err
	}
	if m.RoomID != roomID {
		return chat.Message{}, chat.NotFound("message")
	}
	return m, nil
}
