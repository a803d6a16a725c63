# `lockstep help simulate` is `lockstep simulate --help`.
set -eu
"$LOCKSTEP" help simulate
"$LOCKSTEP" simulate --help >dash-help.txt
"$LOCKSTEP" help simulate | cmp - dash-help.txt
