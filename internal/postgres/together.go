package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// together collects writes that do not depend on one another's results and
// sends them to Postgres as one statement: each but the last becomes a
// data-modifying WITH query of the last. A write that touches many tables
// then costs one round trip instead of one per table. Each write is built
// by gorm, in dry-run mode, from the same model and clauses as when it runs
// alone, so the columns written stay those of the model.
//
// The writes see the same snapshot and run in no set order; constraints
// and triggers behave as for separate statements (foreign keys are checked
// at the end of the statement, so a row may refer to another added with it).
type together struct {
	tx   *gorm.DB
	sql  []string
	vars []any
	err  error
}

func newTogether(tx *gorm.DB) *together { return &together{tx: tx} }

// add builds one write: build receives a dry-run session of the
// transaction and returns the result of its Create or Update.
func (t *together) add(build func(tx *gorm.DB) *gorm.DB) {
	if t.err != nil {
		return
	}
	res := build(t.tx.Session(&gorm.Session{DryRun: true}))
	if res.Error != nil {
		t.err = res.Error
		return
	}
	text, err := renumber(res.Statement.SQL.String(), len(t.vars), len(res.Statement.Vars))
	if err != nil {
		t.err = err
		return
	}
	t.sql = append(t.sql, text)
	t.vars = append(t.vars, res.Statement.Vars...)
}

// exec runs the writes in the transaction.
func (t *together) exec() error {
	if t.err != nil || len(t.sql) == 0 {
		return t.err
	}
	var b strings.Builder
	for i, s := range t.sql[:len(t.sql)-1] {
		if i == 0 {
			b.WriteString("WITH ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "w%d AS (%s)", i, s)
	}
	if len(t.sql) > 1 {
		b.WriteByte(' ')
	}
	b.WriteString(t.sql[len(t.sql)-1])
	_, err := t.tx.Statement.ConnPool.ExecContext(t.tx.Statement.Context, b.String(), t.vars...)
	if err != nil {
		if tr, ok := t.tx.Dialector.(gorm.ErrorTranslator); ok && t.tx.TranslateError {
			err = tr.Translate(err)
		}
	}
	return err
}

// renumber shifts the placeholders ($1, $2, …) of a statement gorm built by
// offset, and checks that it holds one for each of its n values (none
// above n), outside quoted names and literals.
func renumber(sql string, offset, n int) (string, error) {
	var b strings.Builder
	b.Grow(len(sql) + 8)
	seen := 0
	var quote byte
	for i := 0; i < len(sql); i++ {
		ch := sql[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '$':
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			k, err := strconv.Atoi(sql[i+1 : j])
			if err != nil || k < 1 || k > n {
				return "", fmt.Errorf("statement to combine has an unexpected placeholder at %d: %.40q", i, sql[i:])
			}
			seen++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(k + offset))
			i = j - 1
			continue
		}
		b.WriteByte(ch)
	}
	if quote != 0 || seen != n {
		return "", fmt.Errorf("statement to combine has %d placeholders for %d values", seen, n)
	}
	return b.String(), nil
}
