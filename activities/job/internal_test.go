package job

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"image", "imgae", 2}, {"cluster", "clustr", 1}, {"kitten", "sitting", 3}, {"é", "e", 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, levenshtein(tt.a, tt.b), "%q %q", tt.a, tt.b)
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"image", "cpu", "memory", "streamOutput", "env"}
	assert.Equal(t, "image", suggest("IMAGE", known))
	assert.Equal(t, "memory", suggest("memroy", known))
	assert.Equal(t, "", suggest("q", known), "short keys do not match everything")
	assert.Equal(t, "", suggest("completelydifferent", known))
}

func TestSlugTag(t *testing.T) {
	assert.Equal(t, "a-b", slugTag("a b", 128))
	assert.Equal(t, "a-b", slugTag("--a!!!b--", 128))
	assert.Equal(t, "A_b.c/d=e+f:g@h", slugTag("A_b.c/d=e+f:g@h", 128))
	assert.Equal(t, "ab", slugTag("abc", 2))
}
