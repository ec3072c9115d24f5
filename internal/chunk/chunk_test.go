package chunk

import (
	"fmt"
	"testing"
)

func TestBySize(t *testing.T) {
	tests := []struct {
		name       string
		sizes      []int
		maxEntries int
		want       string
	}{
		{"none", nil, 2, "[]"},
		{"one", []int{5}, 2, "[{0 1}]"},
		{"by count", []int{1, 1, 1, 1, 1}, 2, "[{0 2} {2 4} {4 5}]"},
		{"by size", []int{60, 50, 40, 11}, 10, "[{0 1} {1 3} {3 4}]"},
		{"exact size", []int{50, 50, 50}, 10, "[{0 2} {2 3}]"},
		{"oversize entry alone", []int{10, 200, 10}, 10, "[{0 1} {1 2} {2 3}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmt.Sprint(BySize(tt.sizes, tt.maxEntries, 100))
			if got != tt.want {
				t.Errorf("BySize(%v, %d, 100) = %s, want %s", tt.sizes, tt.maxEntries, got, tt.want)
			}
		})
	}
}
