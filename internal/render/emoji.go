package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEmojiOnly is how many emoji a message may hold and still be shown large.
const maxEmojiOnly = 5

// EmojiOnly reports whether body, trimmed, is one to five emoji and nothing
// else (spaces between them are allowed), so the UI can show it large. A ZWJ
// sequence (👩‍💻), a flag, a keycap (1️⃣) or an emoji with a skin tone or
// variation selector counts as one emoji.
//
// It is a display heuristic, not a Unicode segmenter: the standard library
// has no emoji property, so the table below approximates it, and may
// misjudge a rare symbol.
func EmojiOnly(body string) bool {
	s := strings.TrimSpace(body)
	if s == "" {
		return false
	}
	count := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		size := emojiAt(s[i:])
		if size == 0 {
			return false
		}
		if count++; count > maxEmojiOnly {
			return false
		}
		i += size
	}
	return count > 0
}

// emojiAt returns the byte length of the emoji at the start of s, including
// its modifiers and any ZWJ-joined parts, or 0 if s does not start with one.
func emojiAt(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case isKeycapBase(r):
		// A digit is an emoji only as a keycap: 1, FE0F (optional), 20E3.
		i := n
		if r2, n2 := utf8.DecodeRuneInString(s[i:]); r2 == variationEmoji {
			i += n2
		}
		if r2, n2 := utf8.DecodeRuneInString(s[i:]); r2 == combiningKeycap {
			return i + n2
		}
		return 0
	case isRegionalIndicator(r):
		// A flag is two regional indicators; one alone is a boxed letter.
		if r2, n2 := utf8.DecodeRuneInString(s[n:]); isRegionalIndicator(r2) {
			return n + n2 + modifiersAt(s[n+n2:])
		}
		return 0
	case unicode.Is(pictographic, r):
		return n + modifiersAt(s[n:])
	}
	return 0
}

// modifiersAt returns the byte length of the modifiers and ZWJ-joined
// pictographs at the start of s.
func modifiersAt(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == variationText, r == variationEmoji, r == combiningKeycap,
			isSkinTone(r), isTag(r):
			i += n
		case r == zeroWidthJoiner:
			r2, n2 := utf8.DecodeRuneInString(s[i+n:])
			if !unicode.Is(pictographic, r2) {
				return i // a dangling ZWJ is not part of the emoji
			}
			i += n + n2
		default:
			return i
		}
	}
	return i
}

const (
	zeroWidthJoiner = '\u200D'
	variationText   = '\uFE0E'
	variationEmoji  = '\uFE0F'
	combiningKeycap = '\u20E3'
)

func isKeycapBase(r rune) bool        { return r >= '0' && r <= '9' || r == '#' || r == '*' }
func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }
func isSkinTone(r rune) bool          { return r >= 0x1F3FB && r <= 0x1F3FF }

// isTag reports tag characters, which spell subdivision flags such as
// England's after a black flag.
func isTag(r rune) bool { return r >= 0xE0020 && r <= 0xE007F }

// pictographic approximates Unicode's Emoji property: the emoji scattered
// through the BMP symbol blocks one by one, and the emoji blocks of plane 1
// whole, so that emoji added in later Unicode versions still count.
var pictographic = &unicode.RangeTable{
	LatinOffset: 2, // © and ®
	R16: []unicode.Range16{
		{0x00A9, 0x00A9, 1}, {0x00AE, 0x00AE, 1},
		{0x203C, 0x203C, 1}, {0x2049, 0x2049, 1},
		{0x2122, 0x2122, 1}, {0x2139, 0x2139, 1},
		{0x2194, 0x2199, 1}, {0x21A9, 0x21AA, 1},
		{0x231A, 0x231B, 1}, {0x2328, 0x2328, 1}, {0x23CF, 0x23CF, 1},
		{0x23E9, 0x23F3, 1}, {0x23F8, 0x23FA, 1},
		{0x24C2, 0x24C2, 1},
		{0x25AA, 0x25AB, 1}, {0x25B6, 0x25B6, 1}, {0x25C0, 0x25C0, 1}, {0x25FB, 0x25FE, 1},
		// Miscellaneous Symbols and Dingbats: only the code points with the
		// Emoji property, so ✓ and ☐ stay text.
		{0x2600, 0x2604, 1}, {0x260E, 0x260E, 1}, {0x2611, 0x2611, 1}, {0x2614, 0x2615, 1},
		{0x2618, 0x2618, 1}, {0x261D, 0x261D, 1}, {0x2620, 0x2620, 1}, {0x2622, 0x2623, 1},
		{0x2626, 0x2626, 1}, {0x262A, 0x262A, 1}, {0x262E, 0x262F, 1}, {0x2638, 0x263A, 1},
		{0x2640, 0x2640, 1}, {0x2642, 0x2642, 1}, {0x2648, 0x2653, 1}, {0x265F, 0x2660, 1},
		{0x2663, 0x2663, 1}, {0x2665, 0x2666, 1}, {0x2668, 0x2668, 1}, {0x267B, 0x267B, 1},
		{0x267E, 0x267F, 1}, {0x2692, 0x2697, 1}, {0x2699, 0x2699, 1}, {0x269B, 0x269C, 1},
		{0x26A0, 0x26A1, 1}, {0x26A7, 0x26A7, 1}, {0x26AA, 0x26AB, 1}, {0x26B0, 0x26B1, 1},
		{0x26BD, 0x26BE, 1}, {0x26C4, 0x26C5, 1}, {0x26C8, 0x26C8, 1}, {0x26CE, 0x26CF, 1},
		{0x26D1, 0x26D1, 1}, {0x26D3, 0x26D4, 1}, {0x26E9, 0x26EA, 1}, {0x26F0, 0x26F5, 1},
		{0x26F7, 0x26FA, 1}, {0x26FD, 0x26FD, 1}, {0x2702, 0x2702, 1}, {0x2705, 0x2705, 1},
		{0x2708, 0x270D, 1}, {0x270F, 0x270F, 1}, {0x2712, 0x2712, 1}, {0x2714, 0x2714, 1},
		{0x2716, 0x2716, 1}, {0x271D, 0x271D, 1}, {0x2721, 0x2721, 1}, {0x2728, 0x2728, 1},
		{0x2733, 0x2734, 1}, {0x2744, 0x2744, 1}, {0x2747, 0x2747, 1}, {0x274C, 0x274C, 1},
		{0x274E, 0x274E, 1}, {0x2753, 0x2755, 1}, {0x2757, 0x2757, 1}, {0x2763, 0x2764, 1},
		{0x2795, 0x2797, 1}, {0x27A1, 0x27A1, 1}, {0x27B0, 0x27B0, 1}, {0x27BF, 0x27BF, 1},
		{0x2934, 0x2935, 1},
		{0x2B05, 0x2B07, 1}, {0x2B1B, 0x2B1C, 1}, {0x2B50, 0x2B50, 1}, {0x2B55, 0x2B55, 1},
		{0x3030, 0x3030, 1}, {0x303D, 0x303D, 1}, {0x3297, 0x3297, 1}, {0x3299, 0x3299, 1},
	},
	R32: []unicode.Range32{
		{0x1F004, 0x1F004, 1}, {0x1F0CF, 0x1F0CF, 1},
		{0x1F170, 0x1F171, 1}, {0x1F17E, 0x1F17F, 1}, {0x1F18E, 0x1F18E, 1}, {0x1F191, 0x1F19A, 1},
		{0x1F201, 0x1F202, 1}, {0x1F21A, 0x1F21A, 1}, {0x1F22F, 0x1F22F, 1},
		{0x1F232, 0x1F23A, 1}, {0x1F250, 0x1F251, 1},
		{0x1F300, 0x1F64F, 1}, // Misc Symbols and Pictographs, Emoticons
		{0x1F680, 0x1F6FF, 1}, // Transport and Map Symbols
		{0x1F7E0, 0x1F7EB, 1}, {0x1F7F0, 0x1F7F0, 1},
		{0x1F90C, 0x1F9FF, 1}, // Supplemental Symbols and Pictographs
		{0x1FA70, 0x1FAFF, 1}, // Symbols and Pictographs Extended-A
	},
}
