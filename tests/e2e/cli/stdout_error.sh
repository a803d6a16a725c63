# A failed write to stdout is a runtime error (exit 1), not a silent success.
set -u
if [ ! -w /dev/full ]; then
    echo "/dev/full is not available" >&2
    exit 77
fi
"$LOCKSTEP" --version >/dev/full
