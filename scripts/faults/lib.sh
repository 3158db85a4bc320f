# lib.sh is sourced by the fault scripts of this directory; it is not run.
#
# It gives each script a private world on loopback: a Postgres 15 cluster in
# a mktemp directory on the script's own port, a Redis on its own port
# (--save "" --appendonly no), a caseflow database made by `caseflow dev`,
# and `caseflow serve` / `caseflow worker` processes started with
# fx_spawn. An EXIT trap stops and deletes everything the script started,
# also on failure, timeout or Ctrl-C; a watchdog ends the script after its
# time limit. It never touches the Postgres and Redis on the default ports.
#
# Environment:
#   FAULTS_BIN   a directory holding caseflow and load binaries already
#                built (scripts/faults/all builds them once for every script)
#                and FAULTS_SRC the tree they were built from (its workflows)
#   FAULTS_REV   a git revision to build and run (its workflows too) instead
#                of the working tree, e.g. HEAD
#   FAULTS_KEEP  1: keep the script's directory (logs, CSV, data) at the end
#                and print where it is
#   FAULTS_TIME_LIMIT  seconds after which the script stops and fails
#                (each script has its own default)

set -u
fx_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fx_pgbin=/usr/lib/postgresql/15/bin
declare -A fx_pids=()
fx_failed=0
fx_fails=()
fx_watchdog=""
fx_pgdata=""
tmp=""

fx_now_ms() { date +%s%3N; }
fx_say() { printf '%s: %s\n' "$fx_name" "$*"; }

if [ "$(id -u)" = 0 ]; then
	fx_as_pg() { runuser -u postgres -- "$@"; }
else
	fx_as_pg() { "$@"; }
fi

# fx_init NAME LIMIT_SECONDS PG_PORT REDIS_PORT API_PORT: the script's
# directory, ports, traps and watchdog.
fx_init() {
	fx_name=$1 fx_limit=${FAULTS_TIME_LIMIT:-$2} pg_port=$3 redis_port=$4 api_port=$5
	fx_t0=$(fx_now_ms)
	local c
	for c in "$fx_pgbin/initdb" "$fx_pgbin/pg_ctl" psql redis-server redis-cli curl awk; do
		command -v "$c" >/dev/null || { echo "$fx_name: needs $c" >&2; exit 2; }
	done
	for c in "$pg_port" "$redis_port" "$api_port"; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$c") 2>/dev/null; then
			echo "$fx_name: port $c on 127.0.0.1 is already in use" >&2
			exit 2
		fi
	done
	tmp=$(mktemp -d "/tmp/faults-$fx_name.XXXXXX")
	chmod 755 "$tmp"
	mkdir -p "$tmp/log" "$tmp/run" "$tmp/out"
	trap fx_cleanup EXIT
	trap 'fx_say "interrupted" >&2; exit 130' INT
	trap 'exit 124' TERM
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$fx_limit" &
		s=$!
		wait "$s"
		echo "$fx_name: FAIL: timed out after ${fx_limit}s" >&2
		kill -TERM $$
	) &
	fx_watchdog=$!
	base_url="http://127.0.0.1:$api_port"
}

# fx_tail NAME...: the last lines of each named log.
fx_tail() {
	local n
	for n in "$@"; do
		[ -s "$tmp/log/$n.log" ] || continue
		printf -- '--- last lines of %s ---\n' "$tmp/log/$n.log" >&2
		tail -n "${FX_TAIL_LINES:-25}" "$tmp/log/$n.log" >&2
	done
}

# fx_fail MESSAGE [LOG...]: fail the script now, with the tails of the logs.
fx_fail() {
	local msg=$1
	shift
	fx_say "FAIL: $msg" >&2
	[ $# -gt 0 ] && fx_tail "$@"
	fx_failed=1
	exit 1
}

# fx_problem MESSAGE: a failure of the service found by a check; the script
# goes on checking and exits non-zero at the end (fx_finish).
fx_problem() {
	fx_say "FAIL: $*" >&2
	fx_fails+=("$*")
}

# fx_finish [LOG...]: the verdict, and the tails of the logs on failure.
fx_finish() {
	local secs=$(( ($(fx_now_ms) - fx_t0) / 1000 ))
	if [ ${#fx_fails[@]} -gt 0 ]; then
		fx_tail "$@"
		fx_say "FAILED (${#fx_fails[@]} problems) in ${secs}s"
		fx_failed=1
		exit 1
	fi
	fx_say "PASS in ${secs}s"
	exit 0
}

fx_cleanup() {
	local rc=$? name pid
	trap - EXIT INT TERM
	set +e
	[ -n "$fx_watchdog" ] && kill "$fx_watchdog" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$fx_failed" = 0 ] && [ -n "$tmp" ]; then
		fx_say "FAIL: stopped with status $rc" >&2
		fx_tail $(cd "$tmp/log" 2>/dev/null && ls -- *.log 2>/dev/null | sed 's/\.log$//')
	fi
	# Redis last: the caseflow processes shut down talking to it.
	for name in "${!fx_pids[@]}"; do [ "$name" = redis ] || kill -TERM "${fx_pids[$name]}" 2>/dev/null; done
	for _ in $(seq 50); do
		pid=""
		for name in "${!fx_pids[@]}"; do [ "$name" != redis ] && kill -0 "${fx_pids[$name]}" 2>/dev/null && pid=1; done
		[ -z "$pid" ] && break
		sleep 0.1
	done
	[ -n "${fx_pids[redis]:-}" ] && kill -TERM "${fx_pids[redis]}" 2>/dev/null
	for _ in $(seq 50); do
		pid=""
		for name in "${!fx_pids[@]}"; do kill -0 "${fx_pids[$name]}" 2>/dev/null && pid=1; done
		[ -z "$pid" ] && break
		sleep 0.1
	done
	for name in "${!fx_pids[@]}"; do kill -KILL "${fx_pids[$name]}" 2>/dev/null; done
	if [ -n "$fx_pgdata" ] && [ -f "$fx_pgdata/postmaster.pid" ]; then
		fx_as_pg "$fx_pgbin/pg_ctl" -D "$fx_pgdata" -m immediate -w -t 20 stop >/dev/null 2>&1
	fi
	wait 2>/dev/null
	if [ -n "$tmp" ] && [ -d "$tmp" ]; then
		if [ "${FAULTS_KEEP:-0}" = 1 ]; then
			fx_say "kept $tmp" >&2
		else
			rm -rf "$tmp"
		fi
	fi
	exit "$rc"
}

# fx_sleep SECONDS: a sleep the watchdog and Ctrl-C interrupt at once.
fx_sleep() {
	sleep "$1" &
	wait $!
}

# fx_build: the caseflow binary and the load client, in $bin.
fx_build() {
	if [ -n "${FAULTS_BIN:-}" ]; then
		bin=$FAULTS_BIN
		[ -x "$bin/caseflow" ] && [ -x "$bin/load" ] || fx_fail "FAULTS_BIN=$bin holds no caseflow and load binaries"
		fx_src=${FAULTS_SRC:-$fx_repo}
		return
	fi
	bin=$tmp/bin
	fx_snapshot "$tmp/src" >"$tmp/log/build.log" 2>&1 || fx_fail "taking revision $FAULTS_REV failed" build
	(cd "$fx_src" && go build -o "$bin/caseflow" ./cmd/caseflow) >>"$tmp/log/build.log" 2>&1 || fx_fail "building caseflow failed" build
	(cd "$fx_src" && go build -o "$bin/load" ./scripts/faults/load) >>"$tmp/log/build.log" 2>&1 || fx_fail "building the load client failed" build
}

# fx_snapshot DIR: fx_src is the tree to build and take workflows from: the
# working tree, or FAULTS_REV exported into DIR (with this directory's load
# client, which the revision may not have).
fx_snapshot() {
	fx_src=$fx_repo
	[ -n "${FAULTS_REV:-}" ] || return 0
	mkdir -p "$1" && git -C "$fx_repo" archive "$FAULTS_REV" | tar -x -C "$1" || return 1
	mkdir -p "$1/scripts/faults" && cp -r "$fx_repo/scripts/faults/load" "$1/scripts/faults/"
	fx_src=$1
}

# fx_pg_init: a new cluster on $pg_port, started; fx_pg_start, fx_pg_stop
# [MODE] and fx_pg_restart act on it.
fx_pg_init() {
	fx_pgdata=$tmp/pg
	mkdir -p "$tmp/pgsock" "$fx_pgdata"
	chmod 700 "$fx_pgdata"
	[ "$(id -u)" = 0 ] && chown postgres "$tmp/pgsock" "$fx_pgdata"
	fx_as_pg "$fx_pgbin/initdb" -D "$fx_pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$tmp/log/initdb.log" 2>&1 || fx_fail "initdb failed" initdb
	fx_as_pg tee -a "$fx_pgdata/postgresql.conf" >/dev/null <<EOF
port = $pg_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp/pgsock'
max_connections = 300
shared_buffers = 128MB
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
	touch "$tmp/log/postgres.log"
	[ "$(id -u)" = 0 ] && chown postgres "$tmp/log/postgres.log"
	fx_pg_start
}

fx_pg_start() {
	fx_as_pg "$fx_pgbin/pg_ctl" -D "$fx_pgdata" -l "$tmp/log/postgres.log" -w -t 60 start >/dev/null ||
		fx_fail "Postgres did not start" postgres
}

fx_pg_stop() {
	fx_as_pg "$fx_pgbin/pg_ctl" -D "$fx_pgdata" -m "${1:-fast}" -w -t 60 stop >/dev/null ||
		fx_fail "Postgres did not stop" postgres
}

fx_pg_restart() {
	fx_as_pg "$fx_pgbin/pg_ctl" -D "$fx_pgdata" -l "$tmp/log/postgres.log" -m "${1:-fast}" -w -t 60 restart >/dev/null ||
		fx_fail "Postgres did not restart" postgres
}

# fx_sql SQL...: run statements on the caseflow database, unaligned output.
fx_sql() {
	psql -h 127.0.0.1 -p "$pg_port" -U postgres -d caseflow -v ON_ERROR_STOP=1 -Atq -F ' ' "$@"
}

# fx_redis_start: a Redis on $redis_port in the foreground of a process of
# ours; fx_redis_stop ends it (as a crash would: no save).
fx_redis_start() {
	mkdir -p "$tmp/redis"
	redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp/redis" --save '' --appendonly no \
		--maxmemory-policy noeviction --logfile '' >>"$tmp/log/redis.log" 2>&1 &
	fx_pids[redis]=$!
	for _ in $(seq 100); do
		redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
		fx_sleep 0.1
	done
	fx_fail "Redis did not start" redis
}

fx_redis_stop() {
	kill -KILL "${fx_pids[redis]}" 2>/dev/null
	wait "${fx_pids[redis]}" 2>/dev/null
	unset 'fx_pids[redis]'
}

# fx_env [SWEEP_INTERVAL]: the environment of every caseflow process.
fx_env() {
	local line
	while IFS= read -r line; do
		case $line in
		ENCRYPTION_KEYS=* | BLIND_INDEX_KEY=* | TOKEN_SECRET=*) export "${line?}" ;;
		esac
	done < <("$bin/caseflow" keys generate)
	[ -n "${TOKEN_SECRET:-}" ] || fx_fail "caseflow keys generate printed no keys"
	export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/caseflow?sslmode=disable"
	export REDIS_URL="redis://127.0.0.1:$redis_port/0"
	export HTTP_ADDR="127.0.0.1:$api_port"
	export WORKFLOWS_DIR="$fx_src/workflows"
	export SWEEP_INTERVAL="${1:-2s}"
	export LOG_LEVEL=info
	export DIGEST_HOUR=off
	unset DATABASE_REPLICA_URL SMTP_ADDR SMS_WEBHOOK_URL NOTIFY_EMAIL_TO RETENTION
}

# fx_spawn NAME ARGS...: run `caseflow ARGS` in the background, logging to
# log/NAME.log; its pid is fx_pids[NAME].
fx_spawn() {
	local name=$1
	shift
	(cd "$tmp/run" && exec "$bin/caseflow" "$@") >>"$tmp/log/$name.log" 2>&1 &
	fx_pids[$name]=$!
}

# fx_kill NAME [SIGNAL]: signal a process of ours and reap it.
fx_kill() {
	local pid=${fx_pids[$1]:-}
	[ -n "$pid" ] || return 0
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "fx_pids[$1]"
}

# fx_alive NAME: whether a process of ours still runs.
fx_alive() { [ -n "${fx_pids[$1]:-}" ] && kill -0 "${fx_pids[$1]}" 2>/dev/null; }

# fx_wait_ready SECONDS [LOG]: until GET /readyz answers 200.
fx_wait_ready() {
	local end=$(( $(fx_now_ms) + $1 * 1000 ))
	while [ "$(fx_now_ms)" -lt "$end" ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$base_url/readyz")" = 200 ] && return 0
		fx_sleep 0.05
	done
	fx_fail "GET /readyz did not answer 200 within $1 s" "${@:2}"
}

# fx_setup [SWEEP_INTERVAL]: build, start Postgres and Redis, and make the
# database with `caseflow dev` (migrations, reference data, demo users and
# cases), which is then stopped. fx_user is officer1's id, fx_case_base
# the last case id before the run.
fx_setup() {
	fx_build
	fx_pg_init
	fx_redis_start
	fx_env "${1:-2s}"
	fx_spawn dev dev
	fx_wait_ready 180 dev
	fx_kill dev TERM
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$api_port") 2>/dev/null || break
		fx_sleep 0.1
	done
	(exec 3<>"/dev/tcp/127.0.0.1/$api_port") 2>/dev/null && fx_fail "port $api_port still answers after caseflow dev stopped" dev
	fx_say "set up Postgres, Redis and the database (caseflow dev) in $(( ($(fx_now_ms) - fx_t0) / 1000 )) s"
	fx_user=$(fx_sql -c "SELECT id FROM users WHERE username = 'officer1'")
	fx_case_base=$(fx_sql -c "SELECT coalesce(max(id), 0) FROM cases")
	[ -n "$fx_user" ] || fx_fail "no officer1 after caseflow dev" dev
}

# fx_load NAME ARGS...: run the load client in the background against the
# API (its CSV files in out/NAME, its figures in log/NAME.log); wait for it
# with fx_wait_load NAME.
fx_load() {
	local name=$1
	shift
	"$bin/load" -base "$base_url" -out "$tmp/out/$name" "$@" >"$tmp/log/$name.log" 2>&1 &
	fx_pids[$name]=$!
}

fx_wait_load() {
	local pid=${fx_pids[$1]} rc
	wait "$pid"
	rc=$?
	unset "fx_pids[$1]"
	[ "$rc" = 0 ] || fx_fail "the load client stopped with status $rc" "$1"
	fx_say "load: $(tail -n 1 "$tmp/log/$1.log")"
}

# fx_probe_readyz: GET /readyz every 100 ms, "sent_ms status" lines in
# out/readyz.txt, until the script kills it.
fx_probe_readyz() {
	(
		trap 'exit 0' TERM
		while :; do
			t=$(fx_now_ms)
			echo "$t $(curl -s -o /dev/null -w '%{http_code}' -m 1 "$base_url/readyz")"
			sleep 0.1
		done
	) >"$tmp/out/readyz.txt" 2>/dev/null &
	fx_pids[probe]=$!
}

# fx_check_answers NAME [FROM_MS TO_MS]: every answer the load client got was
# 2xx, a 4xx it expects, 503 with Retry-After, or no answer; a 500 (or a 503
# without Retry-After, or another 5xx) is a problem. Prints the counts, for
# the window given or the whole run.
fx_check_answers() {
	local f=$tmp/out/$1/attempts.csv from=${2:-0} to=${3:-99999999999999} line
	line=$(awk -F, -v from="$from" -v to="$to" 'NR > 1 && $2 >= from && $1 <= to {
			n++; s = $5
			if (s == 0) conn++
			else if (s == 503 && $6 != "") u++
			else if (s == 503) noretry++
			else if (s == 409 && $6 != "") inflight++
			else if (s >= 500) { bad++; if (!(s in seen)) { seen[s] = 1; codes = codes " " s } }
			else if (s >= 200 && s < 300) ok++
			else other++
		}
		END { printf "answers=%d ok_2xx=%d s503_retry_after=%d no_answer=%d in_flight_409=%d other_4xx=%d s5xx_bad=%d s503_without_retry_after=%d bad_codes=%s\n",
			n, ok, u, conn, inflight, other, bad, noretry, (codes == "" ? "-" : codes) }' "$f")
	fx_say "answers${2:+ in the window}: $line"
	case $line in *" s5xx_bad=0 s503_without_retry_after=0 "*) ;; *)
		fx_problem "the API answered 5xx other than 503 with Retry-After: $line"
		awk -F, 'NR > 1 && ($5 >= 500 && ($5 != 503 || $6 == "")) { print "  " $0 }' "$f" | head -n 10 >&2 ;;
	esac
	if [ -z "${2:-}" ]; then
		# Keyed requests told 409 "still being served": how long they waited.
		line=$(awk -F, 'NR > 1 && $5 == 409 && $6 != "" && !($4 $3 in first) { first[$4 $3] = $1 }
			NR > 1 && ($5 == 200 || $5 == 201) && ($4 $3 in first) && !($4 $3 in done) { done[$4 $3] = $2 - first[$4 $3] }
			END { for (k in done) { n++; if (done[k] > m) m = done[k] } printf "%d requests, the longest waited %.1f s", n, m / 1000 }' "$f")
		fx_say "told 409 with Retry-After (the same keyed request still being served) and then taken: $line"
	fi
	line=$(awk -F, 'NR > 1 && $5 >= 400 && $5 < 500 && $5 != 429 && !($5 == 409 && ($6 != "" || $3 == "event")) { print }' "$f" | head -n 5)
	[ -z "$line" ] || fx_problem "the API refused requests it should take: $(tr '\n' ';' <<<"$line")"
}

# fx_check_reports NAME PREFIX: every acknowledged report is exactly one
# case, and every case filed under PREFIX has exactly one key.
fx_check_reports() {
	local d=$tmp/out/$1 prefix=$2 out
	out=$(fx_sql <<SQL
CREATE TEMP TABLE rep (key text, outcome text, code text, attempts int, first_ms bigint, ack_ms bigint, danger int, due_unix bigint);
CREATE TEMP TABLE att (sent_ms bigint, done_ms bigint, op text, key text, status int, retry_after text, code text, detail text);
\copy rep FROM '$d/reports.csv' CSV HEADER
\copy att FROM '$d/attempts.csv' CSV HEADER
CREATE TEMP VIEW k AS SELECT i.key, c.code FROM idempotency_keys i LEFT JOIN cases c ON c.id = i.case_id
	WHERE i.user_id = $fx_user AND i.key LIKE '$prefix-%';
SELECT 'reports=' || (SELECT count(*) FROM rep)
	|| ' acked=' || (SELECT count(*) FROM rep WHERE outcome = 'acked')
	|| ' not_acked=' || (SELECT count(*) FROM rep WHERE outcome <> 'acked')
	|| ' retried=' || (SELECT count(*) FROM rep WHERE attempts > 1)
	|| ' lost=' || (SELECT count(*) FROM rep r WHERE outcome = 'acked' AND NOT EXISTS (SELECT 1 FROM k WHERE k.key = r.key AND k.code IS NOT NULL))
	|| ' wrong_case=' || (SELECT count(*) FROM rep r JOIN k USING (key) WHERE r.outcome = 'acked' AND k.code IS DISTINCT FROM r.code)
	|| ' two_codes_for_a_key=' || (SELECT count(*) FROM (SELECT key FROM att WHERE op = 'report' AND status IN (200, 201)
		GROUP BY key HAVING count(DISTINCT code) > 1) x)
	|| ' keys_with_case=' || (SELECT count(*) FROM k WHERE code IS NOT NULL)
	|| ' cases_filed_in_run=' || (SELECT count(*) FROM cases WHERE id > $fx_case_base)
	|| ' keys_of_run=' || (SELECT count(*) FROM idempotency_keys WHERE user_id = $fx_user AND case_id > $fx_case_base)
	|| ' keys_without_case=' || (SELECT count(*) FROM k WHERE code IS NULL)
	|| ' cases_without_key=' || (SELECT count(*) FROM cases c WHERE c.id > $fx_case_base
		AND NOT EXISTS (SELECT 1 FROM idempotency_keys i WHERE i.case_id = c.id))
	|| ' committed_not_acked=' || (SELECT count(*) FROM rep r JOIN k USING (key) WHERE r.outcome <> 'acked' AND k.code IS NOT NULL);
SELECT 'lost: ' || string_agg(key, ' ') FROM (SELECT key FROM rep r WHERE outcome = 'acked'
	AND NOT EXISTS (SELECT 1 FROM k WHERE k.key = r.key AND k.code IS NOT NULL) LIMIT 10) x HAVING count(*) > 0;
SQL
) || fx_fail "checking the reports failed" postgres
	fx_say "reports: $(head -n 1 <<<"$out")"
	[ "$(wc -l <<<"$out")" -gt 1 ] && fx_say "$(tail -n +2 <<<"$out")" >&2
	local v
	v=$(fx_field "$out" lost)
	[ "$v" = 0 ] || fx_problem "$v acknowledged reports lost (acknowledged, but no case under their key)"
	v=$(fx_field "$out" wrong_case)
	[ "$v" = 0 ] || fx_problem "$v reports acknowledged with a case other than the one their key holds"
	v=$(fx_field "$out" two_codes_for_a_key)
	[ "$v" = 0 ] || fx_problem "$v keys acknowledged with two different cases"
	v=$(fx_field "$out" cases_without_key)
	[ "$v" = 0 ] || fx_problem "$v cases filed without a key: duplicates"
	[ "$(fx_field "$out" cases_filed_in_run)" = "$(fx_field "$out" keys_of_run)" ] ||
		fx_problem "more cases than keys: $(fx_field "$out" cases_filed_in_run) cases filed in the run for $(fx_field "$out" keys_of_run) keys"
	v=$(fx_field "$out" acked)
	[ "$v" -gt 0 ] || fx_problem "no report was acknowledged at all"
	reports_line=$(head -n 1 <<<"$out")
}

# fx_check_events NAME: every event acknowledged (or found applied after a
# lost answer) is one history row; no case has the event twice.
fx_check_events() {
	local d=$tmp/out/$1 prefix=$2 out v
	out=$(fx_sql <<SQL
CREATE TEMP TABLE ev (key text, code text, event text, from_version int, outcome text, attempts int, detail text);
\copy ev FROM '$d/events.csv' CSV HEADER
WITH h AS (SELECT e.key, e.outcome, (SELECT count(*) FROM case_history hh JOIN cases c ON c.id = hh.case_id
		WHERE c.code = e.code AND hh.kind = 'transition' AND hh.event = e.event) AS n FROM ev e)
SELECT 'events=' || (SELECT count(*) FROM ev)
	|| ' acked=' || (SELECT count(*) FROM ev WHERE outcome = 'acked')
	|| ' applied_after_409=' || (SELECT count(*) FROM ev WHERE outcome = 'applied')
	|| ' unknown=' || (SELECT count(*) FROM ev WHERE outcome = 'unknown')
	|| ' gave_up=' || (SELECT count(*) FROM ev WHERE outcome = 'gave_up')
	|| ' refused=' || (SELECT count(*) FROM ev WHERE outcome = 'refused')
	|| ' lost=' || (SELECT count(*) FROM h WHERE outcome IN ('acked', 'applied') AND n = 0)
	|| ' doubled=' || (SELECT count(*) FROM (SELECT hh.case_id FROM case_history hh WHERE hh.case_id > $fx_case_base
		AND hh.kind = 'transition' AND hh.event = 'assess_risk' GROUP BY hh.case_id HAVING count(*) > 1) x)
	|| ' unknown_applied=' || (SELECT count(*) FROM h WHERE outcome NOT IN ('acked', 'applied') AND n > 0);
SQL
) || fx_fail "checking the events failed" postgres
	fx_say "events: $out"
	v=$(fx_field "$out" lost)
	[ "$v" = 0 ] || fx_problem "$v acknowledged events lost"
	v=$(fx_field "$out" doubled)
	[ "$v" = 0 ] || fx_problem "$v cases got the same event twice"
	v=$(fx_field "$out" refused)
	[ "$v" = 0 ] || fx_problem "$v events refused: $(awk -F, '$5 == "refused" { print $7 }' "$d/events.csv" | sort | uniq -c | tr '\n' ';')"
}

# fx_field LINE NAME: the value of NAME=value in a line of figures.
fx_field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1" | head -n 1; }

# fx_clocks_sql PREFIX: the emergency clocks of the cases filed under PREFIX,
# with the number of their breach history rows and breach notifications.
fx_clocks_sql() {
	cat <<SQL
CREATE TEMP VIEW ck AS
SELECT i.key, k.id, k.case_id, k.status, k.due_at, k.breached_at,
	extract(epoch FROM k.breached_at - k.due_at) AS late,
	(SELECT count(*) FROM case_history h WHERE h.case_id = k.case_id AND h.event = 'clock_breached' AND h.data->>'clock' = k.clock) AS hist,
	(SELECT count(*) FROM notifications n WHERE n.clock_id = k.id AND n.kind = 'breach') AS notes,
	(SELECT count(*) FROM (SELECT 1 FROM notifications n WHERE n.clock_id = k.id AND n.kind = 'breach'
		GROUP BY n.audience, n.agency_id, n.generation HAVING count(*) > 1) x) AS notes_doubled,
	(SELECT count(DISTINCT n.audience) FROM notifications n WHERE n.clock_id = k.id AND n.kind = 'breach') AS audiences
FROM case_clocks k JOIN idempotency_keys i ON i.case_id = k.case_id
WHERE i.user_id = $fx_user AND i.key LIKE '$1-%' AND k.clock = 'emergency_measures';
SQL
}

# fx_wait_breached PREFIX SECONDS [EXCEPT_ID]: until every clock of PREFIX
# due by now is breached, for at most SECONDS.
fx_wait_breached() {
	local end=$(( $(fx_now_ms) + $2 * 1000 )) left
	while :; do
		left=$( (fx_clocks_sql "$1"; echo "SELECT count(*) FROM ck WHERE status = 'running' AND due_at <= now() AND id <> ${3:-0};") | fx_sql 2>/dev/null)
		[ "$left" = 0 ] && return 0
		[ "$(fx_now_ms)" -ge "$end" ] && return 1
		fx_sleep 0.2
	done
}

# fx_check_clocks PREFIX NAME MAX_LATE [EXCEPT_ID [FILTER]]: every
# acknowledged flagged report of load run NAME has one emergency clock; every
# clock due more than MAX_LATE seconds ago (but EXCEPT_ID) is breached, with
# one history row and one breach notification per audience, at most MAX_LATE
# seconds after it fell due. FILTER, a condition on the columns of
# reports.csv, checks only the clocks of those reports. Prints counts and
# lateness.
fx_check_clocks() {
	local prefix=$1 name=$2 max=$3 except=${4:-0} filter=${5:-true} out v
	out=$( (fx_clocks_sql "$prefix"; cat <<SQL
CREATE TEMP TABLE rep (key text, outcome text, code text, attempts int, first_ms bigint, ack_ms bigint, danger int, due_unix bigint);
\copy rep FROM '$tmp/out/$name/reports.csv' CSV HEADER
DELETE FROM rep WHERE NOT ($filter);
CREATE TEMP VIEW ckf AS SELECT * FROM ck WHERE key IN (SELECT key FROM rep);
SELECT 'clocks=' || count(*)
	|| ' due=' || count(*) FILTER (WHERE due_at <= now())
	|| ' breached=' || count(*) FILTER (WHERE status = 'breached')
	|| ' missed=' || count(*) FILTER (WHERE due_at <= now() - make_interval(secs => $max) AND status <> 'breached' AND id <> $except)
	|| ' early=' || count(*) FILTER (WHERE status = 'breached' AND breached_at < due_at)
	|| ' history_once=' || count(*) FILTER (WHERE status = 'breached' AND hist = 1)
	|| ' history_missing=' || count(*) FILTER (WHERE status = 'breached' AND hist = 0)
	|| ' history_doubled=' || count(*) FILTER (WHERE hist > 1)
	|| ' history_unbreached=' || count(*) FILTER (WHERE status <> 'breached' AND hist > 0)
	|| ' notifications=' || coalesce(sum(notes) FILTER (WHERE status = 'breached'), 0)
	|| ' notifications_doubled=' || count(*) FILTER (WHERE notes_doubled > 0)
	|| ' notifications_missing=' || count(*) FILTER (WHERE status = 'breached' AND audiences < 2)
	|| ' late_p50=' || coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY late)::numeric, 3), 0)
	|| ' late_p95=' || coalesce(round(percentile_cont(0.95) WITHIN GROUP (ORDER BY late)::numeric, 3), 0)
	|| ' late_max=' || coalesce(round(max(late)::numeric, 3), 0)
	|| ' over_bound=' || count(*) FILTER (WHERE late > $max)
	|| ' flagged_acked=' || (SELECT count(*) FROM rep WHERE outcome = 'acked' AND danger = 1)
	|| ' flagged_without_clock=' || (SELECT count(*) FROM rep r JOIN idempotency_keys i ON i.user_id = $fx_user AND i.key = r.key
		WHERE r.outcome = 'acked' AND r.danger = 1 AND NOT EXISTS (SELECT 1 FROM ck WHERE ck.case_id = i.case_id))
FROM ckf;
SQL
) | fx_sql) || fx_fail "checking the clocks failed" postgres
	fx_say "clocks (bound ${max}s): $out"
	for v in missed early history_missing history_doubled history_unbreached notifications_doubled notifications_missing over_bound flagged_without_clock; do
		[ "$(fx_field "$out" "$v")" = 0 ] || fx_problem "clocks: $v=$(fx_field "$out" "$v")"
	done
	[ "$(fx_field "$out" due)" -gt 0 ] || fx_problem "clocks: none fell due; the run proves nothing"
	clocks_line=$out
}
