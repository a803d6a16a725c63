# detect without INPUT is a usage error and creates no output folder.
set -u
"$LOCKSTEP" detect -o out
rc=$?
if [ -e out ]; then
    echo "output folder created on a usage error" >&2
fi
exit $rc
