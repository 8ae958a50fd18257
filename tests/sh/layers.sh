#!/usr/bin/env bash
# The layers look down only: engine <- lesson <- session <- ui <- app (and
# src/main.c on top). Every #include "folder/..." in src/ must name its own
# folder or one below it; the engine and the lesson and session layers must
# not include SDL. One line per violation, exit 1 if there is any.
cd "$(dirname "$0")/../.." || exit 1
order=(engine lesson session ui app)
rank() { local i; for i in "${!order[@]}"; do [ "${order[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo 99; }
bad=0
for dir in "${order[@]}"; do
    own=$(rank "$dir")
    [ -d "src/$dir" ] || { echo "src/$dir is missing"; bad=1; continue; }
    while IFS=: read -r file line inc; do
        target=$(printf '%s' "$inc" | sed -n 's/.*#include "\([a-z_]*\)\/.*/\1/p')
        [ -n "$target" ] || continue
        if [ "$(rank "$target")" -gt "$own" ]; then
            echo "$file:$line: $dir includes $target/, a layer above it"; bad=1
        fi
    done < <(grep -n '#include "' "src/$dir"/*.[ch])
    if [ "$own" -le 2 ] && grep -n '#include <SDL' "src/$dir"/*.[ch]; then
        echo "src/$dir includes SDL: only ui and app may"; bad=1
    fi
done
# every source file sits in a layer
for f in src/*.c src/*.h; do
    [ -e "$f" ] || continue
    [ "$f" = src/main.c ] || { echo "$f: not in a layer folder"; bad=1; }
done
[ $bad -eq 0 ] && echo "ok: ${order[*]} look down only"
exit $bad
