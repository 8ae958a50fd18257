#!/usr/bin/env bash
# Every bad flag or value: exit 2, exactly one line on stderr saying what is
# wrong, nothing on stdout, and no training started.
source tests/sh/cli_lib.bash

bad() { # FRAGMENT ARGS...
    local frag=$1; shift
    expect_fail 2 "$frag" "$@"
    [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || die "convlab $*: more than one line on stderr: $ERR"
    [ -z "$OUT" ] || die "convlab $*: printed to stdout: $OUT"
}

bad "--lr must not be negative, got -1"              --batch train --lr -1
bad "--lr needs a number, got 'fast'"                --batch train --lr fast
bad "--lr needs a value"                             --batch train --lr
bad "--lr needs a value"                             --batch train --lr --epochs 2
bad "--batch-size must be an integer from 1 to 4096, got '0'" --batch train --batch-size 0
bad "--batch-size must be an integer"                --batch train --batch-size 4.5
bad "--batch-size must be an integer"                --batch train --batch-size 99999999999999999999
bad "--optimizer must be one of sgd/adam, got 'rmsprop'" --batch train --optimizer rmsprop
bad "--epochs must be an integer from 1"             --batch train --epochs 0
bad "--epochs must be an integer"                    --batch train --epochs two
bad "--momentum must not be negative"                --batch train --momentum -0.5
bad "--seed must be a whole number"                  --batch train --seed -1
bad "--threads must be an integer from 1"            --batch train --threads 0
bad "--train-limit must be an integer from 1 to 50000" --batch train --train-limit 60000
bad "--test-limit must be an integer from 1 to 10000" --batch train --test-limit 0
bad "--log-every must be an integer"                 --batch train --log-every 0
bad "--size must be WIDTHxHEIGHT"                    --batch train --size 800
bad "--lang must be one of en/zh"                    --batch train --lang fr
bad "unknown option '--lrr'; did you mean --lr?"     --batch train --lrr 0.1
bad "unknown option '--frobnicate'"                  --batch train --frobnicate
bad "unknown option '-x'"                            --batch train -x
bad "unexpected argument 'now'"                      --batch train now
bad "--no-shuffle takes no value"                    --batch train --no-shuffle=yes
bad "--momentum is for --optimizer sgd"              --batch train --optimizer adam --momentum 0.5
bad "Nesterov"                                       --batch train --nesterov --momentum 0
bad "--save $WORK/no/such/dir/c.safetensors: cannot write into folder" --batch train --save "$WORK/no/such/dir/c.safetensors"
bad "--csv"                                          --batch train --csv "$WORK/nope/x.csv"
bad "eval: --load CKPT is required"                  --batch eval
bad "eval: --test-limit must be an integer"          --batch eval --load x --test-limit -5
bad "eval: unknown option '--epochs'"                --batch eval --load x --epochs 3
bad "--batch needs a command"                        --batch
bad "unknown batch command 'trian'"                  --batch trian
# --flag=value works like --flag value.
bad "--lr must not be negative, got -2"              --batch train --lr=-2
echo ok
