# --null-sample takes auto or a power of two from 1 to 65536; anything else is a usage error.
set -u
for n in 0 3 6 131072 -4 1.5 x ''; do
    "$LOCKSTEP" detect --null-sample "$n" in.csv
    echo "exit $?"
done
