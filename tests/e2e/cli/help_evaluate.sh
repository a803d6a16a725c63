# `lockstep help evaluate` is `lockstep evaluate --help`.
set -eu
"$LOCKSTEP" help evaluate
"$LOCKSTEP" evaluate --help >dash-help.txt
"$LOCKSTEP" help evaluate | cmp - dash-help.txt
