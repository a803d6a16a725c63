# `lockstep help report` is `lockstep report --help`.
set -eu
"$LOCKSTEP" help report
"$LOCKSTEP" report --help >dash-help.txt
"$LOCKSTEP" help report | cmp - dash-help.txt
