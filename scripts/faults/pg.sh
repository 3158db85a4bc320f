# pg.sh is sourced by pg-restart and pg-stop, after lib.sh: the run they
# share. fx_pg_fault MODE PREFIX: under intake and event load with retries,
# with emergency clocks falling due during the run, MODE "restart" restarts
# Postgres twice (pg_ctl restart -m fast) and MODE "stop" stops it for
# FAULTS_OUTAGE seconds (pg_ctl stop -m fast, then start). Checks that no 5xx
# but 503 with Retry-After was answered, that no acknowledged report or
# event was lost or doubled, that every clock is breached exactly once, that
# /readyz answered 503 while Postgres was stopped and 200 after, and prints
# how soon after Postgres was back the first report was taken.

fx_pg_fault() {
	local mode=$1 prefix=$2 outage=${FAULTS_OUTAGE:-10} load_seconds sweep=2
	fx_setup "${sweep}s"
	fx_spawn worker worker
	fx_spawn api serve
	fx_wait_ready 30 api
	fx_probe_readyz

	load_seconds=$([ "$mode" = stop ] && echo $((outage + 16)) || echo 24)
	fx_load load -prefix "$prefix" -c 8 -d "${load_seconds}s" -drain 40s -event-every 5 \
		-danger-every 10 -due-in 5s -due-spread 5s
	fx_sleep 6
	local downs=() backs=() starts=() t
	if [ "$mode" = restart ]; then
		for _ in 1 2; do
			t=$(fx_now_ms)
			fx_pg_restart fast
			downs+=("$t") starts+=("$t") backs+=("$(fx_now_ms)")
			fx_say "restarted Postgres (pg_ctl restart -m fast) in $(( backs[-1] - t )) ms"
			fx_sleep 7
		done
	else
		t=$(fx_now_ms)
		fx_pg_stop fast
		downs+=("$(fx_now_ms)")
		fx_say "stopped Postgres (pg_ctl stop -m fast) in $(( downs[0] - t )) ms; starting it again in ${outage} s"
		fx_sleep "$outage"
		starts+=("$(fx_now_ms)")
		fx_pg_start
		backs+=("$(fx_now_ms)")
		fx_say "started Postgres again: accepting connections $(( backs[0] - starts[0] )) ms after pg_ctl start"
	fi
	fx_wait_load load
	fx_kill probe TERM

	local f=$tmp/out/load/attempts.csv i line first ready
	fx_check_answers load
	for i in "${!downs[@]}"; do
		fx_check_answers load "${downs[$i]}" "${backs[$i]}"
		# The first report taken once Postgres accepts connections again, and
		# the first 200 of /readyz.
		first=$(awk -F, -v b="${backs[$i]}" 'NR > 1 && $3 == "report" && ($5 == 201 || $5 == 200) && $2 >= b { print $2; exit }' \
			<(sort -t, -k2,2n "$f"))
		ready=$(awk -v b="${backs[$i]}" '$1 >= b && $2 == 200 { print $1; exit }' "$tmp/out/readyz.txt")
		if [ -n "$first" ]; then
			fx_say "outage $((i + 1)): Postgres back at +$(( (backs[$i] - fx_t0) / 1000 )) s; first report taken $(awk -v a="$first" -v b="${backs[$i]}" 'BEGIN { printf "%.2f", (a - b) / 1000 }') s after, /readyz 200 $( [ -n "$ready" ] && awk -v a="$ready" -v b="${backs[$i]}" 'BEGIN { printf "%.2f", (a - b) / 1000 }' || echo never) s after"
		else
			fx_problem "outage $((i + 1)): no report was taken after Postgres was back"
		fi
		[ -n "$ready" ] || fx_problem "outage $((i + 1)): /readyz never answered 200 after Postgres was back"
	done
	line=$(awk '{ n[$2]++ } END { for (s in n) printf "%s=%d ", s, n[s] }' "$tmp/out/readyz.txt")
	fx_say "/readyz answers over the run: $line"
	awk '$2 != 200 && $2 != 503 && $2 != "000" { bad++ } END { exit bad > 0 }' "$tmp/out/readyz.txt" ||
		fx_problem "/readyz answered other than 200 or 503: $line"
	if [ "$mode" = stop ]; then
		# While Postgres is stopped, /readyz must say so, and never 200.
		line=$(awk -v a="${downs[0]}" -v b="${starts[0]}" '$1 >= a + 500 && $1 + 1000 <= b { n[$2]++ } END { printf "s200=%d s503=%d", n[200], n[503] }' "$tmp/out/readyz.txt")
		fx_say "/readyz while Postgres was stopped: $line"
		case $line in "s200=0 s503="[1-9]*) ;; *) fx_problem "/readyz did not answer 503 all through the stop: $line" ;; esac
	fi

	fx_check_reports load "$prefix"
	fx_check_events load "$prefix"
	t=$(awk -F, 'NR > 1 && $8 > m { m = $8 } END { print m + 0 }' "$tmp/out/load/reports.csv")
	while [ "$(date +%s)" -le "$t" ]; do fx_sleep 0.2; done
	fx_wait_breached "$prefix" 15 || true
	fx_check_clocks "$prefix" load $((outage + 2 * sweep + 3))
	fx_alive api || fx_problem "the API process died"
	fx_alive worker || fx_problem "the worker died"
	fx_finish api worker postgres
}
