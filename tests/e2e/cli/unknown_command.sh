# An unknown command is a usage error (exit 2), also after `help`.
set -u
"$LOCKSTEP" frobnicate
echo "exit $?"
"$LOCKSTEP" help frobnicate
