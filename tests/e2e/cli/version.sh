# --version prints "lockstep X.Y.Z" from the public header's version macros.
set -eu
hdr=$LK_SOURCE_DIR/include/lockstep/lockstep.h
want=lockstep\ $(awk '/^#define LK_VERSION_(MAJOR|MINOR|PATCH) /{printf "%s%s", sep, $3; sep="."}' "$hdr")
got=$("$LOCKSTEP" --version)
if [ "$got" != "$want" ]; then
    echo "got '$got', want '$want'" >&2
    exit 1
fi
