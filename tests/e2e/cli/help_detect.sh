# `lockstep help detect` is `lockstep detect --help`: options grouped, defaults shown.
set -eu
"$LOCKSTEP" help detect
"$LOCKSTEP" detect --help >dash-help.txt
"$LOCKSTEP" help detect | cmp - dash-help.txt
