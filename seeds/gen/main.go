// Command gen writes the generated jurisdiction files of every province
// under seeds/provinces (run from seeds/ by `go generate ./seeds`).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"caseflow/seeds"
)

func main() {
	dirs, err := filepath.Glob("provinces/*/province.yaml")
	if err != nil || len(dirs) == 0 {
		fmt.Fprintln(os.Stderr, "gen: run from seeds/ (go generate ./seeds): no provinces/*/province.yaml")
		os.Exit(1)
	}
	var unverified strings.Builder
	for _, f := range dirs {
		dir := filepath.Dir(f)
		files, err := seeds.Generated(os.DirFS("."), filepath.ToSlash(dir))
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "gen:", err)
				os.Exit(1)
			}
			fmt.Println("wrote", filepath.Join(dir, name))
		}
		p, err := seeds.LoadProvince(os.DirFS("."), filepath.ToSlash(dir))
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		unverified.WriteString(seeds.UnverifiedSection(p))
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	i := strings.Index(string(readme), seeds.UnverifiedStart)
	j := strings.Index(string(readme), seeds.UnverifiedEnd)
	if i < 0 || j < i {
		fmt.Fprintln(os.Stderr, "gen: README.md has no generated section markers")
		os.Exit(1)
	}
	out := string(readme[:i+len(seeds.UnverifiedStart)]) + "\n" + unverified.String() + string(readme[j:])
	if err := os.WriteFile("README.md", []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Println("wrote README.md")
}
