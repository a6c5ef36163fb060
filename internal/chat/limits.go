package chat

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits bound every size a client controls. The zero value is not useful:
// start from DefaultLimits.
type Limits struct {
	MessageBytes   int // Markdown body of one message
	BoostRunes     int // content of one boost
	RoomNameRunes  int
	UserNameRunes  int
	BioRunes       int
	EmailBytes     int
	PasswordMin    int // characters
	PasswordBytes  int // bcrypt ignores bytes past 72, so longer is refused
	PageSize       int // most messages returned by one list call
	DefaultPage    int
	SearchResults  int
	SearchBytes    int // longest search query
	RoomMembers    int // most user ids in one create/update request
	ClientIDBytes  int // client_message_id
	WebhookURLSize int
}

// DefaultLimits are the contract's defaults.
var DefaultLimits = Limits{
	MessageBytes:   64 << 10,
	BoostRunes:     16,
	RoomNameRunes:  120,
	UserNameRunes:  80,
	BioRunes:       500,
	EmailBytes:     254,
	PasswordMin:    8,
	PasswordBytes:  72,
	PageSize:       100,
	DefaultPage:    40,
	SearchResults:  100,
	SearchBytes:    200,
	RoomMembers:    1000,
	ClientIDBytes:  64,
	WebhookURLSize: 2048,
}

// CleanName trims a name and checks it: non-empty, at most max characters,
// no control characters. field names the JSON field in the error.
func CleanName(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid("invalid_"+field, "%s can't be blank", field)
	}
	if !utf8.ValidString(s) {
		return "", Invalid("invalid_"+field, "%s must be valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", Invalid(field+"_too_long", "%s is %d characters; the limit is %d", field, n, max)
	}
	if strings.ContainsFunc(s, unicode.IsControl) || strings.ContainsFunc(s, isBidiControl) || strings.ContainsFunc(s, isNoncharacter) {
		return "", Invalid("invalid_"+field, "%s can't contain control characters", field)
	}
	if !strings.ContainsFunc(s, isVisible) {
		return "", Invalid("invalid_"+field, "%s can't be blank", field)
	}
	return s, nil
}

// isBidiControl reports the explicit direction overrides and isolates,
// which can make a name display as something else ("exe.gnp" as "png.exe").
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\u200E' || r == '\u200F'
}

// isNoncharacter reports the code points Unicode reserves never to be
// characters (U+FDD0–U+FDEF and the last two of every plane): no font draws
// them and software uses them as sentinels.
func isNoncharacter(r rune) bool {
	return (r >= '\uFDD0' && r <= '\uFDEF') || r&0xFFFE == 0xFFFE
}

// isBodyControl reports a rune a message body may not hold: a C0 or C1
// control other than tab and line breaks, or a noncharacter. Bodies keep
// direction marks, which right-to-left writing needs.
func isBodyControl(r rune) bool {
	return (unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r') || isNoncharacter(r)
}

// isVisible reports a rune that draws something: not a space, not a
// zero-width or other format character.
func isVisible(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Mn, r)
}

// CleanEmail normalises an email address (trimmed, lower case) and checks it.
func CleanEmail(s string, l Limits) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", Invalid("invalid_email", "email can't be blank")
	}
	if len(s) > l.EmailBytes {
		return "", Invalid("invalid_email", "email is longer than %d bytes", l.EmailBytes)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", Invalid("invalid_email", "%q is not an email address", s)
	}
	return s, nil
}

// CheckPassword checks a new password's length.
func CheckPassword(p string, l Limits) error {
	if utf8.RuneCountInString(p) < l.PasswordMin {
		return Invalid("password_too_short", "password must be at least %d characters", l.PasswordMin)
	}
	if len(p) > l.PasswordBytes {
		return Invalid("password_too_long", "password must be at most %d bytes", l.PasswordBytes)
	}
	return nil
}

// CheckBody checks a message body with the rules names follow, lines
// allowed: valid UTF-8, no control characters but tab and line breaks, no
// noncharacters, something visible (not only spaces or zero-width
// characters), within the limit.
func CheckBody(body string, l Limits) error {
	if len(body) > l.MessageBytes {
		return Errorf(KindTooLarge, "body_too_large", "message is %d bytes; the limit is %d", len(body), l.MessageBytes)
	}
	if !utf8.ValidString(body) || strings.ContainsFunc(body, isBodyControl) {
		return Invalid("invalid_body", "message must be valid UTF-8 text without control characters or noncharacters")
	}
	if !strings.ContainsFunc(body, isVisible) {
		return Invalid("body_blank", "message can't be blank")
	}
	return nil
}

// CleanBoost trims and checks a boost's content.
func CleanBoost(content string, l Limits) (string, error) {
	content = strings.TrimSpace(content)
	if content == "" {
		return "", Invalid("boost_blank", "boost can't be blank")
	}
	if !utf8.ValidString(content) || strings.ContainsFunc(content, unicode.IsControl) || strings.ContainsFunc(content, isNoncharacter) ||
		strings.ContainsFunc(content, isBidiControl) || !strings.ContainsFunc(content, isVisible) {
		return "", Invalid("invalid_boost", "boost must be printable text")
	}
	if n := utf8.RuneCountInString(content); n > l.BoostRunes {
		return "", Invalid("boost_too_long", "boost is %d characters; the limit is %d", n, l.BoostRunes)
	}
	return content, nil
}

// CheckClientMessageID checks the idempotency key a client sends with a post.
// Empty is allowed (the server then stores no key).
func CheckClientMessageID(id string, l Limits) error {
	if len(id) > l.ClientIDBytes {
		return Invalid("invalid_client_message_id", "client_message_id is longer than %d bytes", l.ClientIDBytes)
	}
	if strings.ContainsFunc(id, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
		return Invalid("invalid_client_message_id", "client_message_id must be printable text")
	}
	return nil
}
