package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// RenamedWorkflows copies every definition of dir into a temporary
// directory with each event and clock id renamed (the intake event too),
// and every reference to them changed to match, and returns that directory.
// Anything that keeps working on the copy reads what events and clocks mean
// (their declared roles), not their names.
func RenamedWorkflows(t testing.TB, dir string) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no workflow definitions in %s: %v", dir, err)
	}
	out := t.TempDir()
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		renameVocabulary(doc.Content[0])
		raw, err := yaml.Marshal(&doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(name)), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// renamed is the new name of an event or clock id.
func renamed(id string) string { return "renamed_" + id + "_x" }

func renameVocabulary(root *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i].Value, root.Content[i+1]
		switch key {
		case "intake_event":
			val.Value = renamed(val.Value)
		case "intakes":
			for _, item := range val.Content {
				for j := 0; j+1 < len(item.Content); j += 2 {
					if item.Content[j].Value == "event" {
						item.Content[j+1].Value = renamed(item.Content[j+1].Value)
					}
				}
			}
		case "events", "clocks":
			for _, item := range val.Content {
				for j := 0; j+1 < len(item.Content); j += 2 {
					k, v := item.Content[j].Value, item.Content[j+1]
					switch {
					case k == "id":
						v.Value = renamed(v.Value)
					case (key == "clocks" && (k == "start" || k == "stop")) || k == "after" || k == "unless":
						for _, e := range v.Content {
							e.Value = renamed(e.Value)
						}
					}
				}
			}
		}
	}
}
