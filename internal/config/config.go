// Package config reads the service's configuration from the environment,
// with documented defaults. Secrets may come from a file named by the
// variable with a _FILE suffix, and are never printed.
package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
)

// Config is the whole configuration. Each field documents its variable and
// default.
type Config struct {
	// DatabaseURL is DATABASE_URL; default postgres://postgres@127.0.0.1:5432/caseflow?sslmode=disable.
	DatabaseURL string
	// ReplicaURL is DATABASE_REPLICA_URL: a streaming replica of the
	// database that serves compliance figures and exports; none by default.
	ReplicaURL string
	// ReplicaMaxLag is REPLICA_MAX_LAG: how far behind the primary the
	// replica may be and still serve them; default 10s.
	ReplicaMaxLag time.Duration
	// RedisURL is REDIS_URL; default redis://127.0.0.1:6379/0.
	RedisURL string
	// HTTPAddr is HTTP_ADDR; default 127.0.0.1:8080.
	HTTPAddr string
	// EncryptionKeys is ENCRYPTION_KEYS (or ENCRYPTION_KEYS_FILE): the key
	// ring, "id:base64key,..." with 32-byte keys, the first one active.
	EncryptionKeys string
	// BlindIndexKey is BLIND_INDEX_KEY (or _FILE): base64 of at least 32
	// bytes, keying the duplicate-detection hash.
	BlindIndexKey []byte
	// TokenSecret is TOKEN_SECRET (or _FILE): at least 32 bytes (base64),
	// keying the stored hash of session tokens.
	TokenSecret []byte
	// SessionTTL is SESSION_TTL; default 8h.
	SessionTTL time.Duration
	// WorkflowsDir is WORKFLOWS_DIR; default "workflows".
	WorkflowsDir string
	// WorkflowID is WORKFLOW_ID, the definition new cases start on; default child-abuse.
	WorkflowID string
	// WorkflowReadings is WORKFLOW_READINGS, "id=option,id=option": the
	// option the province follows for each contested reading its workflows
	// declare (workflows/README.md lists them); default each one's default.
	WorkflowReadings map[string]string
	// ComplianceArticles is COMPLIANCE_ARTICLES, comma-separated Penal Code
	// article numbers: the crimes against children the year-on-year change
	// counts; default caseflow.PlanCrimeArticles.
	ComplianceArticles []string
	// WorkflowVersion is WORKFLOW_VERSION: the version new cases start on;
	// default 0, the newest loaded.
	WorkflowVersion int
	// CodePrefix is CASE_CODE_PREFIX; default HY.
	CodePrefix string
	// CalendarPolicy is CALENDAR_POLICY: how deadlines read the contested
	// points of Điều 134 (strict, lenient, or start_day=…,day_off_shift=…);
	// default strict.
	CalendarPolicy calendar.Policy
	// TrustProxy is TRUST_PROXY; default false. When true the client
	// address comes from X-Forwarded-For.
	TrustProxy bool
	// LogLevel is LOG_LEVEL (debug, info, warn, error); default info.
	LogLevel string
	// SweepInterval is SWEEP_INTERVAL; default 30s.
	SweepInterval time.Duration
	// SMTPAddr is SMTP_ADDR (host:port); empty means no e-mail copies of
	// notifications.
	SMTPAddr string
	// SMTPFrom is SMTP_FROM; default caseflow@localhost.
	SMTPFrom string
	// SMTPTLS is SMTP_TLS: starttls (default), tls (implicit, port 465) or
	// none (a relay on a trusted network).
	SMTPTLS string
	// SMTPUsername and SMTPPassword are SMTP_USERNAME and SMTP_PASSWORD;
	// empty: no authentication.
	SMTPUsername, SMTPPassword string
	// NotifyEmailTo is NOTIFY_EMAIL_TO, comma-separated addresses (a
	// provincial duty desk) that receive every breach told to supervisors,
	// beside the contact points.
	NotifyEmailTo []string
	// SMSWebhookURL is SMS_WEBHOOK_URL, the message gateway (SMS / Zalo OA)
	// deliveries on the sms channel are posted to; empty: that channel has
	// no sender and its deliveries are dead with the reason.
	SMSWebhookURL string
	// DigestHour is DIGEST_HOUR, the hour (Vietnam time) from which each
	// agency's daily digest is sent; default 7; "off": none.
	DigestHour int
	// SMSWebhookSecret is SMS_WEBHOOK_SECRET, the key of the requests'
	// HMAC-SHA256 signature; required with SMS_WEBHOOK_URL.
	SMSWebhookSecret []byte
	// TimerCheckInterval is TIMER_CHECK_INTERVAL, how often due timers are
	// moved to run; default 200ms, at most 1s: the lateness of an on-time
	// breach is at most about this.
	TimerCheckInterval time.Duration
	// Retention is RETENTION, how many years after closing a case's
	// personal data is kept, by outcome ("default=10,convicted=keep");
	// empty: kept with no end, nothing is erased.
	Retention caseflow.RetentionPolicy
	// SubjectRequestDays is SUBJECT_REQUEST_DAYS, the working days to
	// acknowledge and answer requests about a child's data
	// ("acknowledge=2,access=10,…"); the defaults for those not named.
	SubjectRequestDays caseflow.SubjectRequestDays
}

// Getenv reads a variable; tests pass their own.
type Getenv func(string) string

// Error names the variable that stopped startup.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Load reads the configuration. requireSecrets is false only for the dev
// command, which supplies generated local keys for the ones missing.
func Load(getenv Getenv, requireSecrets bool) (*Config, error) {
	c := &Config{
		DatabaseURL:  or(getenv("DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/caseflow?sslmode=disable"),
		RedisURL:     or(getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"),
		HTTPAddr:     or(getenv("HTTP_ADDR"), "127.0.0.1:8080"),
		WorkflowsDir: or(getenv("WORKFLOWS_DIR"), "workflows"),
		WorkflowID:   or(getenv("WORKFLOW_ID"), "child-abuse"),
		CodePrefix:   or(getenv("CASE_CODE_PREFIX"), "HY"),
		LogLevel:     or(getenv("LOG_LEVEL"), "info"),
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, &Error{"DATABASE_URL", "must be a postgres:// URL"}
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "redis-sentinel") {
		return nil, &Error{"REDIS_URL", "must be a redis:// URL, or redis-sentinel://host1:port,host2:port,host3:port/db?master=NAME"}
	}
	c.SMTPAddr, c.SMTPFrom = getenv("SMTP_ADDR"), or(getenv("SMTP_FROM"), "caseflow@localhost")
	for _, a := range strings.Split(getenv("NOTIFY_EMAIL_TO"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			if !strings.Contains(a, "@") {
				return nil, &Error{"NOTIFY_EMAIL_TO", "must be comma-separated e-mail addresses"}
			}
			c.NotifyEmailTo = append(c.NotifyEmailTo, a)
		}
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			return nil, &Error{"SMTP_ADDR", "must be host:port"}
		}
	}
	c.SMTPTLS = or(getenv("SMTP_TLS"), "starttls")
	if c.SMTPTLS != "starttls" && c.SMTPTLS != "tls" && c.SMTPTLS != "none" {
		return nil, &Error{"SMTP_TLS", "must be starttls, tls or none"}
	}
	c.SMTPUsername, c.SMTPPassword = getenv("SMTP_USERNAME"), getenv("SMTP_PASSWORD")
	retention, rerr := caseflow.ParseRetention(getenv("RETENTION"))
	if rerr != nil {
		return nil, &Error{"RETENTION", rerr.Error() + " (e.g. default=10,convicted=keep,duplicate=2)"}
	}
	c.Retention = retention
	days, derr := caseflow.ParseSubjectRequestDays(getenv("SUBJECT_REQUEST_DAYS"))
	if derr != nil {
		return nil, &Error{"SUBJECT_REQUEST_DAYS", derr.Error()}
	}
	c.SubjectRequestDays = days
	switch h := getenv("DIGEST_HOUR"); h {
	case "":
		c.DigestHour = 7
	case "off":
		c.DigestHour = -1
	default:
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 || n > 23 {
			return nil, &Error{"DIGEST_HOUR", "must be an hour from 0 to 23, or off"}
		}
		c.DigestHour = n
	}
	if c.SMSWebhookURL = getenv("SMS_WEBHOOK_URL"); c.SMSWebhookURL != "" {
		if u, err := url.Parse(c.SMSWebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, &Error{"SMS_WEBHOOK_URL", "must be an http(s):// URL"}
		}
		if c.SMSWebhookSecret = []byte(getenv("SMS_WEBHOOK_SECRET")); len(c.SMSWebhookSecret) < 16 {
			return nil, &Error{"SMS_WEBHOOK_SECRET", "is required with SMS_WEBHOOK_URL: at least 16 bytes"}
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return nil, &Error{"HTTP_ADDR", "must be host:port, e.g. 127.0.0.1:8080"}
	}
	var err error
	if c.SessionTTL, err = duration(getenv, "SESSION_TTL", 8*time.Hour, time.Minute, 30*24*time.Hour); err != nil {
		return nil, err
	}
	if c.SweepInterval, err = duration(getenv, "SWEEP_INTERVAL", 30*time.Second, 100*time.Millisecond, time.Hour); err != nil {
		return nil, err
	}
	if c.ReplicaURL = getenv("DATABASE_REPLICA_URL"); c.ReplicaURL != "" {
		if u, err := url.Parse(c.ReplicaURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, &Error{"DATABASE_REPLICA_URL", "must be a postgres:// URL"}
		}
	}
	if c.ReplicaMaxLag, err = duration(getenv, "REPLICA_MAX_LAG", 10*time.Second, 0, time.Hour); err != nil {
		return nil, err
	}
	if c.TimerCheckInterval, err = duration(getenv, "TIMER_CHECK_INTERVAL", 200*time.Millisecond, 50*time.Millisecond, time.Second); err != nil {
		return nil, err
	}
	if v := getenv("TRUST_PROXY"); v != "" {
		if c.TrustProxy, err = strconv.ParseBool(v); err != nil {
			return nil, &Error{"TRUST_PROXY", "must be true or false"}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, &Error{"LOG_LEVEL", "must be debug, info, warn or error"}
	}
	if !validPrefix(c.CodePrefix) {
		return nil, &Error{"CASE_CODE_PREFIX", "must be 1 to 8 capital letters"}
	}
	if v := strings.TrimSpace(getenv("WORKFLOW_READINGS")); v != "" {
		c.WorkflowReadings = map[string]string{}
		for _, part := range strings.Split(v, ",") {
			k, opt, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || k == "" || opt == "" {
				return nil, &Error{"WORKFLOW_READINGS", "must be id=option pairs separated by commas"}
			}
			c.WorkflowReadings[k] = opt
		}
	}
	if v := strings.TrimSpace(getenv("COMPLIANCE_ARTICLES")); v != "" {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if _, err := strconv.Atoi(a); err != nil || a == "" {
				return nil, &Error{"COMPLIANCE_ARTICLES", "must be Penal Code article numbers separated by commas, e.g. 140,141,142"}
			}
			c.ComplianceArticles = append(c.ComplianceArticles, a)
		}
	}
	if v := getenv("WORKFLOW_VERSION"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, &Error{"WORKFLOW_VERSION", "must be a version number, or empty for the newest"}
		}
		c.WorkflowVersion = n
	}
	if c.CalendarPolicy, err = calendar.ParsePolicy(getenv("CALENDAR_POLICY")); err != nil {
		return nil, &Error{"CALENDAR_POLICY", "must be strict, lenient, or start_day=included|excluded,day_off_shift=months|days_and_months"}
	}

	if c.EncryptionKeys, err = secret(getenv, "ENCRYPTION_KEYS"); err != nil {
		return nil, err
	}
	blind, err := secret(getenv, "BLIND_INDEX_KEY")
	if err != nil {
		return nil, err
	}
	token, err := secret(getenv, "TOKEN_SECRET")
	if err != nil {
		return nil, err
	}
	if requireSecrets {
		for name, v := range map[string]string{"ENCRYPTION_KEYS": c.EncryptionKeys, "BLIND_INDEX_KEY": blind, "TOKEN_SECRET": token} {
			if v == "" {
				return nil, &Error{name, "is required (or " + name + "_FILE); generate keys with `caseflow keys generate`"}
			}
		}
	}
	if blind != "" {
		if c.BlindIndexKey, err = key32("BLIND_INDEX_KEY", blind); err != nil {
			return nil, err
		}
	}
	if token != "" {
		if c.TokenSecret, err = key32("TOKEN_SECRET", token); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func validPrefix(s string) bool {
	if len(s) < 1 || len(s) > 8 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func duration(getenv Getenv, name string, def, min, max time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &Error{name, "must be a duration such as 30s or 8h"}
	}
	if d < min || d > max {
		return 0, &Error{name, fmt.Sprintf("must be between %s and %s", min, max)}
	}
	return d, nil
}

// secret reads NAME, or the file named by NAME_FILE; setting both is an error.
func secret(getenv Getenv, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	if v != "" && file != "" {
		return "", &Error{name, "set either " + name + " or " + name + "_FILE, not both"}
	}
	if file == "" {
		return strings.TrimSpace(v), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", &Error{name + "_FILE", "cannot be read: " + err.Error()}
	}
	return strings.TrimSpace(string(b)), nil
}

func key32(name, v string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, &Error{name, "must be base64"}
	}
	if len(b) < 32 {
		return nil, &Error{name, fmt.Sprintf("must decode to at least 32 bytes, got %d", len(b))}
	}
	return b, nil
}

// Redacted returns the configuration as name=value lines for display, with
// secrets and passwords hidden.
func (c *Config) Redacted() []string {
	db := c.DatabaseURL
	if u, err := url.Parse(db); err == nil {
		db = u.Redacted()
	}
	rd := c.RedisURL
	if u, err := url.Parse(rd); err == nil {
		rd = u.Redacted()
	}
	return []string{"DATABASE_URL=" + db, "REDIS_URL=" + rd, "HTTP_ADDR=" + c.HTTPAddr,
		"WORKFLOWS_DIR=" + c.WorkflowsDir, "ENCRYPTION_KEYS=[redacted]", "BLIND_INDEX_KEY=[redacted]", "TOKEN_SECRET=[redacted]"}
}
