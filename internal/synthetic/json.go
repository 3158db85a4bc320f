package synthetic

import (
	"encoding/json"
	"slices"
	"strconv"
)

// object is the JSON text of an object of event data: its keys in order,
// its values strings, bools and whole numbers as the definition normalises
// them (anything else through encoding/json). A few million small maps
// are encoded in a run; encoding/json would spend more time on them than
// the rest of the story.
func (s *story) object(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	keys := s.keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s.keys = keys
	b := append(s.buf[:0], '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch v := m[k].(type) {
		case string:
			b = appendString(b, v)
		case bool:
			b = strconv.AppendBool(b, v)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		default:
			raw, err := json.Marshal(v)
			if err != nil {
				return "", err
			}
			b = append(b, raw...)
		}
	}
	b = append(b, '}')
	s.buf = b
	return string(b), nil
}

// appendString appends a JSON string; the text is UTF-8, so only quotes,
// backslashes and control characters need escaping.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
