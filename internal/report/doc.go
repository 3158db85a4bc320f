// Package report writes a compliance report (caseflow.ComplianceReport) as
// the document a province sends to its People's Council and the ministry:
// CSV (UTF-8 with a byte-order mark, so that spreadsheet programs show the
// Vietnamese diacritics) and XLSX, with Vietnamese headings. It only
// formats: it reads no data and decides nothing about who may see it.
package report
