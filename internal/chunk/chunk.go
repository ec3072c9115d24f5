// Package chunk splits the entries of an AWS batch call into chunks that
// respect the call's limits on entry count and total size.
package chunk

// Range is a half-open range [Start, End) of entry indexes.
type Range struct{ Start, End int }

// BySize splits entries with the given sizes, in order, into ranges of at
// most maxEntries entries and at most maxBytes bytes in total. An entry
// larger than maxBytes gets a range of its own, and the call then rejects
// it alone.
func BySize(sizes []int, maxEntries, maxBytes int) []Range {
	var ranges []Range
	start, total := 0, 0
	for i, size := range sizes {
		full := i-start == maxEntries || total+size > maxBytes
		if i > start && full {
			ranges = append(ranges, Range{start, i})
			start, total = i, 0
		}
		total += size
	}
	if start < len(sizes) {
		ranges = append(ranges, Range{start, len(sizes)})
	}
	return ranges
}
