package web

import (
	"net/http"
	"time"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type messagesResponse struct {
	Messages []wire.Message `json:"messages"`
}

// messagesList pages through a room, oldest first.
func (a *API) messagesList(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	ms, err := a.roomMessages(r, u, id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, messagesResponse{wire.NewMessages(ms)})
	return nil
}

// roomMessages reads the page r's query asks for: before=ID, after=ID,
// after_seq=SEQ with limit=N, or updated_since=TIME alone (what a client
// refetches after a reconnect). The people's API and the bot API share it.
func (a *API) roomMessages(r *http.Request, u chat.User, roomID int64) ([]chat.Message, error) {
	q := r.URL.Query()
	if v := q.Get("updated_since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, badParam("updated_since", "an RFC 3339 time such as 2025-01-02T15:04:05.000Z")
		}
		if q.Has("before") || q.Has("after") || q.Has("after_seq") {
			return nil, chat.Errorf(chat.KindBadRequest, "invalid_parameter", "updated_since can't be combined with before, after or after_seq")
		}
		return a.core.MessagesUpdatedSince(r.Context(), u, roomID, t)
	}
	var (
		p   campfire.Page
		err error
	)
	if p.Before, err = queryID(r, "before"); err != nil {
		return nil, err
	}
	// after and after_seq may be 0: "from the room's first message".
	if p.After, err = queryCursor(r, "after"); err != nil {
		return nil, err
	}
	if p.AfterSeq, err = queryCursor(r, "after_seq"); err != nil {
		return nil, err
	}
	p.Forward = q.Has("after") || q.Has("after_seq")
	if p.Limit, err = queryLimit(r, a.limits.PageSize); err != nil {
		return nil, err
	}
	return a.core.Messages(r.Context(), u, roomID, p)
}
