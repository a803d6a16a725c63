#!/usr/bin/env bash
# run_case.sh - run one end-to-end golden case and compare its output.
#
#   bash tests/e2e/run_case.sh tests/e2e/<cmd>/<case>.sh
#
# Environment (set by ctest, see tests/CMakeLists.txt):
#   LOCKSTEP        the lockstep binary under test (required)
#   LK_SHARED_DATA  ../shared/data (real samples; a case exits 77 if absent)
#   LK_TEST_DATA    tests/data (committed KB-sized fixtures)
#   LK_SOURCE_DIR   the source tree
#   LK_UPDATE_GOLDEN=1  rewrite the expectation files instead of comparing
#   LK_KEEP_SCRATCH=1   keep the scratch folder (its path is printed)
#
# The case runs under `bash CASE.sh` in a fresh scratch folder (its cwd), with
# LK_CASE_DIR pointing at the folder that holds CASE.sh, LC_ALL=C and TZ=UTC
# so that messages and times do not depend on the machine.  Its stdout,
# stderr and exit status are compared with CASE.stdout, CASE.stderr and
# CASE.exit beside it: a missing .stdout/.stderr means that stream is not
# checked (for output with timings), a missing .exit means 0.  A case may
# also make its own assertions with `set -e`.  Exit 77 from the case means
# "skipped" and is passed on to ctest.
#
# Before comparison, literal occurrences of the scratch folder and of the
# data/source folders are replaced by $SCRATCH, $LK_TEST_DATA,
# $LK_SHARED_DATA and $LK_SOURCE_DIR, so that goldens hold no machine paths.
#
# LK_UPDATE_GOLDEN=1 rewrites the expectation files a case already has; for
# a case with none yet it creates all three.  Review the diff before commit.
set -u

die() {
    printf 'run_case: %s\n' "$*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: run_case.sh CASE.sh"
case_sh=$1
[ -f "$case_sh" ] || die "no such case: '$case_sh'"
case_dir=$(cd "$(dirname "$case_sh")" && pwd) || die "cannot resolve '$case_sh'"
case_name=$(basename "$case_sh" .sh)
base=$case_dir/$case_name

[ -n "${LOCKSTEP:-}" ] || die "LOCKSTEP is not set (the lockstep binary to test)"
case $LOCKSTEP in
/*) ;;
*) LOCKSTEP=$PWD/$LOCKSTEP ;;
esac
[ -x "$LOCKSTEP" ] || die "LOCKSTEP='$LOCKSTEP' is not an executable"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-e2e.XXXXXX") || die "cannot create a scratch folder"
# The captured streams live beside, not inside, the case's cwd, so that a
# case listing its folder does not see them.
out_dir=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-e2e-out.XXXXXX") || die "cannot create a folder"
cleanup() {
    if [ "${LK_KEEP_SCRATCH:-0}" = 1 ]; then
        printf 'run_case: kept %s and %s\n' "$scratch" "$out_dir" >&2
    else
        rm -rf -- "$scratch" "$out_dir"
    fi
}
trap cleanup EXIT

(
    cd "$scratch" || exit 1
    export LOCKSTEP LK_CASE_DIR="$case_dir" LC_ALL=C TZ=UTC
    exec bash "$case_dir/$case_name.sh"
) >"$out_dir/stdout" 2>"$out_dir/stderr" </dev/null
status=$?

if [ "$status" -eq 77 ]; then
    printf 'run_case: %s skipped\n' "$case_name"
    sed 's/^/  /' "$out_dir/stderr"
    exit 77
fi

# Literal (not regex) replacement of machine-specific folders; the longest
# and most specific first, since LK_TEST_DATA lies inside LK_SOURCE_DIR.
normalise() {
    awk -v s1="$scratch" -v r1='$SCRATCH' \
        -v s2="${LK_TEST_DATA:-}" -v r2='$LK_TEST_DATA' \
        -v s3="${LK_SHARED_DATA:-}" -v r3='$LK_SHARED_DATA' \
        -v s4="${LK_SOURCE_DIR:-}" -v r4='$LK_SOURCE_DIR' '
        function repl(line, s, r,    out, i) {
            if (s == "")
                return line
            out = ""
            while ((i = index(line, s)) > 0) {
                out = out substr(line, 1, i - 1) r
                line = substr(line, i + length(s))
            }
            return out line
        }
        {
            $0 = repl($0, s1, r1); $0 = repl($0, s2, r2)
            $0 = repl($0, s3, r3); $0 = repl($0, s4, r4)
            print
        }' "$1" >"$1.norm" && mv -- "$1.norm" "$1"
}
normalise "$out_dir/stdout"
normalise "$out_dir/stderr"
printf '%s\n' "$status" >"$out_dir/exit"

if [ "${LK_UPDATE_GOLDEN:-0}" = 1 ]; then
    new_case=1
    for ext in stdout stderr exit; do
        [ -e "$base.$ext" ] && new_case=0
    done
    for ext in stdout stderr exit; do
        if [ -e "$base.$ext" ] || [ $new_case = 1 ]; then
            cp -- "$out_dir/$ext" "$base.$ext" || die "cannot write '$base.$ext'"
            printf 'run_case: wrote %s\n' "$base.$ext"
        fi
    done
    exit 0
fi

fail=0
for ext in stdout stderr; do
    [ -e "$base.$ext" ] || continue
    if ! cmp -s -- "$base.$ext" "$out_dir/$ext"; then
        printf 'run_case: %s: %s differs\n' "$case_name" "$ext"
        diff -u --label "$case_name.$ext (expected)" --label "$ext (actual)" \
            -- "$base.$ext" "$out_dir/$ext"
        fail=1
    fi
done

want_exit=0
if [ -e "$base.exit" ]; then
    want_exit=$(tr -d ' \t\r\n' <"$base.exit")
fi
if [ "$status" != "$want_exit" ]; then
    printf 'run_case: %s: exit status %s, expected %s\n' "$case_name" "$status" "$want_exit"
    # Unchecked streams may hold the reason (e.g. a sanitizer report).
    if [ ! -e "$base.stderr" ] && [ -s "$out_dir/stderr" ]; then
        printf 'run_case: stderr was:\n'
        sed 's/^/  /' "$out_dir/stderr"
    fi
    fail=1
fi

if [ $fail = 0 ]; then
    printf 'run_case: %s passed\n' "$case_name"
fi
exit $fail
