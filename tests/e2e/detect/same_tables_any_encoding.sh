# The same actions written as plain, gzip, zstd, stdin, BOM+CRLF, ISO 8601
# times, reordered and quoted columns with an extra column and embedded
# newlines give byte-identical tables.
set -eu
d=$LK_TEST_DATA/detect
"$LOCKSTEP" detect -q -o ref "$d/tiny.csv"
run() {
    name=$1
    shift
    "$LOCKSTEP" detect -q -o "$name" "$@"
    for f in edges.csv accounts.csv groups.csv evidence.csv network.graphml network.gexf; do
        cmp "ref/$f" "$name/$f"
    done
    echo "$name: identical"
}
run gz "$d/tiny.csv.gz"
run zst "$d/tiny.csv.zst"
run bom "$d/tiny_bom_crlf.csv"
run iso "$d/tiny_iso.csv"
run quoted "$d/tiny_quoted.csv"
run stdin - <"$d/tiny.csv"
# the same rows split over two files
head -n 9 "$d/tiny.csv" >part1.csv
{ head -n 1 "$d/tiny.csv"; tail -n +10 "$d/tiny.csv"; } >part2.csv
run split part1.csv part2.csv
