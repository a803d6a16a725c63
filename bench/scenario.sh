# Sourced by bench/evaluate.sh and bench/null_sample.sh: the simulated
# scenario of one kind ("all": one planted group of each kind; else six
# groups of that kind) made in a folder, unless it is already there.
scenario() { # lockstep binary, kind, actions, folder
    [ -f "$4/truth.csv" ] && return 0
    if [ "$2" = all ]; then
        "$1" simulate -q --seed 7 --actions "$3" --groups 6 --no-tweets -o "$4"
    else
        "$1" simulate -q --seed 7 --actions "$3" --groups 6 --kinds "$2" --no-tweets -o "$4"
    fi
}
