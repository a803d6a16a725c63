# A bare `lockstep` is a usage error: the command list goes to stderr, exit 2.
set -u
"$LOCKSTEP" >bare.out
rc=$?
if [ -s bare.out ]; then
    echo "bare lockstep wrote to stdout" >&2
fi
exit $rc
