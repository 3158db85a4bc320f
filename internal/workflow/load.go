package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Registry holds every loaded definition, by id and version.
type Registry struct {
	defs map[string]map[int]*Definition
	all  []*Definition
}

// LoadDir loads and validates every *.yaml file in dir; problems name the
// files by their path under dir.
func LoadDir(dir string) (*Registry, error) {
	return load(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) })
}

// LoadFS loads and validates every *.yaml file in dir of fsys, for
// definitions embedded in the binary.
func LoadFS(fsys fs.FS, dir string) (*Registry, error) {
	return load(fsys, dir, func(name string) string { return name })
}

func load(fsys fs.FS, dir string, display func(string) string) (*Registry, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("workflow: list %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("workflow: no *.yaml definitions in %s", display(dir))
	}
	var all []Problem
	var defs []*Definition
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("workflow: %w", err)
		}
		d, list := parse(display(name), src)
		all = append(all, list...)
		if d != nil {
			defs = append(defs, d)
		}
	}
	r, list := newRegistry(defs)
	all = append(all, list...)
	if err := errorOf(all); err != nil {
		return nil, err
	}
	return r, nil
}

// NewRegistry returns a registry of already parsed definitions; two
// definitions with the same id and version are an error.
func NewRegistry(defs ...*Definition) (*Registry, error) {
	r, list := newRegistry(defs)
	if err := errorOf(list); err != nil {
		return nil, err
	}
	return r, nil
}

func newRegistry(defs []*Definition) (*Registry, []Problem) {
	r := &Registry{defs: map[string]map[int]*Definition{}}
	var list []Problem
	for _, d := range defs {
		byVersion := r.defs[d.ID]
		if byVersion == nil {
			byVersion = map[int]*Definition{}
			r.defs[d.ID] = byVersion
		}
		if prev, ok := byVersion[d.Version]; ok {
			list = append(list, Problem{File: d.file, Line: d.versionLine,
				Message: fmt.Sprintf("workflow %q version %d is already defined in %s", d.ID, d.Version, prev.file)})
			continue
		}
		byVersion[d.Version] = d
		r.all = append(r.all, d)
	}
	slices.SortFunc(r.all, func(a, b *Definition) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
	return r, list
}

// Get returns the definition with the given id and version, the one a case
// started on.
func (r *Registry) Get(id string, version int) (*Definition, bool) {
	d, ok := r.defs[id][version]
	return d, ok
}

// Latest returns the highest version of the workflow id, the one new cases
// start on.
func (r *Registry) Latest(id string) (*Definition, bool) {
	var latest *Definition
	for _, d := range r.defs[id] {
		if latest == nil || d.Version > latest.Version {
			latest = d
		}
	}
	return latest, latest != nil
}

// All returns every definition, ordered by id and then version.
func (r *Registry) All() []*Definition {
	return slices.Clone(r.all)
}

// Parse reads and validates one definition; name is the file name that
// problems carry.
func Parse(name string, src []byte) (*Definition, error) {
	d, list := parse(name, src)
	if err := errorOf(list); err != nil {
		return nil, err
	}
	return d, nil
}

func parse(name string, src []byte) (*Definition, []Problem) {
	ps := &problems{file: name}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
		ps.add(line, "%s", msg)
		return nil, ps.list
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		ps.add(1, "a workflow definition must be a YAML mapping")
		return nil, ps.list
	}
	doc := root.Content[0]

	var d Definition
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			ps.add(0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			return nil, ps.list
		}
		for _, m := range te.Errors {
			line, msg := splitLine(m)
			ps.add(line, "%s", friendlyTypes(msg))
		}
		// Stop here: checking a half-decoded definition would report the
		// same mistake again in other words.
		return nil, ps.list
	}
	d.file = name
	d.versionLine = lineAt(doc, "version")
	v := &validator{d: &d, root: doc, ps: ps}
	v.validate()
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	d.index()
	return &d, nil
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// splitLine splits yaml.v3's "line N: message" into its parts.
func splitLine(msg string) (int, string) {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, msg
	}
	n, _ := strconv.Atoi(m[1])
	return n, m[2]
}

var (
	unknownKeyRE = regexp.MustCompile(`^field (\S+) not found in type \*?\w+\.(\w+)$`)
	goTypeRE     = regexp.MustCompile(`\*?(?:workflow|caseflow)\.(\w+)`)
)

// friendlyTypes rewrites yaml.v3's messages, which name Go types, in the
// terms of the file format.
func friendlyTypes(msg string) string {
	if m := unknownKeyRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown key %q in %s", m[1], typeWord(m[2]))
	}
	return goTypeRE.ReplaceAllStringFunc(msg, func(s string) string {
		return typeWord(goTypeRE.FindStringSubmatch(s)[1])
	})
}

func typeWord(goType string) string {
	switch goType {
	case "AgencyType":
		return "agency type"
	case "FieldType":
		return "field type"
	case "Role":
		return "role"
	}
	return strings.ToLower(goType)
}

// lineAt returns the line of the node at path below n: a string steps into a
// mapping by key, an int into a sequence by index. When the path ends on a
// key it returns the key's line; when a step is missing, the line of the
// deepest node found.
func lineAt(n *yaml.Node, path ...any) int {
	line := n.Line
	for i, step := range path {
		switch s := step.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == s {
					line = n.Content[j].Line
					if i < len(path)-1 {
						line = n.Content[j+1].Line
					}
					n = n.Content[j+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || s < 0 || s >= len(n.Content) {
				return line
			}
			n = n.Content[s]
			line = n.Line
		}
	}
	return line
}
