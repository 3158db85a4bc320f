package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"caseflow/internal/clock"
	"caseflow/internal/config"
	"caseflow/internal/seal"
)

// devKeyFile keeps the generated local keys of dev mode, so that data
// encrypted in one run still opens in the next. It is ignored by git.
const devKeyFile = ".caseflow-dev-keys.env"

// devEnv returns an environment in which missing secrets come from the local
// dev key file, generating it on first use.
func devEnv(getenv config.Getenv, stderr io.Writer) (config.Getenv, error) {
	vals := map[string]string{}
	b, err := os.ReadFile(devKeyFile)
	switch {
	case err == nil:
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && !strings.HasPrefix(k, "#") {
				vals[k] = v
			}
		}
	case os.IsNotExist(err):
		vals["ENCRYPTION_KEYS"] = "dev" + clock.Now().UTC().Format("20060102150405") + ":" + seal.NewKey()
		vals["BLIND_INDEX_KEY"] = seal.NewKey()
		vals["TOKEN_SECRET"] = seal.NewKey()
		content := "# Local keys for `caseflow dev` only. Never use them in production.\n" +
			"ENCRYPTION_KEYS=" + vals["ENCRYPTION_KEYS"] + "\nBLIND_INDEX_KEY=" + vals["BLIND_INDEX_KEY"] +
			"\nTOKEN_SECRET=" + vals["TOKEN_SECRET"] + "\n"
		if err := os.WriteFile(devKeyFile, []byte(content), 0o600); err != nil {
			return nil, fmt.Errorf("writing %s: %w", devKeyFile, err)
		}
		fmt.Fprintf(stderr, "generated local dev keys in %s\n", devKeyFile)
	default:
		return nil, fmt.Errorf("reading %s: %w", devKeyFile, err)
	}
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if getenv(name+"_FILE") != "" {
			return ""
		}
		return vals[name]
	}, nil
}
