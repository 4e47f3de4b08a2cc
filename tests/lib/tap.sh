# Sourced by test scripts: one "ok - ..." or "not ok - ..." line per check, counted, and the
# "N passed, M failed" line scripts/run-tests.sh adds up (with add_counts, as a suite adds up
# the runners it calls).
pass=0
fail=0
ok() {
    echo "ok - $1"
    pass=$((pass + 1))
}
# not_ok NAME [DETAIL]: DETAIL, if any, follows as indented comment lines.
not_ok() {
    echo "not ok - $1"
    [ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2" | head -n 20
    fail=$((fail + 1))
}
# add_counts FILE: adds the last "N passed, M failed" line of FILE (what a runner printed) to
# the counts, and leaves it in $summary and its M in $summary_failed; returns 1, adding
# nothing, when there is no such line.
add_counts() {
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    [ -n "$summary" ] || return 1
    summary_failed=${summary#*, }
    summary_failed=${summary_failed%% failed*}
    pass=$((pass + ${summary%% passed*}))
    fail=$((fail + summary_failed))
}
