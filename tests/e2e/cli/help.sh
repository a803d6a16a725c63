# `lockstep help` and `lockstep --help` print the command list on stdout, exit 0.
set -eu
"$LOCKSTEP" help
"$LOCKSTEP" --help >dash-help.txt
"$LOCKSTEP" help | cmp - dash-help.txt
