package render

import "testing"

func TestEmojiOnly(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"👍", true},
		{"  👍\n", true},
		{"👍👍👍👍👍", true},
		{"👍 👍 👍", true},
		{"👍👍👍👍👍👍", false},
		{"❤️", true},  // text-default heart with VS16
		{"❤", true},   // and without
		{"☺︎", true},  // with text presentation selector
		{"👍🏽", true},  // skin tone
		{"👩‍💻", true}, // ZWJ sequence is one emoji
		{"👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦", true}, // five families
		{"🏳️‍🌈", true},    // rainbow flag
		{"🇳🇿🇯🇵", true},    // two flags
		{"🏴󠁧󠁢󠁥󠁮󠁧󠁿", true}, // England: black flag and tag characters
		{"1️⃣", true},     // keycap
		{"#⃣", true},      // keycap without VS16
		{"🦩🫠", true},      // newer emoji
		{"", false},
		{"   ", false},
		{"hi", false},
		{"hi 👋", false},
		{"👋!", false},
		{"1", false},
		{"🇳", false},       // lone regional indicator
		{"👍\u200D", false}, // dangling joiner
		{"✓", false},       // check mark is text, not emoji
		{"☐", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		if got := EmojiOnly(tt.in); got != tt.want {
			t.Errorf("EmojiOnly(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
