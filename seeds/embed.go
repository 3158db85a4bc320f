// Package seeds holds the reference data a fresh install needs (each
// province's units, agencies and jurisdiction, public holidays) and the demo data a new user explores (demo
// accounts and cases with fictional people), embedded in the binary.
package seeds

import (
	"embed"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed *.yaml provinces
var files embed.FS

// Holiday is a public holiday on a working day.
type Holiday struct {
	Date     string `yaml:"date"`
	Name     string `yaml:"name"`
	Verified *bool  `yaml:"verified"`
	// Working marks a weekend day that a swap makes a working day.
	Working bool   `yaml:"working"`
	Source  string `yaml:"source"`
}

// User is a demo account.
type User struct {
	Username    string `yaml:"username"`
	Role        string `yaml:"role"`
	Agency      string `yaml:"agency"`
	DisplayName string `yaml:"display_name"`
	// Disabled marks an account of an agency that no longer acts, kept for
	// the history its holder recorded.
	Disabled bool `yaml:"disabled"`
}

// Person is a fictional person of a demo case.
type Person struct {
	FullName     string `yaml:"full_name"`
	Sex          string `yaml:"sex"`
	DateOfBirth  string `yaml:"date_of_birth"`
	Age          *int   `yaml:"age"`
	Address      string `yaml:"address"`
	Phone        string `yaml:"phone"`
	Relationship string `yaml:"relationship"`
	Anonymous    bool   `yaml:"anonymous"`
}

// Report is the intake part of a demo case.
type Report struct {
	Channel         string   `yaml:"channel"`
	AbuseTypes      []string `yaml:"abuse_types"`
	Setting         string   `yaml:"setting"`
	ImmediateDanger bool     `yaml:"immediate_danger"`
	Children        []Person `yaml:"children"`
	Suspects        []Person `yaml:"suspects"`
	Reporter        *Person  `yaml:"reporter"`
	Narrative       string   `yaml:"narrative"`
}

// Step is one workflow event fired on a demo case by a demo user.
type Step struct {
	By string `yaml:"by"`
	// At is when the step was taken (RFC 3339), for a case of the past;
	// default now.
	At    string         `yaml:"at"`
	Event string         `yaml:"event"`
	Note  string         `yaml:"note"`
	Data  map[string]any `yaml:"data"`
}

// Case is a demo case: a report and the steps that move it along.
type Case struct {
	Key             string `yaml:"key"`
	By              string `yaml:"by"`
	ReceivedDaysAgo int    `yaml:"received_days_ago"`
	// ReceivedAt (RFC 3339) places a case of the past at a fixed time,
	// instead of ReceivedDaysAgo; Commune names its commune as it was then
	// (default the filing officer's).
	ReceivedAt string `yaml:"received_at"`
	Commune    string `yaml:"commune"`
	// WorkflowVersion files the case on that version of the workflow (a
	// case begun before a newer version was loaded); default the newest.
	WorkflowVersion int    `yaml:"workflow_version"`
	Report          Report `yaml:"report"`
	Steps           []Step `yaml:"steps"`
}

func load(name string, v any) error {
	b, err := files.ReadFile(name)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("seeds/%s: %w", name, err)
	}
	return nil
}

// Holidays returns the public holidays of holidays.yaml.
func Holidays() ([]Holiday, error) {
	var f struct {
		Holidays []Holiday `yaml:"holidays"`
	}
	return f.Holidays, load("holidays.yaml", &f)
}

// DemoUsers returns the demo accounts.
func DemoUsers() ([]User, error) {
	var f struct {
		Users []User `yaml:"users"`
	}
	return f.Users, load("demo-users.yaml", &f)
}

// DemoCases returns the demo cases.
func DemoCases() ([]Case, error) {
	var f struct {
		Cases []Case `yaml:"cases"`
	}
	return f.Cases, load("demo-cases.yaml", &f)
}
