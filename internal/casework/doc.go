// Package casework carries out what users ask of cases: filing a report,
// firing a workflow event, referring a case to a service. It checks the
// request against the domain rules and the workflow definition, then hands
// the whole change to storage as one transaction.
package casework
