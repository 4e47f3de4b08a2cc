# Sourced by test scripts: one "ok - ..." or "not ok - ..." line per check, counted, and the
# "N passed, M failed" line scripts/run-tests.sh adds up.
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
