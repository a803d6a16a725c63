# lockstep help convert: the whole help text.
"$LOCKSTEP" help convert
